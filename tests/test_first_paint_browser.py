"""The first chart in headless Chromium: drawn once, before Dash mounts, then Dash's.

A script installed before any page script records every plotly.js draw of the price chart:
``Plotly.newPlot`` and ``Plotly.react`` calls on a plot that has none yet (fresh draws),
and each task in which the candlesticks' SVG paths were written (what any redraw does).
Screenshots go to test-output/screenshots.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from app import create_app
from components import ids
from components.early_theme import PERSISTENCE_KEY
from settings import Settings
from tests.browser import (
    price_axis_range,
    wait_for_dash_chart,
    wait_for_price_axis_change,
    wait_until,
)

pytestmark = pytest.mark.browser

RECORDER = """
(() => {
  const chart = "PRICE_CHART";
  const record = window.__r2kDraws = {fresh: 0, writes: 0, candles: null, dash: null, svg: null};
  const inChart = (gd) => Boolean(gd && gd.closest && gd.closest("#" + chart));
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: () => plotly,
    set: (value) => {
      plotly = value;
      for (const name of ["newPlot", "react"]) {
        const draw = value[name];
        value[name] = function (gd) {
          if (inChart(gd) && (name === "newPlot" || !gd._fullLayout)) record.fresh += 1;
          return draw.apply(this, arguments);
        };
      }
    },
  });
  new MutationObserver((changes) => {
    const candles = document.querySelector("#" + chart + " .main-svg .boxlayer .trace");
    if (candles && record.candles === null) {
      record.candles = performance.now();
      record.svg = candles.ownerSVGElement;
    }
    if (record.dash === null && document.querySelector("#react-entry-point #" + chart)) {
      record.dash = performance.now();
    }
    if (changes.some((c) => c.target.closest && c.target.closest("#" + chart + " .boxlayer"))) {
      record.writes += 1;
    }
  }).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ["d"]});
})();
""".replace("PRICE_CHART", ids.PRICE_CHART)
DASH_CHART = f"#react-entry-point #{ids.PRICE_CHART}"
TITLE = f"{DASH_CHART} .gtitle"


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _record(dash_duo) -> dict:
    return dash_duo.driver.execute_script(
        "const {svg, ...numbers} = window.__r2kDraws; return numbers;"
    )


def _open_recorded(dash_duo, app, query: str = "", before: str = "") -> None:
    """Start ``app``, then load the page with the recorder (and ``before``) in place."""
    dash_duo.start_server(app)
    dash_duo.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": before + RECORDER}
    )
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    dash_duo.wait_for_element(TITLE, timeout=30)
    # Dash has mounted the Graph; it listens to the plot once its first Plotly.react is done.
    wait_for_dash_chart(dash_duo, DASH_CHART)


def _size(dash_duo) -> list[float]:
    return dash_duo.driver.execute_script(
        "const r = document.querySelector(arguments[0] + ' .main-svg').getBoundingClientRect();"
        "return [r.width, r.height];",
        DASH_CHART,
    )


def test_the_first_chart_is_drawn_once_before_dash_and_handed_to_the_graph(
    dash_duo, demo_app, screenshot_dir
):
    _open_recorded(dash_duo, demo_app)
    dash_duo.driver.execute_script("return new Promise((done) => setTimeout(done, 1000));")

    record = _record(dash_duo)
    assert record["candles"] < record["dash"], "the chart is on screen before Dash mounts"
    assert record["fresh"] == 1, "one fresh plotly.js draw of the price chart"
    assert record["writes"] == 1, "the candlesticks were drawn once: no redraw on handover"
    plots = dash_duo.driver.execute_script(
        "return document.querySelectorAll(arguments[0] + ' .js-plotly-plot').length;",
        f"#{ids.PRICE_CHART}",
    )
    assert plots == 1, "one plot in the chart card: the early one, now the Graph's"
    assert dash_duo.driver.execute_script(
        "return document.getElementById(arguments[0]) === null"
        " && document.querySelectorAll('#' + arguments[1]).length === 1"
        " && window.__r2kDraws.svg.isConnected"
        " && document.querySelector(arguments[2] + ' .main-svg') === window.__r2kDraws.svg;",
        ids.FIRST_CHART_PAGE,
        ids.PRICE_CHART,
        DASH_CHART,
    ), "the SVG drawn first is the one in Dash's Graph; the early box is gone"
    first_size = _size(dash_duo)
    dash_duo.driver.save_screenshot(str(screenshot_dir / "first-chart-handed-over.png"))

    ticker = dash_duo.find_element(f"#{ids.TICKER_INPUT}")
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("DEMO-LARGE", Keys.ENTER)
    wait_until(lambda: "DEMO-LARGE" in dash_duo.find_element(TITLE).text, message="a redraw")

    assert _record(dash_duo)["writes"] > 1, "the callback's figure is drawn"
    assert _size(dash_duo) == first_size, "a redrawn chart has the first one's size"
    assert first_size[1] == 720


def test_dash_scripts_are_fetched_after_the_first_chart_is_drawn(dash_duo, demo_app):
    violations = (
        "window.__r2kViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (event) => window.__r2kViolations.push(event.violatedDirective));"
    )
    _open_recorded(dash_duo, demo_app, before=violations)

    drawn = _record(dash_duo)["candles"]
    fetched = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter((entry) => entry.name.includes('/_dash-component-suites/'))"
        ".map((entry) => [entry.name.split('/').pop(), entry.startTime]);"
    )
    names = [name for name, _ in fetched]
    assert any(name.startswith("dash_renderer") for name in names), "Dash's scripts loaded"
    assert any(name.startswith("react-dom@18") for name in names)
    early = [name for name, started in fetched if started < drawn]
    assert early == [], f"fetched before the first chart was drawn at {drawn:.0f} ms: {early}"
    assert dash_duo.driver.execute_script("return window.__r2kViolations;") == []
    assert dash_duo.driver.execute_script("return typeof window.renderer;") == "object"
    assert dash_duo.get_logs() == [], "no script error"


def test_the_first_chart_keeps_the_graphs_events(dash_duo, demo_app):
    """After the handover, plotly.js events reach Dash: a zoom refits the price axis."""
    _open_recorded(dash_duo, demo_app)
    whole = price_axis_range(dash_duo, DASH_CHART)

    dash_duo.driver.execute_script(
        f"const gd = document.querySelector('{DASH_CHART} .js-plotly-plot');"
        "const x = gd._fullData[0].x; const n = x.length;"
        "Plotly.relayout(gd, {'xaxis.range': [x[n - 12], x[n - 1]]});"
    )

    fitted = wait_for_price_axis_change(dash_duo, whole, DASH_CHART)
    assert fitted[1] - fitted[0] < whole[1] - whole[0]


EARLY_ZOOM = """
document.addEventListener("DOMContentLoaded", () => {
  const gd = document.querySelector(".r2k-first-plot");
  const bars = gd._fullData[0];
  const n = bars.x.length;
  window.__r2kEarlyZoom = {
    dashUp: document.querySelector("#react-entry-point #PRICE_CHART") !== null,
    whole: gd._fullLayout.yaxis.range.slice(),
    low: Math.min(...Array.from(bars.low).slice(n - 12)),
    high: Math.max(...Array.from(bars.high).slice(n - 12)),
  };
  Plotly.relayout(gd, {"xaxis.range": [bars.x[n - 12], bars.x[n - 1]]});
});
""".replace("PRICE_CHART", ids.PRICE_CHART)


def test_a_zoom_on_the_early_chart_is_fitted_once_the_graph_takes_over(dash_duo, demo_app):
    """A zoom made before Dash starts (seconds, on a slow network) reaches the Graph's fit."""
    _open_recorded(dash_duo, demo_app, before=EARLY_ZOOM)
    early = dash_duo.driver.execute_script("return window.__r2kEarlyZoom;")
    assert early["dashUp"] is False, "the zoom was made on the early chart"

    fitted = wait_for_price_axis_change(dash_duo, early["whole"], DASH_CHART)
    pad = (early["high"] - early["low"]) * 0.05
    assert fitted == pytest.approx([early["low"] - pad, early["high"] + pad])


