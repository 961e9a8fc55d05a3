"""The price chart in headless Chromium: its size holds, and it behaves as traders expect.

Each test starts its own app on the demo market. Screenshots go to test-output/screenshots.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app import create_app
from settings import Settings
from tests.browser import (
    CHART_TITLE,
    price_axis_range,
    wait_for_dash_chart,
    wait_for_price_axis_change,
    wait_until,
)

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#price-chart .js-plotly-plot')"


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _height(dash_duo, selector: str = "#price-chart") -> float:
    return dash_duo.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().height;", selector
    )


def _x_range(dash_duo) -> list[str]:
    return dash_duo.driver.execute_script(f"return {GRAPH}._fullLayout.xaxis.range.slice();")


def _open(dash_duo, app, query: str = "") -> None:
    dash_duo.start_server(app)
    if query:
        dash_duo.driver.get(dash_duo.server_url + "/" + query)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    wait_for_dash_chart(dash_duo)


def test_a_zoom_on_the_first_chart_keeps_its_size(dash_duo, demo_app, screenshot_dir):
    _open(dash_duo, demo_app)
    before = _height(dash_duo)
    assert before == 720
    assert _height(dash_duo, "#price-chart .main-svg") == 720
    start = _x_range(dash_duo)
    zoom_in = dash_duo.find_element("#price-chart .modebar-btn[data-val='in']")
    dash_duo.driver.execute_script("arguments[0].click();", zoom_in)
    wait_until(lambda: _x_range(dash_duo) != start, message="the toolbar zoom")
    plot = dash_duo.find_element("#price-chart .nsewdrag")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", plot)
    ActionChains(dash_duo.driver).move_to_element(plot).click_and_hold().pause(0.2).move_by_offset(
        -150, 0
    ).pause(0.2).release().perform()
    wait_until(
        lambda: dash_duo.driver.execute_script(
            "return document.querySelector('#price-chart').dataset.dashIsLoading === undefined;"
        ),
        message="the relayout settled",
    )
    assert _height(dash_duo) == before
    assert _height(dash_duo, "#price-chart .main-svg") == before
    dash_duo.driver.save_screenshot(str(screenshot_dir / "chart-after-zoom.png"))


def test_a_redrawn_chart_is_the_size_of_the_first(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    first = _height(dash_duo, "#price-chart .main-svg")
    ticker = dash_duo.find_element("#ticker-input")
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("DEMO-LARGE", Keys.ENTER)
    wait_until(lambda: "DEMO-LARGE" in dash_duo.find_element(CHART_TITLE).text, message="redraw")
    assert _height(dash_duo, "#price-chart .main-svg") == first == 720


def _screenshot(dash_duo, path, width: int = 1400) -> None:
    dash_duo.driver.set_window_size(width, 1000)
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"
        "document.querySelector('#price-chart').scrollIntoView({block: 'start'});"
    )
    dash_duo.driver.save_screenshot(str(path))


@pytest.mark.parametrize("dark", [False, True])
def test_the_chart_at_1400px_in_both_themes(dash_duo, demo_app, screenshot_dir, dark):
    _open(dash_duo, demo_app)
    dash_duo.driver.set_window_size(1400, 1000)
    if dark:
        dash_duo.find_element("#theme-switch").click()
        wait_until(
            lambda: (
                dash_duo.driver.execute_script(
                    f"return {GRAPH}._fullLayout.template.layout.paper_bgcolor;"
                )
                == "rgb(17,17,17)"
            ),
            message="the dark figure",
        )
    config = dash_duo.driver.execute_script(f"return {GRAPH}._context.toImageButtonOptions;")
    assert config["filename"].startswith("DEMO-R2K_20") and "Simulated" in config["filename"]
    subtitle = dash_duo.find_element("#price-chart .gtitle-subtitle").text
    assert "as of 20" in subtitle and "Simulated demo market" in subtitle
    _screenshot(dash_duo, screenshot_dir / f"chart-1400-{'dark' if dark else 'light'}.png")


def test_zooming_in_fits_the_price_axis_to_the_bars_in_view(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    whole = price_axis_range(dash_duo)
    low, high = dash_duo.driver.execute_script(
        f"const gd = {GRAPH}; const c = gd._fullData[0]; const n = c.x.length;"
        "Plotly.relayout(gd, {'xaxis.range': [c.x[n - 12], c.x[n - 1]]});"
        "return [Math.min(...Array.from(c.low).slice(n - 12)),"
        " Math.max(...Array.from(c.high).slice(n - 12))];"
    )
    fitted = wait_for_price_axis_change(dash_duo, whole)
    pad = (high - low) * 0.05
    assert fitted == pytest.approx([low - pad, high + pad])
    assert _height(dash_duo) == 720


def test_hovering_a_bar_reads_ohlc_and_every_panel(dash_duo, demo_app, screenshot_dir):
    _open(dash_duo, demo_app)
    plot = dash_duo.find_element("#price-chart .nsewdrag")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", plot)
    ActionChains(dash_duo.driver).move_to_element(plot).move_by_offset(100, 0).perform()
    text = wait_until(
        lambda: dash_duo.find_element("#price-chart .hoverlayer .legend").text,
        message="the hover readout",
    )
    week, candle, *panels = text.split("\n")
    assert week.startswith("Week of ")
    assert candle.startswith("O ") and "  H " in candle and "  C " in candle and "  Vol " in candle
    names = {line.split(" : ")[0] for line in panels}
    assert {"MACD hist", "MACD", "Signal", "RSI 14", "SMA 50"} <= names  # every panel, one bar
    dash_duo.driver.save_screenshot(str(screenshot_dir / "chart-hover.png"))


def test_a_shared_compare_link_opens_on_the_relative_tab(dash_duo, demo_app, screenshot_dir):
    _open(dash_duo, demo_app, "?ticker=DEMO-R2K&compare=DEMO-LARGE")
    wait_until(
        lambda: dash_duo.find_element("#chart-tabs .nav-link.active").text == "Relative",
        message="the Relative tab active",
    )
    title = dash_duo.find_element("#compare-chart .gtitle").text
    assert "DEMO-R2K vs DEMO-LARGE" in title
    annotations = [
        a.text
        for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#compare-chart .annotation-text")
    ]
    assert any(text.startswith("Ratio DEMO-R2K / DEMO-LARGE") for text in annotations)
    assert _height(dash_duo, "#compare-chart") == 720
    assert not dash_duo.find_element("#price-chart").is_displayed()
    assert "Source: Simulated demo market" not in dash_duo.find_element("footer").text
    assert "simulated demo market" in dash_duo.find_element("footer").text
    dash_duo.driver.save_screenshot(str(screenshot_dir / "chart-compare-link.png"))
    dash_duo.find_element("#chart-tabs .nav-link:not(.active)").click()
    wait_until(lambda: dash_duo.find_element("#price-chart").is_displayed(), message="price tab")
    assert _height(dash_duo) == 720


def test_a_row_click_leaves_the_chart_height_and_the_row_where_they_were(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    row = wait_until(
        lambda: dash_duo.driver.find_elements(
            By.CSS_SELECTOR, "#movers-slot .ag-pinned-left-cols-container .ag-row [col-id='ticker']"
        )[2],
        message="the movers rows",
    )
    ticker = row.text
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"
        "arguments[0].scrollIntoView({block: 'center'});",
        row,
    )
    scrolled = dash_duo.driver.execute_script("return window.scrollY;")
    top = lambda: dash_duo.driver.execute_script(  # noqa: E731
        "return document.querySelector(arguments[0]).getBoundingClientRect().top;",
        f"#movers-slot .ag-pinned-left-cols-container [row-id='{ticker}']",
    )
    at = top()
    row.click()
    wait_until(lambda: ticker in dash_duo.find_element(CHART_TITLE).text, message="the new chart")
    assert _height(dash_duo) == 720
    assert top() == pytest.approx(at, abs=1)
    assert dash_duo.driver.execute_script("return window.scrollY;") == scrolled


def test_a_channel_window_out_of_range_is_named_not_silently_replaced(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    channel = dash_duo.find_element("#channel-input")
    channel.send_keys(Keys.CONTROL, "a")
    channel.send_keys("600", Keys.ENTER)
    note = wait_until(lambda: dash_duo.find_element("#ignored-params").text, message="the note")
    assert "“600” refused" in note and "8 to 520" in note and "kept 104" in note
    assert "channel=104" in dash_duo.driver.current_url
    wait_until(
        lambda: dash_duo.find_element("#channel-input").get_attribute("value") == "104",
        message="the input back at 104",
    )


def test_the_ticker_box_completes_from_the_universe(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    options = wait_until(
        lambda: dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('#ticker-options option')]"
            ".map(o => [o.value, o.label]);"
        ),
        message="the completions",
    )
    assert options[0] == ["DEMO-R2K", "index"] and len(options) > 1000
    assert dash_duo.find_element("#ticker-input").get_attribute("list") == "ticker-options"
    ticker, name = options[5]
    assert ticker.endswith(".DM") and name
    box = dash_duo.find_element("#ticker-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(ticker, Keys.ENTER)
    wait_until(lambda: ticker in dash_duo.find_element(CHART_TITLE).text, message="its chart")
    assert f"ticker={ticker}" in dash_duo.driver.current_url


THEME_AT_FIRST_PAINT = """
document.addEventListener("DOMContentLoaded", () => {
  window.__themeAtLoad = document.documentElement.getAttribute("data-bs-theme");
  window.__bodyAtLoad = getComputedStyle(document.body).backgroundColor;
});
"""


def test_a_reload_in_the_dark_theme_is_dark_before_dash_starts(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    dash_duo.find_element("#theme-switch").click()
    wait_until(
        lambda: (
            dash_duo.driver.execute_script(
                "return document.documentElement.getAttribute('data-bs-theme');"
            )
            == "dark"
        ),
        message="the dark theme",
    )
    dash_duo.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": THEME_AT_FIRST_PAINT}
    )
    dash_duo.driver.refresh()
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    assert dash_duo.driver.execute_script("return window.__themeAtLoad;") == "dark"
    assert dash_duo.driver.execute_script("return window.__bodyAtLoad;") == "rgb(33, 37, 41)"
    assert dash_duo.get_logs() == []


def test_the_crosshair_tags_the_price_under_the_cursor_on_the_axis(dash_duo, demo_app):
    _open(dash_duo, demo_app)
    plot = dash_duo.find_element("#price-chart .nsewdrag[data-subplot='xy']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", plot)
    ActionChains(dash_duo.driver).move_to_element(plot).move_by_offset(50, 0).perform()
    tag = wait_until(
        lambda: (t := dash_duo.find_element("#price-chart .r2k-price-tag")).is_displayed() and t,
        message="the price tag",
    )
    low, high = dash_duo.driver.execute_script(f"return {GRAPH}._fullLayout.yaxis.range.slice();")
    value = float(tag.text.replace(",", ""))
    assert low < value < high and len(tag.text.split(".")[1]) == 2
    size = plot.size
    prices = []
    for fraction in (0.2, 0.8):  # high on the panel, then low
        ActionChains(dash_duo.driver).move_to_element_with_offset(
            plot, size["width"] // 3, int(size["height"] * fraction)
        ).perform()
        shown = tag.text
        prices.append(float(shown.replace(",", "")))
    assert prices[0] > prices[1]
    volume = dash_duo.find_element("#price-chart .nsewdrag[data-subplot='xy2']")
    ActionChains(dash_duo.driver).move_to_element(volume).perform()
    wait_until(lambda: tag.text[-1] in "KMB", message="a volume tag")


def _viewport(dash_duo, width: int) -> None:
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 576},
    )


def _boxes(dash_duo, chart: str) -> dict[str, list[float]]:
    """The chart's title, caption, legend, toolbar and price panel as [left, top, right,
    bottom]; a part not shown (the toolbar on a phone) is left out."""
    return dash_duo.driver.execute_script(
        """
        const chart = document.querySelector(arguments[0]);
        const parts = {title: '.gtitle', caption: '.gtitle-subtitle',
                       legend: '.infolayer .legend', toolbar: '.modebar', plot: '.nsewdrag',
                       graph: '.main-svg'};
        const boxes = {};
        for (const [name, selector] of Object.entries(parts)) {
            const element = chart.querySelector(selector);
            const box = element && element.getBoundingClientRect();
            if (box && box.width > 0 && box.height > 0) {
                boxes[name] = [box.left, box.top, box.right, box.bottom];
            }
        }
        const own = chart.getBoundingClientRect();
        boxes.chart = [own.left, own.top, own.right, own.bottom];
        return boxes;
        """,
        chart,
    )


def _settled_boxes(dash_duo, chart: str) -> dict[str, list[float]]:
    """The boxes once the figure fills its resized container and stays as it is."""
    last: list[dict[str, list[float]]] = []

    def settled() -> dict[str, list[float]] | None:
        boxes = _boxes(dash_duo, chart)
        fits = "graph" in boxes and abs(boxes["graph"][2] - boxes["chart"][2]) < 2
        same = bool(last) and last[-1] == boxes
        last.append(boxes)
        return boxes if fits and same else None

    return wait_until(settled, message=f"{chart} settled at its width")


def _overlapping(boxes: dict[str, list[float]]) -> list[str]:
    names = ["title", "caption", "legend", "toolbar", "plot"]
    found = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = boxes.get(first), boxes.get(second)
            if a and b and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                found.append(f"{first}/{second}")
    graph = boxes["graph"]
    found += [f"{name} outside" for name in names if name in boxes and boxes[name][2] > graph[2]]
    return found


@pytest.mark.parametrize("dark", [False, True])
def test_title_caption_legend_and_toolbar_never_overlap(dash_duo, demo_app, screenshot_dir, dark):
    _open(dash_duo, demo_app, "?ind=sma50,channel,bbands,volume,macd,rsi,rates")
    if dark:
        dash_duo.find_element("#theme-switch").click()
    for chart in ("#price-chart", "#compare-chart"):
        if chart == "#compare-chart":
            relative = dash_duo.find_element("#chart-tabs .nav-link:not(.active)")
            dash_duo.driver.execute_script("arguments[0].click();", relative)
        wait_until(
            lambda chart=chart: "legend" in _boxes(dash_duo, chart),
            message=f"{chart} drawn",
        )
        for width in (390, 768, 1400, 1920):
            _viewport(dash_duo, width)
            boxes = _settled_boxes(dash_duo, chart)
            assert {"title", "caption", "legend", "plot"} <= set(boxes), (chart, width)
            assert ("toolbar" in boxes) == (width >= 576), (chart, width)
            assert _overlapping(boxes) == [], (chart, width, boxes)
            name = f"chart-frame-{chart[1:]}-{width}-{'dark' if dark else 'light'}.png"
            dash_duo.driver.save_screenshot(str(screenshot_dir / name))


def test_the_relative_chart_exports_a_png_named_and_captioned_with_what_it_shows(
    dash_duo, demo_app, tmp_path
):
    _open(dash_duo, demo_app)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    relative = dash_duo.find_element("#chart-tabs .nav-link:not(.active)")
    dash_duo.driver.execute_script("arguments[0].click();", relative)
    caption = wait_until(
        lambda: dash_duo.find_element("#compare-chart .gtitle-subtitle").text,
        message="the relative chart's caption",
    )
    as_of = caption.split("as of ")[1][:10]
    assert "Source: Simulated demo market" in caption and as_of.startswith("20")
    assert dash_duo.find_element("#compare-chart .gtitle").text == "DEMO-R2K vs DEMO-LARGE"
    camera = dash_duo.find_element(
        "#compare-chart .modebar-btn[data-title='Download plot as a PNG']"
    )
    dash_duo.driver.execute_script("arguments[0].click();", camera)
    name = f"DEMO-R2K-vs-DEMO-LARGE_{as_of}_Simulated-demo-market.png"
    path = wait_until(lambda: (tmp_path / name).exists() and tmp_path / name, message=name)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
