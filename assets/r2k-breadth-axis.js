// The breadth panel under the index chart shares the price chart's dates: a zoom or a pan
// on either moves the other to the same range, and a newly drawn figure (a range preset,
// another as-of date, the theme) on either takes the price chart's range. Plotly's own axis
// linking works only within one figure, and the two are separate graphs.
(function () {
  var PRICE = "#price-chart .js-plotly-plot";
  var BREADTH = "#breadth-chart .js-plotly-plot";

  function drawn(gd) {
    // Plotted to the end: a relayout in the middle of a draw (subplots without their layers
    // yet) throws inside plotly.js and leaves that graph broken.
    var plots = gd && gd._fullLayout && gd._fullLayout.xaxis && gd._fullLayout._plots;
    var subplots = plots ? Object.keys(plots) : [];
    var complete = subplots.length > 0 && subplots.every(function (id) {
      return plots[id].gridlayer;
    });
    return complete && gd.offsetParent !== null ? gd : null;
  }

  function rangeOf(gd) {
    var axis = gd._fullLayout.xaxis;
    return axis.range ? [axis.range[0], axis.range[1]] : null;
  }

  function sameRange(gd, range) {
    var axis = gd._fullLayout.xaxis;
    var current = rangeOf(gd);
    if (!current) return false;
    var tolerance = Math.abs(axis.r2l(range[1]) - axis.r2l(range[0])) * 1e-6;
    return [0, 1].every(function (end) {
      return Math.abs(axis.r2l(current[end]) - axis.r2l(range[end])) <= tolerance;
    });
  }

  function follow(source, target) {
    source = drawn(source);
    if (target && source && !drawn(target)) target._r2kPendingFrom = source;
    target = drawn(target);
    var range = source && rangeOf(source);
    if (!target || !range || sameRange(target, range)) return;
    // The relayout this causes on the target is ours: it must not echo back to the source.
    target._r2kFollowing = true;
    window.Plotly.relayout(target, { "xaxis.range": range });
  }

  function movesTime(update) {
    return Object.keys(update || {}).some(function (key) {
      return /^xaxis\d*\./.test(key);
    });
  }

  function link(gd, onRelayout, onReact) {
    if (!gd || !gd.on || gd._r2kBreadthAxis) return false;
    gd._r2kBreadthAxis = true;
    gd.on("plotly_relayout", function (update) {
      if (gd._r2kFollowing) {
        gd._r2kFollowing = false;
      } else if (movesTime(update)) {
        onRelayout();
      }
    });
    gd.on("plotly_react", onReact);
    gd.on("plotly_afterplot", function () {
      // A graph that was still being drawn when the other moved follows once it is drawn.
      var source = gd._r2kPendingFrom;
      if (source) {
        gd._r2kPendingFrom = null;
        setTimeout(function () {
          follow(source, gd);
        });
      }
    });
    return true;
  }

  function price() {
    return document.querySelector(PRICE);
  }

  function breadth() {
    return document.querySelector(BREADTH);
  }

  function priceToBreadth() {
    follow(price(), breadth());
  }

  function breadthToPrice() {
    follow(breadth(), price());
  }

  // The graphs are plotted (and given .on) after the page's scripts run: link each once
  // it is, and align the breadth panel as soon as both exist.
  new MutationObserver(function () {
    var linked = link(price(), priceToBreadth, priceToBreadth);
    linked = link(breadth(), breadthToPrice, priceToBreadth) || linked;
    if (linked) priceToBreadth();
  }).observe(document.body, { childList: true, subtree: true });
})();