def test_a_dark_page_leaves_the_chart_to_the_graph(dash_duo, demo_app, screenshot_dir):
    dark = f"window.localStorage.setItem('{PERSISTENCE_KEY}', JSON.stringify([true, false]));"

    _open_recorded(dash_duo, demo_app, before=dark)
    wait_until(
        lambda: (
            dash_duo.driver.execute_script(
                f"return document.querySelector('{DASH_CHART} .js-plotly-plot')"
                "._fullLayout.template.layout.paper_bgcolor;"
            )
            == "rgb(17,17,17)"
        ),
        message="the dark figure",
    )

    record = _record(dash_duo)
    assert record["candles"] >= record["dash"], "no light chart drawn on the dark page"
    assert dash_duo.driver.execute_script(
        "return document.getElementById(arguments[0]) === null;", ids.FIRST_CHART_PAGE
    )
    dash_duo.driver.save_screenshot(str(screenshot_dir / "first-chart-dark.png"))


TOPS = """
window.__r2kTops = [];
new MutationObserver(() => {
  const gd = document.querySelector(".r2k-first-plot")
    || document.querySelector("#react-entry-point #PRICE_CHART .js-plotly-plot");
  if (gd && gd._fullLayout) window.__r2kTops.push(gd.getBoundingClientRect().top + scrollY);
}).observe(document, {childList: true, subtree: true});
""".replace("PRICE_CHART", ids.PRICE_CHART)


