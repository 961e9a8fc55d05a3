"""Faults of the data source and of refresh processes: the store ends correct, the page stays up.

Each test drives the page's data path (``MarketData`` in live mode over a store in tmp_path,
with a ``YahooProvider`` whose seams simulate the fault) and looks at what the page shows
(``chart_view`` and ``movers_view``). Faults of processes use real subprocesses. The unit
level of each fault (store, refresh, Yahoo provider) is tested in their own modules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from app import page_layout
from bench.fake_yahoo import MISSING, FakeYahoo, serving
from callbacks.chart import ChartView, chart_view
from callbacks.movers import movers_view
from callbacks.services import Services
from components.view_state import ViewState
from market.bars import to_bars
from market.data import MarketData
from market.refresh import refresh
from market.sources import CACHED, resolve_source, store_for
from market.store import Store
from market.yahoo import BACKOFF_SECONDS, YahooProvider
from settings import Settings
from tests.faults_fakes import (
    LAST_SESSION,
    TODAY,
    answering,
    expected_closes,
    hanging,
    history,
    live_market,
    silent_server,
    universe_of,
    yahoo_settings,
)
from tests.figures import figure_of
from tests.store_fakes import stored_bars
from tests.yahoo_fakes import FakeClock, FakeDownload, download_frame

REPO = Path(__file__).resolve().parent.parent
OLD_SESSION = pd.Timestamp("2025-05-23")
"""The last session of a stale stored copy: a week and a half before ``TODAY``."""
WAIT = 60.0
"""Seconds after which a test gives up on something that should have happened: a hang."""

pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning:yfinance",  # yfinance 1.7 under pandas 3
    "ignore::pandas.errors.Pandas4Warning",
)


def _services(settings: Settings, download: Callable[..., Any], **seams: Any) -> Services:
    provider = YahooProvider(settings, download=download, **seams)
    return Services(settings=settings, market=live_market(settings, provider))


def _store(settings: Settings) -> Store:
    return store_for(settings, "yahoo")


def _candles(view: ChartView) -> pd.DatetimeIndex:
    candles = [trace for trace in figure_of(view.figure).data if trace.type == "candlestick"]
    assert len(candles) == 1, f"expected a candlestick chart, got the message {view.message!r}"
    return pd.DatetimeIndex(candles[0].x)


def _annotation_texts(view: ChartView) -> list[str]:
    return [annotation.text for annotation in figure_of(view.figure).layout.annotations]


def _store_stale_copy(store: Store, ticker: str) -> pd.DataFrame:
    """Store ``ticker``'s history up to ``OLD_SESSION``; return what was stored."""
    old = history(ticker)
    old.index = old.index.tz_localize(None)
    assert store.write_bars(ticker, to_bars(old.loc[:OLD_SESSION]))
    return stored_bars(store, ticker)


def _assert_stored_correctly(store: Store, ticker: str) -> None:
    bars = store.read_bars(ticker)
    assert bars is not None, f"nothing stored for {ticker}"
    pd.testing.assert_series_equal(
        bars["close"], expected_closes(ticker), check_names=False, check_freq=False
    )
    assert (bars["high"] >= bars["close"]).all() and (bars["low"] <= bars["close"]).all()


def _in_time[T](work: Callable[[], T]) -> T:
    """``work()``, failing the test instead of hanging when it does not return."""
    outcome: list[T] = []
    thread = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), f"still waiting after {WAIT:g} s: the page would hang"
    assert outcome, "the work raised (see the thread's traceback above)"
    return outcome[0]


# Yahoo unreachable


def test_unreachable_yahoo_and_nothing_stored_shows_a_message_naming_it(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path)
    download = FakeDownload([download_frame({"AAA": history("AAA")})])
    services = _services(settings, download, probe=lambda: False)

    view = chart_view(services, ViewState(ticker="AAA"))

    assert download.calls == []
    assert "unreachable" in view.message and "AAA" in view.message
    assert view.read is None and len(figure_of(view.figure).data) == 0
    assert any("AAA" in text for text in _annotation_texts(view))
    assert _store(settings).tickers() == []
    page_layout(services)  # the rest of the page still renders


