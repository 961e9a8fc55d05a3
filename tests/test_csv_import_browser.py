"""In the browser: the page opens on a csv:DIR being imported, says how far, then ranks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from app import create_app
from market.sources import resolve_source
from settings import Settings
from tests.browser import wait_until
from tests.test_csv_import import yahoo_file

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "data" / "csv"


def test_the_page_shows_the_import_then_fills_the_tables(dash_duo, tmp_path, screenshot_dir):
    prices = tmp_path / "prices"
    shutil.copytree(FIXTURES, prices)
    for n in range(20):
        yahoo_file(prices / f"T{n:02d}.csv", "2024-03-04", 220, seed=n)
    (prices / "universe.csv").write_text(
        "Ticker,Name,Sector,Weight\n"
        + "".join(f"T{n:02d},Name {n},Industrials,0.05\n" for n in range(20))
    )
    settings = Settings(source=f"csv:{prices}", cache_dir=tmp_path / "cache")
    lock = resolve_source(settings).store.lock()
    lock.acquire()  # another worker is importing: this page waits for it
    try:
        dash_duo.start_server(create_app(settings))
        dash_duo.wait_for_element("#price-chart .main-svg", timeout=30)
        note = wait_until(
            lambda: "Importing your CSV files" in dash_duo.find_element("#movers-note").text,
            message="the import's progress in the movers note",
        )
        assert note
        assert "Importing your CSV files" in dash_duo.find_element("#sector-chart").text
        dash_duo.driver.set_window_size(1280, 1500)
        dash_duo.driver.save_screenshot(str(screenshot_dir / "csv-import-running.png"))
        dash_duo.driver.set_window_size(1280, 900)
    finally:
        lock.release()
    wait_until(
        lambda: "constituents ranked" in dash_duo.find_element("#movers-note").text,
        timeout=30,
        message="the tables ranked once the import ends",
    )
    _scroll_to_tables(dash_duo)
    rows = wait_until(
        lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, "#movers-slot .ag-row"),
        message="rows in the movers table: " + dash_duo.find_element("#movers-note").text,
    )
    assert rows
    dash_duo.driver.save_screenshot(str(screenshot_dir / "csv-import-done.png"))
    assert dash_duo.get_logs() == []


def _scroll_to_tables(dash_duo) -> None:
    dash_duo.driver.execute_script(
        "document.getElementById('movers-note').scrollIntoView({block: 'start'});"
    )
