// Starts Dash once the page's first chart is on screen (see components/dash_start.py): Dash's
// script elements wait in a <template>, and live copies of them go into the page, the
// external ones fetched side by side and run in their order, then the inline ones
// (clientside callbacks, then `new DashRenderer()`), as the page listing them would run them.
// Loaded after first-chart.js, so the chart is drawn when this runs.
(function () {
  var held = document.getElementById("r2k-dash-scripts");
  if (!held) return;
  var started = false;

  function live(script) {
    // A script parsed inside a <template> never runs, nor does a clone of it: copy it.
    var copy = document.createElement("script");
    Array.prototype.forEach.call(script.attributes, function (attribute) {
      copy.setAttribute(attribute.name, attribute.value);
    });
    copy.textContent = script.textContent;
    return copy;
  }

  function start() {
    if (started) return;
    started = true;
    var scripts = Array.prototype.slice.call(held.content.querySelectorAll("script"));
    var external = scripts.filter(function (script) {
      return script.hasAttribute("src");
    });
    var inline = scripts.filter(function (script) {
      return !script.hasAttribute("src");
    });
    var pending = external.length;
    var runInline = function () {
      inline.forEach(function (script) {
        document.body.appendChild(live(script));
      });
    };
    var settled = function () {
      pending -= 1;
      if (pending === 0) runInline();
    };
    if (pending === 0) runInline();
    external.forEach(function (script) {
      var copy = live(script);
      copy.async = false; // fetched side by side, run in the page's order
      copy.addEventListener("load", settled);
      copy.addEventListener("error", settled);
      document.body.appendChild(copy);
    });
  }

  // A frame's callbacks run before it paints and the timeout after it, so the chart is
  // painted before Dash's scripts take the main thread. A hidden tab runs no frames: the
  // second timeout starts Dash there.
  window.requestAnimationFrame(function () {
    window.setTimeout(start, 0);
  });
  window.setTimeout(start, 200);
})();