def test_unreachable_yahoo_still_shows_the_stored_copy_and_says_it_is_old(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path)
    stored = _store_stale_copy(_store(settings), "AAA")
    services = _services(settings, FakeDownload([]), probe=lambda: False)

    view = chart_view(services, ViewState(ticker="AAA", interval="1d"))

    assert _candles(view)[-1] == OLD_SESSION
    assert view.read is not None and view.read.close == pytest.approx(stored["close"].iloc[-1])
    assert "unreachable" in view.message and "2025-05-23" in view.message
    pd.testing.assert_frame_equal(stored_bars(_store(settings), "AAA"), stored)


def test_unreachable_yahoo_at_start_serves_the_stored_copy_with_a_banner(tmp_path: Path) -> None:
    settings = Settings(source="auto", cache_dir=tmp_path)
    store = _store(settings)
    _store_stale_copy(store, "IWM")
    store.write_universe(universe_of(["AAA", "BBB"]))

    source = resolve_source(settings, probe=lambda: False)

    assert source.mode == CACHED
    assert source.note is not None and "unreachable" in source.note
    services = Services(settings=settings, market=MarketData(source, today=lambda: TODAY))
    view = chart_view(services, ViewState(ticker="IWM", interval="1d"))
    assert _candles(view)[-1] == OLD_SESSION
    assert source.note in str(page_layout(services))


# Hanging


def test_a_network_that_accepts_and_never_answers_fails_the_probe_in_seconds(
    tmp_path: Path,
) -> None:
    calls: list[list[str]] = []
    with silent_server() as (host, port):
        settings = yahoo_settings(tmp_path, probe_address=f"{host}:{port}", probe_timeout=1.0)
        stored = _store_stale_copy(_store(settings), "AAA")
        services = _services(settings, hanging((host, port), calls))

        fresh = _in_time(lambda: chart_view(services, ViewState(ticker="NEW")))
        old = _in_time(lambda: chart_view(services, ViewState(ticker="AAA", interval="1d")))

    assert calls == [], "no download is tried once the probe got no answer"
    assert "unreachable" in fresh.message and fresh.read is None
    assert _candles(old)[-1] == OLD_SESSION
    assert "unreachable" in old.message and "2025-05-23" in old.message
    pd.testing.assert_frame_equal(stored_bars(_store(settings), "AAA"), stored)


def test_a_hanging_yahoo_fails_the_fetch_at_the_deadline_and_the_page_says_so(
    tmp_path: Path,
) -> None:
    calls: list[list[str]] = []
    with silent_server(greeting=b"\x15\x03\x01\x00\x02\x02\x28") as (host, port):
        settings = yahoo_settings(
            tmp_path, probe_address=f"{host}:{port}", fetch_deadline=1.0, probe_timeout=1.0
        )
        stored = _store_stale_copy(_store(settings), "AAA")
        services = _services(settings, hanging((host, port), calls))

        fresh = _in_time(lambda: chart_view(services, ViewState(ticker="NEW")))
        old = _in_time(lambda: chart_view(services, ViewState(ticker="AAA", interval="1d")))
        again = _in_time(lambda: chart_view(services, ViewState(ticker="NEW")))

    assert calls == [["NEW"], ["AAA"]], "each ticker is asked once, not again on each view"
    assert "did not finish within 1 s" in fresh.message and fresh.read is None
    assert _candles(old)[-1] == OLD_SESSION
    assert "did not finish within 1 s" in old.message and "2025-05-23" in old.message
    assert again.read is None and "did not finish within 1 s" in again.message
    store = _store(settings)
    assert store.tickers() == ["AAA"]
    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), stored)


# Rate limited, then recovering


