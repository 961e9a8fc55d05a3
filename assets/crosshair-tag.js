// The crosshair's price tag: the value under the cursor, on the right-hand axis of the
// panel the cursor is in, as TradingView shows it. Plotly's unified hover labels the date
// but not the price, so this small tag follows the mouse over the price chart.
(function () {
  function decimalsOf(axis) {
    var match = /\.(\d+)f/.exec(axis.hoverformat || axis.tickformat || "");
    return match ? Number(match[1]) : 2;
  }

  function compact(value) {
    var units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(value) >= units[i][0]) {
        return (value / units[i][0]).toFixed(1) + units[i][1];
      }
    }
    return value.toFixed(0);
  }

  function text(axis, value) {
    var shown = axis.tickformat === "~s" ? compact(value) : value.toLocaleString("en-US", {
      minimumFractionDigits: decimalsOf(axis),
      maximumFractionDigits: decimalsOf(axis),
    });
    return shown.replace("-", "\u2212");
  }

  function tagOf(graph) {
    var tag = graph.querySelector(".r2k-price-tag");
    if (!tag) {
      tag = document.createElement("div");
      tag.className = "r2k-price-tag";
      graph.appendChild(tag);
    }
    return tag;
  }

  document.addEventListener("mousemove", function (event) {
    var container = document.getElementById("price-chart");
    if (!container) return;
    var tag = tagOf(container);
    var drag = event.target.closest ? event.target.closest("#price-chart .nsewdrag") : null;
    var gd = drag && drag.closest(".js-plotly-plot");
    var subplot = drag && drag.getAttribute("data-subplot");
    var axis = gd && subplot && gd._fullLayout["yaxis" + subplot.slice(2)];
    if (!axis) {
      tag.hidden = true;
      return;
    }
    var box = gd.getBoundingClientRect();
    var pixel = event.clientY - box.top - axis._offset;
    var linear = axis.p2l(pixel);
    var value = axis.type === "log" ? Math.pow(10, linear) : linear;
    var holder = container.getBoundingClientRect();
    tag.textContent = text(axis, value);
    tag.style.left = box.left - holder.left + gd._fullLayout._size.l + gd._fullLayout._size.w + "px";
    tag.style.top = event.clientY - holder.top + "px";
    tag.hidden = false;
  });
})();
