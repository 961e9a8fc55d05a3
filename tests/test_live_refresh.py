"""A refresh through the real yfinance over the fake Yahoo: outages and intraday bars.

An outage after the probe ends ``r2k refresh`` non-zero and changes nothing stored; a bar of a
session still open is never stored as final, and the first refresh after the close stores the
day's real close.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yfinance
import yfinance.data

from analysis.weekly import weekly_bars
from bench.fake_yahoo import (
    CHART_HOST,
    DNS,
    TIMEOUT,
    FakeYahoo,
    at_new_york,
    daily_history,
    serving,
)
from callbacks.chart import chart_view
from callbacks.services import Services
from cli import main
from components.header import create_source_badge
from components.view_state import ViewState
from market.data import REFETCH_SECONDS, Freshness, MarketData
from market.refresh import refresh, refresh_command
from market.sources import CACHED, LIVE, ResolvedSource
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings
from tests.faults_fakes import silent_server
from tests.figures import figure_of

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::pandas.errors.Pandas4Warning"
)

DAY = date(2025, 6, 4)  # a Wednesday
BEFORE = pd.bdate_range("2025-01-02", "2025-06-03")


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with serving(FakeYahoo()) as fake:
        fake.add("AAA", daily_history(BEFORE[0], len(BEFORE), base=100.0, step=0.1))
        yield fake
    yfinance.config.debug.hide_exceptions = True


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store")
    store.write_bars("AAA", daily_history(BEFORE[0], len(BEFORE) - 10, base=100.0, step=0.1))
    return store


def _provider() -> YahooProvider:
    settings = Settings(source="yahoo", requests_per_second=1000.0, max_retries=0)
    return YahooProvider(settings, probe=lambda: True, sleep=lambda _s: None)


def _with_final_close(fake: FakeYahoo, close: float) -> None:
    listing = fake.listings["AAA"]
    row = pd.DataFrame(
        {"open": [131.0], "high": [152.0], "low": [128.0], "close": [close], "volume": [9e5]},
        index=pd.DatetimeIndex([pd.Timestamp(DAY)], name="date"),
    )
    listing.history = pd.concat([listing.history, row])
    listing.live = None


def test_a_refresh_at_11_stores_nothing_for_today_and_one_after_the_close_stores_the_close(
    fake, store
):
    fake.listings["AAA"].live = (at_new_york(DAY, 11), 150.0)

    morning = refresh(_provider(), store, ["AAA"], now=at_new_york(DAY, 11))

    stored = store.read_bars("AAA")
    assert stored.index[-1] == pd.Timestamp("2025-06-03")
    assert morning.fetched == 1 and morning.complete
    assert morning.provisional["AAA"]["close"].tolist() == [150.0]
    assert morning.provisional["AAA"].index[-1] == pd.Timestamp(DAY)

    _with_final_close(fake, 129.0)
    evening = refresh(_provider(), store, ["AAA"], now=at_new_york(DAY, 16, 30))

    stored = store.read_bars("AAA")
    assert stored.index[-1] == pd.Timestamp(DAY)
    assert stored["close"].iloc[-1] == 129.0
    assert evening.fetched == 1 and evening.provisional == {}


def test_a_half_day_closes_at_13_new_york(fake, store):
    half_day = date(2025, 11, 28)  # the day after Thanksgiving
    listing = fake.listings["AAA"]
    listing.history = daily_history("2025-06-02", 125, base=100.0, step=0.1)
    listing.history = listing.history.loc[listing.history.index < pd.Timestamp(half_day)]
    listing.live = (at_new_york(half_day, 12), 140.0)
    during = refresh(_provider(), store, ["AAA"], now=at_new_york(half_day, 12))
    assert "AAA" in during.provisional

    row = listing.history.iloc[[-1]].set_axis(pd.DatetimeIndex([half_day], name="date"))
    listing.history = pd.concat([listing.history, row.assign(close=133.0)])
    listing.live = None
    after = refresh(_provider(), store, ["AAA"], now=at_new_york(half_day, 13, 30))

    assert after.provisional == {}
    assert store.read_bars("AAA")["close"].iloc[-1] == 133.0


def test_an_outage_after_the_probe_ends_refresh_non_zero_and_keeps_the_store(fake, store):
    before = store.read_bars("AAA")
    fake.faults[CHART_HOST] = TIMEOUT
    stream = io.StringIO()

    status = refresh_command(_provider(), store, ["AAA"], stream=stream)

    assert status == 1
    output = stream.getvalue()
    assert "failed" in output and "Yahoo Finance did not answer" in output
    pd.testing.assert_frame_equal(store.read_bars("AAA"), before)


def test_one_ticker_failing_ends_refresh_non_zero_and_reports_the_requests(fake, store):
    fake.add("BBB", daily_history(BEFORE[0], len(BEFORE)))
    fake.faults["BBB"] = "503"
    stream = io.StringIO()

    status = refresh_command(_provider(), store, ["AAA", "BBB"], stream=stream)

    assert status == 1
    summary, reason = stream.getvalue().strip().splitlines()[-2:]
    assert "fetched 1" in summary and "failed 1 (BBB)" in summary
    assert f"{fake.requests} HTTP requests" in summary
    assert reason.startswith("r2k refresh: incomplete: 1 tickers failed")


# --- what the page and r2k read show -------------------------------------------------------


def _market(store: Store, now) -> MarketData:
    source = ResolvedSource(_provider(), store, LIVE, "Yahoo Finance")
    return MarketData(source, now=lambda: now)


def test_a_bar_in_progress_is_shown_marked_and_not_stored(fake, store):
    refresh(_provider(), store, ["AAA"], now=at_new_york(DAY, 9))  # stored up to yesterday
    fake.listings["AAA"].live = (at_new_york(DAY, 11), 150.0)
    market = _market(store, at_new_york(DAY, 11))

    daily = market.daily_bars("AAA")

    assert daily.index[-1] == pd.Timestamp(DAY) and daily["close"].iloc[-1] == 150.0
    assert market.freshness("AAA") == Freshness(False, DAY, DAY, None)
    assert store.read_bars("AAA").index[-1] == pd.Timestamp("2025-06-03")
    assert weekly_bars(daily, in_progress=True)["partial"].iloc[-1]


def test_an_outage_leaves_a_stale_copy_that_says_so(fake, store):
    fake.faults[CHART_HOST] = TIMEOUT
    market = _market(store, at_new_york(DAY, 17))

    daily = market.daily_bars("AAA")

    assert daily.index[-1] == pd.Timestamp(BEFORE[-11])
    freshness = market.freshness("AAA")
    assert freshness.stale and freshness.last_bar == BEFORE[-11].date()
    assert "did not answer" in (freshness.problem or "")
    assert (market.stale_note() or "").startswith("stale: AAA could not be updated")


def test_read_json_says_stale_with_the_last_bar_during_an_outage(
    fake, tmp_path, monkeypatch, capsys
):
    cache = tmp_path / "cache"
    store = Store(cache / "yahoo")
    store.write_bars("AAA", daily_history(BEFORE[0], len(BEFORE) - 10, base=100.0, step=0.1))
    fake.faults[CHART_HOST] = DNS
    monkeypatch.setenv("R2K_CACHE_DIR", str(cache))
    with silent_server(greeting=b"\x15\x03\x03\x00\x02\x02\x50") as (host, port):
        monkeypatch.setenv("R2K_PROBE_ADDRESS", f"{host}:{port}")
        status = main(["read", "AAA", "--json", "--source", "yahoo"])

    out = capsys.readouterr().out
    assert status == 0, out
    read = json.loads(out)
    assert read["stale"] is True and "DNS lookup failed" in read["stale_reason"]
    assert read["last_bar"] == BEFORE[-11].date().isoformat() == read["as_of"][:10]


def test_the_page_says_stale_beside_the_chart_and_on_the_badge(fake, store):
    fake.faults[CHART_HOST] = TIMEOUT
    market = _market(store, at_new_york(DAY, 17))
    services = Services(settings=Settings(source="yahoo"), market=market)

    view = chart_view(services, ViewState(ticker="AAA"))

    assert view.message.startswith("Stale data: AAA is shown as stored, up to 2025-05-20; ")
    badge = create_source_badge(services.page_source())
    assert badge.color == "warning" and "stale: AAA could not be updated" in badge.children


def test_the_page_says_the_last_bar_is_in_progress(fake, store):
    refresh(_provider(), store, ["AAA"], now=at_new_york(DAY, 9))
    fake.listings["AAA"].live = (at_new_york(DAY, 11), 150.0)
    services = Services(
        settings=Settings(source="yahoo"), market=_market(store, at_new_york(DAY, 11))
    )

    view = chart_view(services, ViewState(ticker="AAA"))

    assert view.message.startswith("The last bar (2025-06-04) is in progress")
    assert "in progress" in [a.text for a in figure_of(view.figure).layout.annotations]
    assert view.read is not None
    assert view.read.summary.startswith("AAA is at $150.00 on 2025-06-04 (session in progress)")


def test_a_stored_copy_served_while_yahoo_is_unreachable_is_stale(store):
    note = "Yahoo Finance is unreachable: showing the last data stored on this machine."
    source = ResolvedSource(_provider(), store, CACHED, "stored copy", note=note)
    market = MarketData(source, now=lambda: at_new_york(DAY, 17))

    market.daily_bars("AAA")

    assert market.freshness("AAA") == Freshness(True, BEFORE[-11].date(), None, note)


def test_the_bar_in_progress_is_asked_again_only_after_the_refetch_period(fake, store):
    refresh(_provider(), store, ["AAA"], now=at_new_york(DAY, 9))
    fake.listings["AAA"].live = (at_new_york(DAY, 11), 150.0)
    clock = [0.0]
    source = ResolvedSource(_provider(), store, LIVE, "Yahoo Finance")
    market = MarketData(source, clock=lambda: clock[0], now=lambda: at_new_york(DAY, 11))

    market.daily_bars("AAA")
    asked = fake.requests
    market.daily_bars("AAA")
    assert fake.requests == asked

    fake.listings["AAA"].live = (at_new_york(DAY, 11, 20), 151.0)
    yfinance.data.YfData.cache_get.cache_clear()  # it keeps answers of dates past by the real clock
    clock[0] = REFETCH_SECONDS + 1
    assert market.daily_bars("AAA")["close"].iloc[-1] == 151.0
    assert fake.requests > asked
