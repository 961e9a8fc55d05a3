"""The page in headless Chromium over the fake Yahoo: stale data and a bar in progress say so.

The real yfinance runs under the app (in dash_duo's server thread), over the fake Yahoo at its
HTTP seam. Screenshots go to test-output/screenshots for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yfinance

from app import create_app
from bench.fake_yahoo import CHART_HOST, TIMEOUT, FakeYahoo, at_new_york, daily_history, serving
from callbacks.services import Services
from market.data import MarketData
from market.sources import LIVE, ResolvedSource
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings
from tests.browser import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning"),
]

DAY = date(2025, 6, 4)
SESSIONS = pd.bdate_range("2023-01-02", "2025-06-03")


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with serving(FakeYahoo()) as fake:
        fake.add("AAA", daily_history(SESSIONS[0], len(SESSIONS), base=50.0, step=0.05))
        yield fake
    yfinance.config.debug.hide_exceptions = True


def _app(tmp_path: Path, now):
    settings = Settings(source="yahoo", ticker="AAA", cache_dir=tmp_path / "cache")
    store = Store(tmp_path / "cache" / "yahoo")
    store.write_bars("AAA", daily_history(SESSIONS[0], len(SESSIONS) - 10, base=50.0, step=0.05))
    provider = YahooProvider(settings, probe=lambda: True)
    market = MarketData(ResolvedSource(provider, store, LIVE, "Yahoo Finance"), now=lambda: now)
    return create_app(settings, Services(settings=settings, market=market))


def test_an_outage_shows_the_stale_note_beside_the_chart_and_on_the_badge(
    dash_duo, fake, tmp_path, screenshot_dir
):
    fake.faults[CHART_HOST] = TIMEOUT
    dash_duo.start_server(_app(tmp_path, at_new_york(DAY, 17)))

    note = wait_until(
        lambda: dash_duo.find_element("#chart-message").text, message="the chart's note"
    )
    badge = dash_duo.find_element("#source-badge")

    assert note.startswith("Stale data: AAA is shown as stored, up to 2025-05-20; ")
    assert "did not answer" in note
    assert "stale: AAA could not be updated" in badge.text
    assert "bg-warning" in badge.get_attribute("class")
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-live-stale.png"))


def test_a_session_in_progress_shows_its_bar_marked(dash_duo, fake, tmp_path, screenshot_dir):
    fake.listings["AAA"].live = (at_new_york(DAY, 11), 99.0)
    dash_duo.start_server(_app(tmp_path, at_new_york(DAY, 11)))

    note = wait_until(
        lambda: dash_duo.find_element("#chart-message").text, message="the chart's note"
    )

    assert note.startswith("The last bar (2025-06-04) is in progress")
    assert "stale" not in dash_duo.find_element("#source-badge").text
    dash_duo.driver.save_screenshot(str(screenshot_dir / "page-live-in-progress.png"))
