"""The page for every reader: axe-core's checks, the keyboard alone, phones and wide screens.

Each test starts its own demo app in headless Chromium. Screenshots of the states reached are
saved under test-output/screenshots for people to look at.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app import create_app
from settings import Settings
from tests.browser import CHART_TITLE, wait_until

pytestmark = pytest.mark.browser

BLOCKING = ("critical", "serious")
PHONE = (390, 844)
WIDTHS = (1920, 1400, 1280, 768, 390)


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _viewport(dash_duo, width: int, height: int = 900) -> None:
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 576},
    )


def _rows(dash_duo, slot: str):
    return dash_duo.driver.find_elements(
        By.CSS_SELECTOR, f"#{slot} .ag-center-cols-container .ag-row"
    )


def _loaded(dash_duo) -> None:
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    for slot in ("movers-slot", "laggards-slot"):
        wait_until(lambda slot=slot: len(_rows(dash_duo, slot)) >= 10, message=f"{slot} rows")
    wait_until(
        lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, "#holdings-table button"),
        message="the holdings",
    )


TABLES = 3
"""The default view's tables: movers, laggards and the screen."""


def _tables_drawn(dash_duo) -> None:
    """Until every table has drawn its header: AG Grid lays out its header rows a render
    before their cells, and axe rightly flags a header row without cells in between."""
    wait_until(
        lambda: dash_duo.driver.execute_script(
            "const grids = [...document.querySelectorAll('.ag-root-wrapper')];"
            "return grids.length === arguments[0]"
            " && grids.every(g => g.querySelector('.ag-header-cell[role=columnheader]'));",
            TABLES,
        ),
        message=f"{TABLES} tables with their headers drawn",
    )


def _query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def _dark(dash_duo) -> None:
    dash_duo.driver.execute_script("document.getElementById('theme-switch').click();")
    wait_until(
        lambda: (
            dash_duo.driver.execute_script(
                "return document.documentElement.getAttribute('data-bs-theme');"
            )
            == "dark"
        ),
        message="the dark theme",
    )


def _blocking_violations(dash_duo) -> list[str]:
    axe = Axe(dash_duo.driver)
    axe.inject()
    results = axe.run()
    return [
        f"{v['impact']} {v['id']}: "
        + "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:4])
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_critical_or_serious_violation(dash_duo, demo_app, theme, screenshot_dir):
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    _tables_drawn(dash_duo)
    if theme == "dark":
        _dark(dash_duo)
    assert _blocking_violations(dash_duo) == [], "the default view, as it first paints"
    _loaded(dash_duo)
    assert _blocking_violations(dash_duo) == [], "with the tables filled"
    lang = dash_duo.driver.execute_script("return document.documentElement.lang;")
    assert lang == "en"
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "main h1")


def _active(dash_duo):
    return dash_duo.driver.switch_to.active_element


def _tab_until(dash_duo, matches, limit: int = 60, shift: bool = False):
    """Press Tab (Shift+Tab) until the focused element ``matches``; the presses it took."""
    for presses in range(1, limit + 1):
        keys = (Keys.SHIFT, Keys.TAB) if shift else (Keys.TAB,)
        _active(dash_duo).send_keys(*keys)
        if matches(_active(dash_duo)):
            return presses
    raise AssertionError(f"focus never reached it in {limit} Tab presses")


def _in(selector: str):
    def matches(element) -> bool:
        return element.parent.execute_script(
            "return arguments[0].closest(arguments[1]) !== null;", element, selector
        )

    return matches


