"""The market internals in headless Chromium on the demo market: breadth under the index,
the screen table (filled, filtered by the URL, a row click charting its ticker), the
breadth panel's dates following the price chart's and back.

Screenshots of the states reached are saved under test-output/screenshots.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from app import create_app
from settings import Settings
from tests.browser import CHART_TITLE, wait_until

pytestmark = pytest.mark.browser

SCREEN_ROWS = "#screen-slot .ag-center-cols-container .ag-row"
MOVER_ROWS = "#movers-slot .ag-center-cols-container .ag-row"


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def _screen_cells(dash_duo, column: str) -> list[str]:
    return [
        cell.text
        for cell in dash_duo.driver.find_elements(
            By.CSS_SELECTOR, f"#screen-slot .ag-center-cols-container [col-id='{column}']"
        )
    ]


def _scroll_to(dash_duo, selector: str):
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"
        "arguments[0].scrollIntoView({block: 'center'});",
        element,
    )
    return element


def _open(dash_duo, query: str) -> None:
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)


def test_breadth_is_drawn_under_the_index_and_the_url_restores_the_screen(
    dash_duo, demo_app, screenshot_dir
):
    dash_duo.start_server(demo_app)
    _open(
        dash_duo, "?ticker=DEMO-R2K&ind=sma50,channel,volume,breadth&screen=below_channel&within=4"
    )
    title = wait_until(
        lambda: dash_duo.find_element("#breadth-chart .gtitle").text,
        timeout=40,
        message="the breadth chart",
    )
    assert dash_duo.find_element("#breadth-chart").is_displayed()
    assert "Breadth" in title and "simulated" in title
    traces = dash_duo.driver.execute_script(
        "return document.querySelector('#breadth-chart .js-plotly-plot').data.map(t => t.name);"
    )
    assert "% above 50-week avg" in traces and "Advance-decline line" in traces
    chart_bottom = dash_duo.find_element("#price-chart").rect
    breadth_top = dash_duo.find_element("#breadth-chart").rect
    assert breadth_top["y"] >= chart_bottom["y"] + chart_bottom["height"] - 1
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, SCREEN_ROWS), message="rows")
    states = set(_screen_cells(dash_duo, "state_label"))
    assert states == {"Closed below its 104-week channel"}
    assert dash_duo.find_element("#screen-within").get_attribute("value") == "4"
    assert "begun in the last 4 weeks" in dash_duo.find_element("#screen-note").text
    query = _query(dash_duo)
    assert query["screen"] == ["below_channel"] and query["within"] == ["4"]
    assert "breadth" in query["ind"][0]
    _scroll_to(dash_duo, "#breadth-chart")
    dash_duo.driver.save_screenshot(str(screenshot_dir / "internals-breadth.png"))
    dash_duo.find_element("#screen-slot").screenshot(str(screenshot_dir / "internals-screen.png"))


def test_a_screen_row_click_charts_its_ticker_and_hides_breadth(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _open(dash_duo, "?ticker=DEMO-R2K&ind=sma50,breadth&screen=rsi_oversold")
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, SCREEN_ROWS), message="rows")
    cell = "#screen-slot .ag-pinned-left-cols-container [col-id='ticker']"
    ticker = dash_duo.find_element(cell).text

    def click() -> bool:
        # The tables above arrive after the chart and move the screen down: scroll, then click.
        _scroll_to(dash_duo, cell).click()
        return True

    wait_until(click, message="a click on the first screen row")
    wait_until(
        lambda: ticker in dash_duo.find_element(CHART_TITLE).text, message=f"chart of {ticker}"
    )
    assert _query(dash_duo)["ticker"] == [ticker]
    assert _query(dash_duo)["screen"] == ["rsi_oversold"]
    wait_until(
        lambda: not dash_duo.find_element("#breadth-panel").is_displayed(),
        message="breadth hidden for a constituent",
    )
    dash_duo.driver.save_screenshot(str(screenshot_dir / "internals-row-click.png"))


def test_the_state_filter_goes_into_the_url(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    _open(dash_duo, "?ticker=DEMO-R2K")
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, SCREEN_ROWS), message="rows")
    assert not dash_duo.find_element("#breadth-panel").is_displayed()
    _scroll_to(dash_duo, "#screen-state")
    wait_until(
        lambda: dash_duo.select_dcc_dropdown("#screen-state", value="Weekly RSI over 70") or True,
        message="the state chosen",
    )
    wait_until(lambda: _query(dash_duo).get("screen") == ["rsi_overbought"], message="URL")
    wait_until(
        lambda: set(_screen_cells(dash_duo, "state_label")) == {"Weekly RSI over 70"},
        message="only overbought rows",
    )
    assert all(float(value) > 70 for value in _screen_cells(dash_duo, "rsi14"))


def test_the_rank_switch_orders_the_movers_by_contribution(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _open(dash_duo, "?ticker=DEMO-R2K")
    rows = "#movers-slot .ag-row [col-id='contribution_pct']"
    wait_until(
        lambda: len(dash_duo.driver.find_elements(By.CSS_SELECTOR, MOVER_ROWS)) >= 10,
        message="rows",
    )
    assert "Contributions add up to" in dash_duo.find_element("#movers-note").text
    wait_until(
        lambda: _scroll_to(dash_duo, "#movers-rank input[value='contribution']").click() or True,
        message="the contribution switch",
    )
    wait_until(
        lambda: "Ranked by contribution" in dash_duo.find_element("#movers-note").text,
        message="ranked by contribution",
    )

    def contributions() -> list[float]:
        # The column sits right of the view at this width: scroll the grid there first.
        dash_duo.driver.execute_script(
            "const v = document.querySelector('#movers-slot .ag-center-cols-viewport');"
            "v.scrollLeft = v.scrollWidth;"
        )
        cells = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(c =>"
            " [Number(c.closest('.ag-row').getAttribute('row-index')), c.textContent]);",
            rows,
        )
        return [float(text) for _, text in sorted(cells) if text]  # in row order, not DOM order

    values = wait_until(contributions, message="contribution cells")
    assert values == sorted(values, reverse=True)
    _scroll_to(dash_duo, "#movers-note")
    dash_duo.driver.save_screenshot(str(screenshot_dir / "internals-contributions.png"))


X_RANGES_JS = """
return ['#price-chart', '#breadth-chart'].map((id) => {
    const gd = document.querySelector(id + ' .js-plotly-plot');
    const axis = gd && gd._fullLayout && gd._fullLayout.xaxis;
    return axis && axis.range ? axis.range.map((value) => axis.r2l(value)) : null;
});
"""


def _x_ranges(dash_duo) -> tuple[list[float], list[float]] | None:
    price, breadth = dash_duo.driver.execute_script(X_RANGES_JS)
    return (price, breadth) if price and breadth else None


def _linked_range(dash_duo, away_from: list[float] | None = None) -> list[float]:
    """The dates both charts show once they agree (and differ from ``away_from``)."""

    def agreed() -> list[float] | None:
        ranges = _x_ranges(dash_duo)
        if ranges is None or ranges[0] == away_from:
            return None
        price, breadth = ranges
        same = all(abs(a - b) < 60_000 for a, b in zip(price, breadth, strict=True))
        return price if same else None

    return wait_until(agreed, timeout=30, message="the two time axes agreeing")


def _drag(dash_duo, selector: str, pixels: int) -> None:
    plot = _scroll_to(dash_duo, selector)
    ActionChains(dash_duo.driver).move_to_element(plot).click_and_hold().pause(0.2).move_by_offset(
        pixels, 0
    ).pause(0.2).release().perform()


def test_the_breadth_panel_keeps_the_price_charts_dates(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _open(dash_duo, "?ticker=DEMO-R2K&interval=1d&range=2y&ind=sma50,volume,breadth")
    wait_until(lambda: dash_duo.find_element("#breadth-chart .gtitle").text, timeout=40)
    drawn = _linked_range(dash_duo)
    _drag(dash_duo, "#price-chart .nsewdrag[data-subplot='xy']", 200)
    panned = _linked_range(dash_duo, away_from=drawn)
    assert panned[0] < drawn[0], "a drag to the right shows earlier dates on both"
    _scroll_to(dash_duo, "#breadth-chart")
    dash_duo.driver.save_screenshot(str(screenshot_dir / "internals-linked-axes.png"))
    _drag(dash_duo, "#breadth-chart .nsewdrag[data-subplot='xy']", -300)
    back = _linked_range(dash_duo, away_from=panned)
    assert back[0] > panned[0], "a drag on the breadth panel moves the price chart too"
    select = Select(_scroll_to(dash_duo, "#range-select"))
    select.select_by_value("1y")
    one_year = _linked_range(dash_duo, away_from=back)
    assert one_year[1] - one_year[0] < (drawn[1] - drawn[0]) * 0.6, "a range preset moves both"
