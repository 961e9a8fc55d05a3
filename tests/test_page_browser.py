"""The page in headless Chromium on the demo market: load, linked tables, URL, bad input.

Each test starts its own app (create_app with the demo source). Screenshots of the states
reached are saved under test-output/screenshots for people to look at.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import plotly.offline
import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app import create_app
from settings import Settings
from tests.browser import CHART_TITLE, visible_text, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _chart_title(dash_duo) -> str:
    return visible_text(dash_duo, CHART_TITLE)


def _grid_rows(dash_duo, grid_id):
    return dash_duo.driver.find_elements(
        By.CSS_SELECTOR, f"#{grid_id} .ag-center-cols-container .ag-row"
    )


def _grid_cells(dash_duo, grid_id, col_id):
    return [
        cell.text
        for cell in dash_duo.driver.find_elements(
            By.CSS_SELECTOR, f"#{grid_id} .ag-center-cols-container [col-id='{col_id}']"
        )
    ]


def _pinned_tickers(dash_duo, grid_id):
    return [
        cell.text
        for cell in dash_duo.driver.find_elements(
            By.CSS_SELECTOR, f"#{grid_id} .ag-pinned-left-cols-container [col-id='ticker']"
        )
    ]


def _click(dash_duo, element):
    # Bootstrap makes scrolling smooth (animated); a click mid-animation misses.
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"
        "arguments[0].scrollIntoView({block: 'center'});",
        element,
    )
    element.click()


def _click_row(dash_duo, grid_id, ticker):
    _click(
        dash_duo,
        dash_duo.find_element(
            f"#{grid_id} .ag-pinned-left-cols-container [row-id='{ticker}'] [col-id='ticker']"
        ),
    )


def _query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def _loaded(dash_duo):
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    wait_until(lambda: len(_grid_rows(dash_duo, "movers-slot")) >= 10, message="movers rows")
    wait_until(lambda: len(_grid_rows(dash_duo, "laggards-slot")) >= 10, message="laggard rows")


def test_page_loads_on_the_demo_market(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    assert "DEMO-R2K" in _chart_title(dash_duo)
    assert "Simulated data" in dash_duo.find_element("#source-banner").text
    assert "Simulated demo market" in dash_duo.find_element("#source-badge").text
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#price-chart .boxlayer .trace")
    assert "below" in dash_duo.find_element("#read-panel").text
    assert _query(dash_duo)["ticker"] == ["DEMO-R2K"]
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-demo.png"))
    assert dash_duo.get_logs() == []


def test_row_click_loads_ticker_and_marks_it_in_both_tables(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    top = _pinned_tickers(dash_duo, "movers-slot")[0]
    _click_row(dash_duo, "movers-slot", top)
    wait_until(lambda: top in _chart_title(dash_duo), message=f"chart of {top}")
    assert _query(dash_duo)["ticker"] == [top]
    selected = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-row-selected")
    assert selected and selected[0].get_attribute("row-id") == top
    laggard = _pinned_tickers(dash_duo, "laggards-slot")[-1]
    _click_row(dash_duo, "laggards-slot", laggard)
    wait_until(lambda: laggard in _chart_title(dash_duo), message=f"chart of {laggard}")
    wait_until(
        lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-row-selected"),
        message="the mover row unmarked",
    )
    marked = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#laggards-slot .ag-row-selected")
    assert {row.get_attribute("row-id") for row in marked} == {laggard}
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-row-click.png"))


def test_sector_click_filters_both_tables(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    bars = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#sector-chart .bars .point path")
    assert len(bars) == 11
    # Plotly takes clicks on its drag layer above the bars: click there, over the top bar.
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"  # no click mid-animation
        "arguments[0].scrollIntoView({block: 'center'});",
        bars[-1],
    )
    ActionChains(dash_duo.driver).move_to_element(bars[-1]).pause(0.3).click().perform()
    wait_until(lambda: _query(dash_duo).get("include"), message="include in the URL")
    sector = _query(dash_duo)["include"][0]
    for grid in ("movers-slot", "laggards-slot"):
        wait_until(
            lambda grid=grid: set(_grid_cells(dash_duo, grid, "sector")) == {sector},
            message=f"{grid} filtered to {sector}",
        )
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-sector-filter.png"))


def test_url_restores_the_view_and_controls_update_the_url(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    dash_duo.driver.get(
        dash_duo.server_url
        + "/?ticker=DEMO-R2K&interval=1d&range=2y&ind=sma50,rsi&channel=52&period=1m"
        "&exclude=Health+Care&asof=2026-06-30"
    )
    wait_until(
        lambda: dash_duo.find_element("#range-select").get_attribute("value") == "2y",
        message="range restored",
    )
    assert dash_duo.find_element("#channel-input").get_attribute("value") == "52"
    assert dash_duo.find_element("#as-of-date").get_attribute("value") == "2026-06-30"
    assert dash_duo.find_element("#exclude-biotech").is_selected()
    daily = dash_duo.find_element("#interval-radio input[value='1d']")
    assert daily.is_selected()
    wait_until(
        lambda: "Health Care" not in set(_grid_cells(dash_duo, "movers-slot", "sector")),
        message="Health Care excluded",
    )
    channel = dash_duo.find_element("#channel-input")
    channel.send_keys(Keys.CONTROL, "a")
    channel.send_keys("80", Keys.ENTER)
    wait_until(lambda: _query(dash_duo).get("channel") == ["80"], message="channel in the URL")
    query = _query(dash_duo)
    assert query["range"] == ["2y"] and query["period"] == ["1m"]
    assert query["asof"] == ["2026-06-30"] and query["exclude"] == ["Health Care"]


def test_script_in_the_url_is_shown_as_text_and_never_run(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    dash_duo.driver.get(
        dash_duo.server_url + "/?ticker=%3Cscript%3Ealert(1)%3C/script%3E&%3Cb%3Ebold%3C/b%3E=1"
        "&compare=%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E"
    )
    alert = wait_until(lambda: dash_duo.find_element("#ignored-params").text, message="the note")
    assert "“ticker”" in alert and "“<b>bold</b>”" in alert and "“compare”" in alert
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#ignored-params b, img")
    with pytest.raises(NoAlertPresentException):
        dash_duo.driver.switch_to.alert.text  # noqa: B018
    assert "DEMO-R2K" in _chart_title(dash_duo)
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-hostile-url.png"))


def test_unknown_ticker_shows_a_message_and_the_tables_still_work(
    dash_duo, demo_app, screenshot_dir
):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    ticker = dash_duo.find_element("#ticker-input")
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("NOPE", Keys.ENTER)
    wait_until(
        lambda: "NOPE" in dash_duo.find_element("#chart-message").text, message="the message"
    )
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-unknown-ticker.png"))
    top = _pinned_tickers(dash_duo, "movers-slot")[0]
    _click_row(dash_duo, "movers-slot", top)
    wait_until(lambda: top in _chart_title(dash_duo), message=f"chart of {top}")
    assert dash_duo.find_element("#chart-message").text == ""


def _trace_visible(dash_duo, name):
    return dash_duo.driver.execute_script(
        "const gd = document.querySelector('#price-chart .js-plotly-plot');"
        "const t = gd && gd.data.find(t => t.name === arguments[0]);"
        "return t ? t.visible !== false : null;",
        name,
    )


def test_toggling_an_overlay_redraws_in_the_browser_without_the_server(
    dash_duo, demo_app, monkeypatch
):
    import callbacks.chart

    calls = []
    real_chart_view = callbacks.chart.chart_view
    monkeypatch.setattr(
        callbacks.chart, "chart_view", lambda *a, **k: calls.append(a) or real_chart_view(*a, **k)
    )
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    assert _trace_visible(dash_duo, "SMA 50") is True
    assert _trace_visible(dash_duo, "SMA 200") is None  # not asked for: not drawn
    drawn = len(calls)
    sma50 = "#indicator-checklist input[value='sma50']"
    _click(dash_duo, dash_duo.find_element(sma50))
    wait_until(lambda: _trace_visible(dash_duo, "SMA 50") is False, message="SMA 50 hidden")
    wait_until(lambda: "sma50" not in _query(dash_duo)["ind"][0], message="the URL updated")
    _click(dash_duo, dash_duo.find_element(sma50))
    wait_until(lambda: _trace_visible(dash_duo, "SMA 50") is True, message="SMA 50 shown")
    wait_until(lambda: "sma50" in _query(dash_duo)["ind"][0], message="the URL updated")
    assert len(calls) == drawn, "hiding and showing an overlay must not redraw on the server"
    _click(dash_duo, dash_duo.find_element("#indicator-checklist input[value='sma200']"))
    wait_until(lambda: _trace_visible(dash_duo, "SMA 200") is True, message="SMA 200 drawn")
    assert len(calls) > drawn, "an overlay the figure lacks is drawn by the server"
    assert _trace_visible(dash_duo, "SMA 50") is True


def test_the_page_opens_on_its_urls_chart_drawn_once_with_the_finance_bundle(
    dash_duo, monkeypatch, tmp_path, screenshot_dir
):
    import callbacks.chart

    drawn = []
    real_chart_view = callbacks.chart.chart_view
    monkeypatch.setattr(
        callbacks.chart,
        "chart_view",
        lambda services, state, *a, **k: (
            drawn.append(state.ticker) or real_chart_view(services, state, *a, **k)
        ),
    )
    app = create_app(Settings(source="demo", cache_dir=tmp_path))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/?ticker=DEMO-LARGE&range=2y")
    _loaded(dash_duo)
    assert _chart_title(dash_duo).startswith("DEMO-LARGE")
    assert dash_duo.find_element("#ticker-input").get_attribute("value") == "DEMO-LARGE"
    wait_until(lambda: _query(dash_duo).get("range") == ["2y"], message="the URL kept")
    assert drawn.count("DEMO-LARGE") == 1, (
        "drawn once for the page (its HTML and its layout share the cached figure), "
        "not again by the callback"
    )
    scripts = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert any("/assets/vendor/plotly-finance-" in name for name in scripts)
    assert not any("plotly.min.js" in name for name in scripts), "the full bundle is not loaded"
    major_minor = ".".join(plotly.offline.get_plotlyjs_version().split(".")[:2])
    assert dash_duo.driver.execute_script("return Plotly.version;").startswith(major_minor)
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-opened-at-url.png"))
    assert dash_duo.get_logs() == []


ORDER_RECORDER = """
window.__r2kOrder = [];
let plotly;
Object.defineProperty(window, "Plotly", {configurable: true, get: () => plotly, set(value) {
  const react = value.react;
  value.react = (graph, ...rest) => new Promise((resolve) => setTimeout(resolve, 1500))
    .then(() => react.call(value, graph, ...rest));
  plotly = value;
}});
new MutationObserver(() => {
  for (const [name, selector] of [
    ["chart", "#price-chart .main-svg .boxlayer .trace"],
    ["table", "#movers-slot .ag-root-wrapper"],
    ["placeholder", "#movers-slot"],
  ]) {
    if (!window.__r2kOrder.includes(name) && document.querySelector(selector)) {
      window.__r2kOrder.push(name);
      window.__r2kAt = {...window.__r2kAt, [name]: performance.now()};
    }
  }
}).observe(document, {childList: true, subtree: true});
"""


def test_the_tables_arrive_after_the_chart_is_drawn(dash_duo, demo_app):
    """Even when drawing takes long (each of the Graph's plotly draws is held back 1.5 s here;
    the page's first chart, drawn before Dash starts, comes before the tables' placeholder)."""
    dash_duo.start_server(demo_app)
    dash_duo.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": ORDER_RECORDER}
    )
    dash_duo.driver.get(dash_duo.server_url + "/?ticker=DEMO-LARGE")
    _loaded(dash_duo)
    order = dash_duo.driver.execute_script("return window.__r2kOrder;")
    assert order == ["chart", "placeholder", "table"], order
    chart_at = dash_duo.driver.execute_script("return window.__r2kAt.chart;")
    grid_scripts = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('dash_ag_grid/async-')).map(e => e.startTime);"
    )
    assert grid_scripts, "AG Grid's lazily loaded script was fetched"
    assert min(grid_scripts) > chart_at, "AG Grid's script is asked for after the chart is drawn"
    top = _pinned_tickers(dash_duo, "movers-slot")[0]
    _click_row(dash_duo, "movers-slot", top)
    wait_until(lambda: _chart_title(dash_duo).startswith(top), message="row click loads")
    assert dash_duo.get_logs() == []


def _pick_completion(dash_duo, ticker: str) -> None:
    """What Chromium does when a completion of the ticker box's list is clicked (or chosen
    with the arrow keys and Enter): it fills the box and fires an input event that is not
    typing. Headless Chromium draws no list to click, so the event is fired as it would be."""
    dash_duo.driver.execute_script(
        """
        const box = document.getElementById('ticker-input');
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        box.focus();
        setter.call(box, arguments[0]);
        box.dispatchEvent(new InputEvent('input', {
            bubbles: true, inputType: 'insertReplacementText', data: arguments[0]}));
        """,
        ticker,
    )


def test_a_picked_completion_charts_at_once_and_typing_waits_for_enter(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    options = wait_until(
        lambda: dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('#ticker-options option')].map(o => o.value);"
        ),
        message="the completions",
    )
    pick = next(option for option in options if option.endswith(".DM"))
    _pick_completion(dash_duo, pick)
    wait_until(lambda: pick in _chart_title(dash_duo), message=f"the chart of {pick}")
    assert _query(dash_duo)["ticker"] == [pick]
    ticker = dash_duo.find_element("#ticker-input")
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("DEMO-LARGE")
    dash_duo.driver.execute_script("return new Promise((done) => setTimeout(done, 1500));")
    assert pick in _chart_title(dash_duo), "typing alone charts nothing"
    ticker.send_keys(Keys.ENTER)
    wait_until(lambda: "DEMO-LARGE" in _chart_title(dash_duo), message="the typed ticker")
    assert dash_duo.get_logs() == []
