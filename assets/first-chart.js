// Draws the page's first price chart from the figure in the served HTML, before Dash starts,
// then hands the drawn plot to the dcc.Graph when it mounts, so that the Graph's first
// Plotly.react finds its figure already drawn and draws nothing. Loaded right after plotly.js,
// above the Dash app (see components/first_chart.py).
(function () {
  var page = document.getElementById("r2k-first-page");
  var source = document.getElementById("r2k-first-figure");
  if (!page || !source || !window.Plotly) return;
  if (document.documentElement.getAttribute("data-bs-theme") === "dark") {
    // The served figure is the light one: the Graph draws the dark one, as without this.
    page.remove();
    return;
  }
  var shipped = source.textContent;
  var chartId = page.dataset.chart;
  var gd = page.querySelector(".r2k-first-plot");
  var react = window.Plotly.react;
  var handed = false;
  // The last zoom or pan made on the early plot: the Graph did not hear it (its callbacks,
  // such as the price axis fit, did not run), so it is told again once it listens.
  var earlyZoom = null;
  // Where the chart sits in the page once Dash has rendered the header and controls above it:
  // the last visit at this width measured it (else the stylesheet's estimate, --r2k-first-top),
  // and the early chart is drawn there, so it does not jump down when the page appears.
  var topKey = "r2k-chart-top:" + window.innerWidth;

  function storedTop() {
    try {
      return Number(window.localStorage.getItem(topKey)) || null;
    } catch (error) {
      return null; // storage turned off: the estimate
    }
  }

  function reserveRoom() {
    var estimate = parseFloat(getComputedStyle(page).getPropertyValue("--r2k-first-top")) || 0;
    var top = storedTop() || estimate;
    var placed = function () {
      return gd.getBoundingClientRect().top + window.scrollY;
    };
    var room = Math.max(0, top - placed());
    page.style.paddingTop = room + "px";
    // Once padded, margins inside no longer collapse through the box: correct for that.
    page.style.paddingTop = Math.max(0, room + top - placed()) + "px";
  }

  function rememberTop() {
    if (!gd.isConnected) return;
    var top = gd.getBoundingClientRect().top + window.scrollY;
    try {
      window.localStorage.setItem(topKey, String(Math.round(top)));
    } catch (error) {
      // storage turned off: the next visit uses the estimate
    }
  }

  function figureOf(text) {
    // What dcc.Graph passes to plotly.js: the figure as it is, the config with two more keys.
    var parsed = JSON.parse(text);
    var config = Object.assign({}, parsed.config, {responsive: true, typesetMath: false});
    return {data: parsed.figure.data, layout: parsed.figure.layout, config: config};
  }

  function graphRef(element) {
    // The Graph keeps its plot <div> in a React ref: pointing the ref at ours hands it over.
    var key = Object.keys(element).find(function (name) {
      return name.indexOf("__reactFiber$") === 0;
    });
    var ref = key && element[key].ref;
    return ref && typeof ref === "object" && ref.current === element ? ref : null;
  }

  function handOver(target) {
    var ref = graphRef(target);
    handed = true;
    observer.disconnect();
    if (page.isConnected) page.remove();
    if (ref === null) {
      // No way in (another Dash): the Graph draws its own plot, ours goes.
      window.Plotly.react = react;
      window.Plotly.purge(gd);
      gd.remove();
      return target;
    }
    gd.classList.remove("r2k-first-plot");
    gd.classList.add.apply(gd.classList, Array.from(target.classList));
    gd.style.cssText = target.style.cssText;
    target.replaceWith(gd);
    ref.current = gd;
    window.requestAnimationFrame(rememberTop);
    return gd;
  }

  function sameFigure(figure) {
    // plotly.js redraws on new objects for equal templates and trace metas, so an equal
    // figure is answered with the objects already drawn.
    var drawn = figureOf(shipped);
    return (
      JSON.stringify(figure.data) === JSON.stringify(drawn.data) &&
      JSON.stringify(figure.layout) === JSON.stringify(drawn.layout)
    );
  }

  // Dash shows a pending <div id="price-chart"> until the Graph's code has arrived, then the
  // Graph's own container: the plot moves into the first and takes the place of the Graph's
  // plot <div> in the second, in the task of React's change, before the browser paints.
  var observer = new MutationObserver(function () {
    var container = document.querySelector("#react-entry-point #" + CSS.escape(chartId));
    if (handed || !container) return;
    var plotDiv = container.lastElementChild;
    if (plotDiv && plotDiv !== gd && graphRef(plotDiv)) {
      handOver(plotDiv);
    } else if (gd.parentElement !== container) {
      container.appendChild(gd);
      page.remove();
      window.requestAnimationFrame(rememberTop);
    }
  });

  window.Plotly.react = function (target, figure) {
    var args = Array.prototype.slice.call(arguments);
    if (!handed && target !== gd && target.parentElement && target.parentElement.id === chartId) {
      args[0] = handOver(target);
    }
    if (args[0] !== gd) return react.apply(this, args);
    window.Plotly.react = react; // the Graph's first call, all this is for
    gd.removeListener("plotly_relayout", rememberZoom);
    if (figure && figure.data && sameFigure(figure)) {
      args[1] = {data: gd.data, layout: gd.layout, frames: figure.frames, config: figure.config};
    }
    var drawn = react.apply(this, args);
    if (earlyZoom !== null) {
      // The Graph binds its listeners when this promise settles; the timeout comes after.
      drawn.then(function () {
        setTimeout(function () {
          gd.emit("plotly_relayout", earlyZoom);
        });
      });
    }
    return drawn;
  };

  function rememberZoom(update) {
    var movesTime = Object.keys(update || {}).some(function (key) {
      return key.indexOf("xaxis.") === 0;
    });
    if (movesTime) earlyZoom = update;
  }

  // Marks for bench/first_paint.py: when this script ran and when the plot was drawn.
  performance.mark("r2k-first-chart-start");
  reserveRoom();
  var first = figureOf(shipped);
  window.Plotly.newPlot(gd, first.data, first.layout, first.config);
  performance.mark("r2k-first-chart-drawn");
  gd.on("plotly_relayout", rememberZoom);
  observer.observe(document.body, {childList: true, subtree: true});
})();