def _chart_tops(dash_duo) -> list[float]:
    """Where the chart's top was in the page at each change of the page from its first draw,
    then where it settled (on a loaded machine the page may still change after a second)."""
    dash_duo.driver.execute_script("return new Promise((done) => setTimeout(done, 1000));")
    seen: list[float] = []

    def settled() -> float | None:
        seen.append(
            dash_duo.driver.execute_script(
                "const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
                "return gd.getBoundingClientRect().top + scrollY;",
                DASH_CHART,
            )
        )
        return seen[-1] if len(seen) >= 10 and len(set(seen[-10:])) == 1 else None

    top = wait_until(settled, message="the chart's place settled")
    return [*dash_duo.driver.execute_script("return window.__r2kTops;"), top]


@pytest.mark.parametrize("width", [390, 1400])
def test_the_first_chart_is_drawn_where_the_page_puts_it(dash_duo, demo_app, width):
    """No jump when Dash renders the header and controls above it: within a few pixels on
    a return visit (the last one measured the place), within the stylesheet's estimate on
    a first one."""
    dash_duo.driver.set_window_size(width, 900)
    _open_recorded(dash_duo, demo_app, before=TOPS)
    first = _chart_tops(dash_duo)
    assert first and max(first) - min(first) <= 40, "the stylesheet's estimate (or a visit's)"

    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element(TITLE, timeout=30)
    again = _chart_tops(dash_duo)

    assert len(again) > 10 and max(again) - min(again) <= 4, "return visit: where it was"
    assert again[-1] == pytest.approx(first[-1], abs=1)


def test_the_date_pickers_are_as_tall_as_the_inputs_beside_them(dash_duo, demo_app):
    """Their code loads after the page appears: taller, they pushed the chart down by 3 px."""
    _open_recorded(dash_duo, demo_app)
    heights = wait_until(
        lambda: dash_duo.driver.execute_script(
            "const boxes = [...document.querySelectorAll('.dash-datepicker-input-wrapper')];"
            "const input = document.getElementById(arguments[0]);"
            "return boxes.length >= 2 && [input, ...boxes].map("
            "  (box) => box.getBoundingClientRect().height);",
            ids.CHANNEL_INPUT,
        ),
        message="the date pickers drawn",
    )
    assert heights[0] > 0 and set(heights) == {heights[0]}, heights


PLACES = """
window.__r2kPlaces = {};
new MutationObserver(() => {
  for (const label of document.querySelectorAll("#react-entry-point label")) {
    const box = label.getBoundingClientRect();
    const seen = (window.__r2kPlaces[label.textContent] ??= []);
    if (box.width && !seen.includes(box.left)) seen.push(box.left);
  }
}).observe(document, {childList: true, subtree: true, attributes: true});
"""


@pytest.mark.parametrize("query", ["", "?asof=2026-06-30&chend=2026-05-29&period=2026-01-02"])
@pytest.mark.parametrize("width", [1280, 1400])
def test_no_control_moves_sideways_when_the_date_pickers_load(dash_duo, demo_app, query, width):
    """The pickers' code loads after the controls appear: the controls beside them stay put."""
    dash_duo.driver.set_window_size(width, 900)
    _open_recorded(dash_duo, demo_app, query, before=PLACES)
    wait_until(
        lambda: len(dash_duo.driver.find_elements("css selector", ".r2k-date")) == 3,
        message="the date pickers drawn",
    )
    places = dash_duo.driver.execute_script("return window.__r2kPlaces;")
    assert {"Compare with", "Only sectors", "Exclude sectors"} <= places.keys()
    moved = {label: lefts for label, lefts in places.items() if len(lefts) > 1}
    assert moved == {}