def test_the_keyboard_alone_reaches_ticker_table_row_and_relative_tab(
    dash_duo, demo_app, screenshot_dir
):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    driver = dash_duo.driver
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    _tab_until(dash_duo, lambda el: el.get_attribute("id") == "ticker-input")
    ticker = _active(dash_duo)
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("DEMO-LARGE", Keys.ENTER)
    wait_until(
        lambda: dash_duo.find_element(CHART_TITLE).text.startswith("DEMO-LARGE"),
        message="the typed ticker charted",
    )

    # Each table is one Tab stop: in, then out to the laggards' CSV button in one press.
    _tab_until(dash_duo, _in("#movers-slot"))
    _active(dash_duo).send_keys(Keys.TAB)
    assert _active(dash_duo).get_attribute("id") == "laggards-export", "one Tab leaves it"
    _active(dash_duo).send_keys(Keys.SHIFT, Keys.TAB)
    assert _in("#movers-slot")(_active(dash_duo))
    _active(dash_duo).send_keys(Keys.ARROW_DOWN)
    _active(dash_duo).send_keys(Keys.ARROW_DOWN)
    focused_row = driver.execute_script(
        "return document.activeElement.closest('.ag-row').getAttribute('row-id');"
    )
    _active(dash_duo).send_keys(Keys.ENTER)
    wait_until(
        lambda: dash_duo.find_element(CHART_TITLE).text.startswith(focused_row),
        message=f"Enter charts {focused_row}",
    )
    assert _query(dash_duo)["ticker"] == [focused_row]
    wait_until(
        lambda: (
            [
                row.get_attribute("row-id")
                for row in driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-row-selected")
            ][:1]
            == [focused_row]
        ),
        message="the row marked",
    )

    # Space on another row charts it too: table and chart never disagree.
    _active(dash_duo).send_keys(Keys.ARROW_DOWN)
    second = driver.execute_script(
        "return document.activeElement.closest('.ag-row').getAttribute('row-id');"
    )
    _active(dash_duo).send_keys(Keys.SPACE)
    wait_until(
        lambda: dash_duo.find_element(CHART_TITLE).text.startswith(second),
        message=f"Space charts {second}",
    )
    wait_until(
        lambda: (
            {
                row.get_attribute("row-id")
                for row in driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-row-selected")
            }
            == {second}
        ),
        message="only the charted row marked",
    )

    # Back up to the chart's tabs and switch to Relative with the arrow keys.
    _tab_until(dash_duo, lambda el: el.get_attribute("role") == "tab", limit=80, shift=True)
    tab = _active(dash_duo)
    if tab.text != "Relative":
        tab.send_keys(Keys.ARROW_RIGHT)
    if _active(dash_duo).text != "Relative":
        _active(dash_duo).send_keys(Keys.TAB)
    assert _active(dash_duo).text == "Relative"
    _active(dash_duo).send_keys(Keys.ENTER)
    wait_until(
        lambda: dash_duo.find_element("#compare-chart").is_displayed(),
        message="the relative chart shown",
    )
    driver.save_screenshot(str(screenshot_dir / "access-keyboard-relative.png"))