def test_rate_limited_twice_then_answering_stores_the_data_after_backing_off(
    tmp_path: Path,
) -> None:
    settings = yahoo_settings(tmp_path, max_retries=3)
    clock = FakeClock()
    download = FakeDownload(
        [YFRateLimitError(), YFRateLimitError(), download_frame({"AAA": history("AAA")})]
    )
    services = _services(settings, download, probe=lambda: True, sleep=clock.sleep, clock=clock)

    view = chart_view(services, ViewState(ticker="AAA", interval="1d"))

    assert len(download.calls) == 3
    assert [s for s in clock.sleeps if s >= BACKOFF_SECONDS] == [
        BACKOFF_SECONDS,
        2 * BACKOFF_SECONDS,
    ]
    assert view.message == ""
    assert _candles(view)[-1] == LAST_SESSION
    assert view.read is not None and view.read.close == expected_closes("AAA").iloc[-1]
    _assert_stored_correctly(_store(settings), "AAA")


def test_rate_limited_beyond_the_retries_says_so_and_stores_nothing(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path, max_retries=1)
    clock = FakeClock()
    download = FakeDownload([YFRateLimitError()])
    services = _services(settings, download, probe=lambda: True, sleep=clock.sleep, clock=clock)

    view = chart_view(services, ViewState(ticker="AAA"))

    assert len(download.calls) == 2
    assert "rate limited" in view.message and view.read is None
    assert _store(settings).tickers() == []


# A partial batch


def test_a_partial_batch_stores_the_good_tickers_and_reports_the_missing(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path)
    members = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    store = _store(settings)
    store.write_universe(universe_of(members))
    fake = FakeYahoo()
    for ticker in ("AAA", "CCC", "DDD"):
        fake.add(ticker, to_bars(history(ticker)))
    fake.faults.update({"BBB": MISSING, "EEE": MISSING})  # Yahoo's 404 "No data found"
    with serving(fake):
        provider = YahooProvider(settings, probe=lambda: True, sleep=lambda _s: None)
        services = Services(settings=settings, market=live_market(settings, provider))
        summary = refresh(provider, store, members, today=TODAY)
        _the_page_shows_what_was_stored(services, store)

    assert summary.fetched == 3 and set(summary.missing) == {"BBB", "EEE"}
    assert summary.failed == {} and summary.complete
    assert "missing 2" in summary.describe()
    assert store.tickers() == ["AAA", "CCC", "DDD"]
    for ticker in ("AAA", "CCC", "DDD"):
        _assert_stored_correctly(store, ticker)
    assert list(store.read_closes().columns) == ["AAA", "CCC", "DDD"]


def _the_page_shows_what_was_stored(services: Services, store: Store) -> None:
    movers = movers_view(services, ViewState(ticker="AAA", period="1m"))
    assert set(movers.ranked["ticker"]) == {"AAA", "CCC", "DDD"}
    assert "3 constituents ranked" in movers.note and "2 left out" in movers.note
    missing = chart_view(services, ViewState(ticker="BBB"))
    assert missing.read is None and "no data for BBB" in missing.message
    assert _candles(chart_view(services, ViewState(ticker="CCC"))).size > 0
    # The movers note asks for the index's own return; this fake Yahoo has no IWM.
    assert store.tickers() == ["AAA", "CCC", "DDD"], "the page's fetch stored nothing empty"


# A refresh process killed mid-write