def test_holdings_and_sectors_open_from_the_keyboard(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    driver = dash_duo.driver
    holding = driver.find_elements(By.CSS_SELECTOR, "#holdings-table button")[0]
    ticker = holding.text
    driver.execute_script("arguments[0].focus();", holding)
    _active(dash_duo).send_keys(Keys.ENTER)
    wait_until(
        lambda: dash_duo.find_element(CHART_TITLE).text.startswith(ticker),
        message=f"the holding {ticker} charted",
    )
    energy = driver.find_element(By.CSS_SELECTOR, "[id*='sector-button'][id*='Energy']")
    driver.execute_script("arguments[0].focus();", energy)
    assert _active(dash_duo).is_displayed(), "a focused sector button shows itself"
    _active(dash_duo).send_keys(Keys.ENTER)
    wait_until(lambda: _query(dash_duo).get("include") == ["Energy"], message="Energy only")


def _clipped_cells(dash_duo, slot: str, column: str) -> list[str]:
    """Cells of ``column`` whose text overflows the cell or the table's visible width."""
    return dash_duo.driver.execute_script(
        """
        const grid = document.querySelector(arguments[0] + ' .ag-root-wrapper');
        const right = grid.getBoundingClientRect().right;
        const cells = document.querySelectorAll(
            arguments[0] + ` .ag-row [col-id='${arguments[1]}']`);
        return [...cells].filter((cell) => {
            const text = cell.querySelector('.ag-cell-value') || cell;
            const box = cell.getBoundingClientRect();
            return text.scrollWidth > text.clientWidth + 1 || box.right > right + 1
                || box.width < 20;
        }).map((cell) => cell.textContent);
        """,
        f"#{slot}",
        column,
    )


def _cut_texts(dash_duo, slot: str) -> list[str]:
    """Texts cut short in a table: a cell or header shown with less room than its text needs,
    and, over every ranked row (not only those drawn), a ticker, name or sector longer than
    its column."""
    return dash_duo.driver.execute_script(
        """
        const slot = document.querySelector(arguments[0]);
        const cut = [...slot.querySelectorAll('.ag-cell-value, .ag-header-cell-text')]
            .filter((text) => text.scrollWidth > text.clientWidth + 1)
            .map((text) => text.textContent);
        const cell = slot.querySelector('.ag-cell');
        const style = getComputedStyle(cell);
        const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
        const context = document.createElement('canvas').getContext('2d');
        context.font = `${style.fontSize} ${style.fontFamily}`;
        const side = arguments[0] === '#movers-slot' ? 'top' : 'bottom';
        const api = dash_ag_grid.getApi(JSON.stringify({side: side, type: 'movers-table'}));
        for (const field of ['ticker', 'name', 'sector']) {
            const room = api.getColumn(field).getActualWidth() - pad;
            api.forEachNode((node) => {
                const text = String(node.data[field]);
                if (context.measureText(text).width > room) cut.push(`${field}: ${text}`);
            });
        }
        return cut;
        """,
        f"#{slot}",
    )


def _hidden_columns(dash_duo, slot: str) -> int:
    """Pixels of the table's middle columns out of view (behind its horizontal scroll)."""
    return dash_duo.driver.execute_script(
        "const view = document.querySelector(arguments[0] + ' .ag-center-cols-viewport');"
        "return view.scrollWidth - view.clientWidth;",
        f"#{slot}",
    )


def test_no_number_or_name_is_ever_cut_off(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    for width in WIDTHS:
        _viewport(dash_duo, width)
        dash_duo.driver.execute_script(
            "document.documentElement.style.scrollBehavior = 'auto';"
            "document.querySelector('#movers-slot').scrollIntoView({block: 'start'});"
        )
        for slot in ("movers-slot", "laggards-slot"):
            wait_until(lambda slot=slot: _rows(dash_duo, slot), message="rows")
            wait_until(
                lambda slot=slot: _cut_texts(dash_duo, slot) == [],
                timeout=5,
                message=f"nothing cut at {width} px in {slot}: {_cut_texts(dash_duo, slot)[:5]}",
            )
            assert _clipped_cells(dash_duo, slot, "return_pct") == [], (width, slot)
            assert _clipped_cells(dash_duo, slot, "ticker") == [], (width, slot)
            if width >= 1280:  # every column in view, none half hidden behind a scroll
                assert _hidden_columns(dash_duo, slot) <= 1, (width, slot)
        returns = dash_duo.driver.find_elements(
            By.CSS_SELECTOR, "#movers-slot .ag-row [col-id='return_pct']"
        )
        assert returns and all(cell.is_displayed() for cell in returns[:5]), width
        dash_duo.driver.save_screenshot(str(screenshot_dir / f"access-tables-{width}.png"))
    # On a phone, the middle columns scroll into view between Ticker and Return, whole.
    dash_duo.driver.execute_script(
        "document.querySelector('#movers-slot .ag-center-cols-viewport').scrollLeft = 200;"
    )
    wait_until(
        lambda: _clipped_cells(dash_duo, "movers-slot", "sector") == [],
        message="sector whole once scrolled to",
    )


def test_phone_shows_the_chart_first_above_the_fold(dash_duo, demo_app, screenshot_dir):
    dash_duo.start_server(demo_app)
    _viewport(dash_duo, *PHONE)
    dash_duo.driver.get(dash_duo.server_url)
    _loaded(dash_duo)
    dash_duo.driver.execute_script("window.scrollTo(0, 0);")
    chart = dash_duo.find_element("#price-chart").rect
    controls = dash_duo.find_element(".r2k-controls").rect
    assert chart["y"] < PHONE[1] / 2, "the chart starts in the upper half of the first screen"
    assert controls["y"] > chart["y"] + chart["height"], "the controls come after the chart"
    page = dash_duo.driver.execute_script(
        "const root = document.documentElement; return [root.scrollWidth, root.clientWidth];"
    )
    assert page[0] <= page[1], "the page itself does not scroll sideways"
    # AG Grid draws a table's header once the table has been on screen.
    dash_duo.driver.execute_script(
        "document.querySelector('#laggards-slot').scrollIntoView({block: 'center'});"
    )
    wait_until(
        lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".ag-delay-render"),
        message="AG Grid done rendering",
    )
    assert _blocking_violations(dash_duo) == [], "axe on a phone"
    dash_duo.driver.save_screenshot(str(screenshot_dir / "access-phone-light.png"))


def test_from_date_is_chosen_on_the_page_and_a_typed_date_is_kept(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    radio = dash_duo.find_element("#period-select input[value='from']")
    dash_duo.driver.execute_script("arguments[0].click();", radio)
    wait_until(
        lambda: (_query(dash_duo).get("period") or [""])[0][:2] == "20",
        message="a start date in the URL",
    )
    start = _query(dash_duo)["period"][0]
    assert dash_duo.find_element("#period-select input[value='from']").is_selected()
    assert dash_duo.find_element("#period-from-date").get_attribute("value") == start
    picker = dash_duo.find_element("#period-from-date")
    picker.send_keys(Keys.CONTROL, "a")
    picker.send_keys("2026-03-02", Keys.ENTER)
    wait_until(lambda: _query(dash_duo).get("period") == ["2026-03-02"], message="typed date")
    wait_until(
        lambda: "since 2026-03-02" in dash_duo.find_element("#movers-note").text,
        message="the tables ranked since the typed date",
    )
    assert dash_duo.find_element("#period-from-date").get_attribute("value") == "2026-03-02"
    assert dash_duo.find_element("#period-select input[value='from']").is_selected()


def test_csv_export_holds_numbers_for_every_ranked_row_under_a_telling_name(
    dash_duo, demo_app, tmp_path
):
    dash_duo.start_server(demo_app)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    dash_duo.driver.get(dash_duo.server_url + "/?period=1m&exclude=Health+Care")
    _loaded(dash_duo)
    wait_until(
        lambda: "excluding Health Care" in dash_duo.find_element("#movers-note").text,
        message="the filtered note",
    )
    note = dash_duo.find_element("#movers-note").text
    ranked = int(note.split(" constituents")[0].split()[-1])
    as_of = note.split(" to ")[1][:10]
    dash_duo.driver.execute_script("document.getElementById('movers-export').click();")
    name = f"r2k-movers-1m-{as_of}-excl-health-care-top.csv"
    path = wait_until(lambda: (tmp_path / name).exists() and tmp_path / name, message=name)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == ranked > 1000
    returns = [float(row["Return"]) for row in rows]
    assert returns == sorted(returns, reverse=True)
    assert all(0 < float(row["Weight"]) < 0.1 for row in rows)
    assert all(float(row["Last"]) > 0 for row in rows)
    assert "%" not in text and "Health Care" not in text


@pytest.mark.parametrize("width", [390, 1400])
def test_screenshots_light_and_dark_at_phone_and_desktop(dash_duo, demo_app, width, screenshot_dir):
    """For people to look at; asserts only that each state was reached."""
    dash_duo.start_server(demo_app)
    height = PHONE[1] if width < 576 else 900
    _viewport(dash_duo, width, height)
    dash_duo.driver.get(dash_duo.server_url)
    _loaded(dash_duo)
    for theme in ("light", "dark"):
        if theme == "dark":
            _dark(dash_duo)
        wait_until(
            lambda: dash_duo.find_element("#sector-chart .bars").size["height"] > 300,
            message="the sector bars drawn at their height",
        )
        for part, selector in (
            ("top", "body"),
            ("tables", "#movers-slot"),
            ("sectors", "#sector-chart"),
        ):
            dash_duo.driver.execute_script(
                "document.documentElement.style.scrollBehavior = 'auto';"
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                selector,
            )
            wait_until(
                lambda sel=selector: dash_duo.driver.execute_script(
                    "const cell = document.querySelector(arguments[0] + ' .ag-cell');"
                    "return !cell || cell.textContent.trim() !== '';",
                    sel,
                ),
                message="the grid's cells painted after the scroll",
            )
            path = screenshot_dir / f"access-{width}-{theme}-{part}.png"
            dash_duo.driver.save_screenshot(str(path))
            assert path.stat().st_size > 0


def test_the_movers_cards_show_work_while_a_large_universe_ranks(dash_duo, monkeypatch):
    import threading

    import callbacks.movers

    real_movers_view = callbacks.movers.movers_view
    seen_working = threading.Event()

    def slow_movers_view(*args, **kwargs):
        # A first ranking of a large real universe: it lasts until the test has seen the
        # cards show their work (at most 30 s), not a fixed time.
        seen_working.wait(timeout=30)
        return real_movers_view(*args, **kwargs)

    monkeypatch.setattr(callbacks.movers, "movers_view", slow_movers_view)
    dash_duo.start_server(create_app(Settings(source="demo")))
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    wait_until(
        lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-root-wrapper"),
        message="the tables made",
    )
    for slot in ("movers-slot", "laggards-slot"):
        wait_until(
            lambda slot=slot: "Loading" in dash_duo.find_element(f"#{slot} .ag-overlay").text,
            message=f"the {slot} table says it is loading",
        )
    for card in ("holdings-table", "sector-chart"):
        wait_until(  # dcc.Loading shows its spinner after 250 ms of work
            lambda card=card: dash_duo.driver.execute_script(
                "const card = document.getElementById(arguments[0]).closest('.card');"
                "const spinner = card.querySelector('.dash-spinner');"
                "return spinner && spinner.getBoundingClientRect().height > 0;",
                card,
            ),
            timeout=3,
            message=f"the {card} card shows a spinner",
        )
    seen_working.set()
    _loaded(dash_duo)


def test_sorting_a_table_sorts_the_whole_ranking_not_the_rows_shown(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    _loaded(dash_duo)
    worst = dash_duo.driver.execute_script(
        "return document.querySelector(\"#laggards-slot .ag-row[row-index='0']\")"
        ".getAttribute('row-id');"
    )
    header = dash_duo.find_element("#movers-slot .ag-header-cell[col-id='return_pct']")
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"  # no click mid-animation
        "arguments[0].scrollIntoView({block: 'center'});",
        header,
    )
    for _ in range(2):  # the column is unsorted, then ascending, on the second click
        dash_duo.find_element(
            "#movers-slot .ag-header-cell[col-id='return_pct'] .ag-header-cell-label"
        ).click()
        if dash_duo.driver.find_elements(
            By.CSS_SELECTOR,
            "#movers-slot .ag-header-cell[col-id='return_pct'][aria-sort='ascending']",
        ):
            break
    wait_until(
        lambda: (
            dash_duo.driver.execute_script(
                "return document.querySelector(\"#movers-slot .ag-row[row-index='0']\")"
                ".getAttribute('row-id');"
            )
            == worst
        ),
        message=f"the worst of the whole ranking ({worst}) first",
    )