_REFRESH_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from market.refresh import refresh
    from market.sources import store_for
    from market.yahoo import YahooProvider
    from tests.faults_fakes import TODAY, answering, gated, yahoo_settings

    cache, count, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    settings = yahoo_settings(cache)
    if mode == "slow-writes":
        real_fsync = os.fsync

        def slow_fsync(fd):
            time.sleep(0.15)
            real_fsync(fd)

        os.fsync = slow_fsync
        download = answering()
    else:
        download = gated(cache / "gate")
    provider = YahooProvider(settings, download=download, probe=lambda: True)
    tickers = [f"T{i:02d}" for i in range(count)]
    summary = refresh(provider, store_for(settings, "yahoo"), tickers, today=TODAY, chunk_size=2)
    print(json.dumps({"fetched": summary.fetched, "fresh": summary.fresh, "error": summary.error}))
    """
)


def _refresh_process(cache: Path, count: int, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _REFRESH_SCRIPT, str(cache), str(count), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], what: str, *processes: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait()
            pytest.fail(f"never saw {what}")
        time.sleep(0.005)


def test_a_refresh_killed_mid_write_leaves_a_readable_store_that_a_new_refresh_completes(
    tmp_path: Path,
) -> None:
    settings = yahoo_settings(tmp_path)
    store = _store(settings)
    tickers = [f"T{i:02d}" for i in range(16)]
    store.write_universe(universe_of(tickers))

    def mid_write() -> bool:
        if not store.bars_dir.is_dir():
            return False
        names = [p.name for p in store.bars_dir.iterdir()]
        done = [n for n in names if n.endswith(".parquet")]
        return len(done) >= 3 and any(n.endswith(".tmp") for n in names)

    process = _refresh_process(tmp_path, len(tickers), "slow-writes")
    _wait_for(mid_write, "the refresh writing its fourth ticker", process)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL
    strays = [p.name for p in store.bars_dir.iterdir() if not p.name.endswith(".parquet")]
    assert strays and all(n.startswith(".") and n.endswith(".tmp") for n in strays)

    survivors = store.tickers()
    assert 3 <= len(survivors) < len(tickers)
    for ticker in survivors:
        _assert_stored_correctly(store, ticker)
    services = _services(settings, FakeDownload([answering()]), probe=lambda: True)
    page = chart_view(services, ViewState(ticker=survivors[0], interval="1d"))
    assert page.message == "" and _candles(page)[-1] == LAST_SESSION

    download = FakeDownload([answering()])
    provider = YahooProvider(settings, download=download, probe=lambda: True)
    summary = refresh(provider, store, tickers, today=TODAY, lock_timeout=WAIT)

    assert summary.error is None and summary.fresh == len(survivors)
    assert summary.fetched == len(tickers) - len(survivors)
    assert store.tickers() == tickers
    for ticker in tickers:
        _assert_stored_correctly(store, ticker)
    movers = movers_view(services, ViewState(ticker="T00", period="1m"))
    assert f"{len(tickers)} constituents ranked" in movers.note


# Two refreshes at once


def test_two_refreshes_at_once_fetch_each_ticker_once_and_the_page_waits_for_neither(
    tmp_path: Path,
) -> None:
    settings = yahoo_settings(tmp_path)
    store = _store(settings)
    gate = tmp_path / "gate"
    gate.mkdir()
    count = 8
    _store_stale_copy(store, "OLD")
    processes = [_refresh_process(tmp_path, count, "gated") for _ in range(2)]
    try:
        _wait_for((gate / "started").exists, "a refresh downloading", *processes)
        services = _services(settings, FakeDownload([answering()]), probe=lambda: True)
        blocked = chart_view(services, ViewState(ticker="NEW"))
        stored = chart_view(services, ViewState(ticker="OLD", interval="1d"))
    finally:
        (gate / "go").touch()
    outputs = [json.loads(p.communicate(timeout=WAIT)[0]) for p in processes]

    assert "another refresh is running" in blocked.message and blocked.read is None
    assert _candles(stored)[-1] == OLD_SESSION
    assert "another refresh is running" in stored.message
    assert [p.returncode for p in processes] == [0, 0]
    assert all(out["error"] is None for out in outputs)
    assert sorted((out["fetched"], out["fresh"]) for out in outputs) == [(0, count), (count, 0)]
    tickers = [f"T{i:02d}" for i in range(count)]
    assert store.tickers() == sorted(["OLD", *tickers])
    closes = store.read_closes()
    for ticker in tickers:
        _assert_stored_correctly(store, ticker)
        pd.testing.assert_series_equal(
            closes[ticker].dropna(), expected_closes(ticker), check_names=False, check_freq=False
        )
    after = chart_view(services, ViewState(ticker="T03", interval="1d"))
    assert after.message == "" and _candles(after)[-1] == LAST_SESSION


# A corrupt Parquet file


def test_a_corrupt_bars_file_is_set_aside_and_fetched_again_by_the_page(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path)
    store = _store(settings)
    _store_stale_copy(store, "AAA")
    path = store.bars_path("AAA")
    path.write_bytes(b"PAR1 this is not parquet at all " * 20)
    download = FakeDownload([answering()])
    services = _services(settings, download, probe=lambda: True)

    view = chart_view(services, ViewState(ticker="AAA", interval="1d"))

    assert view.message == "" and _candles(view)[-1] == LAST_SESSION
    assert download.calls[0][0] == ["AAA"]
    _assert_stored_correctly(store, "AAA")
    asides = [p.name for p in store.bars_dir.iterdir() if ".corrupt-" in p.name]
    assert len(asides) == 1 and asides[0].startswith("AAA.parquet.corrupt-")


def test_a_corrupt_bars_file_without_yahoo_shows_a_message_not_garbage(tmp_path: Path) -> None:
    settings = yahoo_settings(tmp_path)
    store = _store(settings)
    _store_stale_copy(store, "AAA")
    store.bars_path("AAA").write_bytes(b"\x00garbage\xff" * 50)
    services = _services(settings, FakeDownload([]), probe=lambda: False)

    view = chart_view(services, ViewState(ticker="AAA"))

    assert view.read is None and "unreachable" in view.message
    assert store.tickers() == []


def _stored_copy_with_a_truncated(settings: Settings, damaged: str) -> Store:
    """A stored copy (IWM, AAA, BBB and the universe) with ``damaged`` cut in half."""
    store = _store(settings)
    for ticker in ("IWM", "AAA", "BBB"):
        _store_stale_copy(store, ticker)
    store.write_universe(universe_of(["AAA", "BBB"]))
    path = store.root / damaged
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return store


def test_a_truncated_universe_without_yahoo_keeps_the_stored_copy_on_screen(
    tmp_path: Path,
) -> None:
    settings = Settings(source="auto", cache_dir=tmp_path)
    _stored_copy_with_a_truncated(settings, "universe.parquet")

    source = resolve_source(settings, probe=lambda: False)
    services = Services(settings=settings, market=MarketData(source, today=lambda: TODAY))

    assert source.mode == CACHED and not source.simulated
    chart = chart_view(services, ViewState(ticker="IWM", interval="1d"))
    assert _candles(chart)[-1] == OLD_SESSION
    movers = movers_view(services, ViewState(ticker="IWM", period="1m"))
    assert "membership was damaged and set aside" in movers.note
    page = str(page_layout(services))
    assert "Russell 2000 membership (no movers), whose file was damaged" in page
    assert "Simulated" not in page


def test_a_truncated_index_file_without_yahoo_keeps_the_stored_copy_and_names_it(
    tmp_path: Path,
) -> None:
    settings = Settings(source="auto", cache_dir=tmp_path)
    store = _stored_copy_with_a_truncated(settings, "bars/IWM.parquet")

    source = resolve_source(settings, probe=lambda: False)
    services = Services(settings=settings, market=MarketData(source, today=lambda: TODAY))

    assert source.mode == CACHED and not source.simulated
    index = chart_view(services, ViewState(ticker="IWM", interval="1d"))
    assert index.read is None
    assert "IWM was damaged and set aside" in index.message
    assert _candles(chart_view(services, ViewState(ticker="AAA", interval="1d")))[-1] == (
        OLD_SESSION
    )
    movers = movers_view(services, ViewState(ticker="AAA", period="1m"))
    assert set(movers.ranked["ticker"]) == {"AAA", "BBB"}
    assert "bars of the index IWM, whose file was damaged" in str(page_layout(services))
    assert store.tickers() == ["AAA", "BBB"]
