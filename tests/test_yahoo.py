"""The Yahoo provider against fakes of yfinance shaped like its real output; no network."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from yfinance.exceptions import YFRateLimitError

from market.network import probe, run_with_deadline
from market.provider import DataFormatError, SourceUnavailableError
from market.universe import make_universe
from market.yahoo import BACKOFF_SECONDS, YahooProvider
from settings import Settings
from tests.yahoo_fakes import (
    FakeClock,
    FakeDownload,
    download_frame,
    history_frame,
)

HOLDINGS = Path(__file__).parent / "data" / "IWM_holdings.csv"

pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning:yfinance"  # yfinance 1.7 under pandas 3
)


def _settings(**overrides) -> Settings:
    values = {"source": "yahoo", "requests_per_second": 1.0, "max_retries": 2, **overrides}
    return Settings(**values)


def _provider(download, clock: FakeClock | None = None, probe_ok: bool = True, **overrides):
    clock = clock or FakeClock()
    provider = YahooProvider(
        _settings(**overrides),
        download=download,
        fetch_holdings=lambda url: b"",
        sleep=clock.sleep,
        probe=lambda: probe_ok,
        clock=clock,
    )
    return provider, clock


def _frames_for(histories):
    """A download fake answering each batch from per-ticker histories (absent = failed)."""
    return lambda batch: download_frame({t: histories.get(t) for t in batch})


# --- bars ---------------------------------------------------------------------------------


def test_download_is_asked_with_an_exclusive_end_and_the_request_timeout():
    download = FakeDownload([_frames_for({"AAA": history_frame("2024-01-02", 2)})])
    provider, _ = _provider(download, request_timeout=7.5)

    provider.bars(["AAA"], date(2024, 1, 1), date(2024, 1, 31))

    (tickers, options), *_ = download.calls
    assert tickers == ["AAA"]
    assert options == {"start": date(2024, 1, 1), "end": date(2024, 2, 1), "timeout": 7.5}


def test_start_defaults_to_the_configured_years_of_history():
    download = FakeDownload([_frames_for({"AAA": history_frame("2024-01-02", 2)})])
    provider, _ = _provider(download, history_years=5)

    provider.bars(["AAA"], end=date(2024, 2, 29))

    assert download.calls[0][1]["start"] == date(2019, 2, 28)


def test_a_partial_batch_reports_the_tickers_yahoo_left_out():
    answer = download_frame({"AAA": history_frame("2024-01-02", 3)})
    provider, _ = _provider(FakeDownload([answer]))

    result = provider.bars(["AAA", "BBB", "CCC"])

    assert list(result.bars) == ["AAA"]
    assert result.missing == ("BBB", "CCC")


def test_a_rate_limit_backs_off_exponentially_then_recovers():
    histories = {"AAA": history_frame("2024-01-02", 3)}
    download = FakeDownload([YFRateLimitError(), YFRateLimitError(), _frames_for(histories)])
    provider, clock = _provider(download, max_retries=2)

    result = provider.bars(["AAA"])

    assert list(result.bars) == ["AAA"] and result.failed == {}
    assert len(download.calls) == 3
    assert clock.sleeps == [BACKOFF_SECONDS, 2 * BACKOFF_SECONDS]


def test_rate_limited_beyond_the_retries_fails_those_tickers_and_stops_asking():
    download = FakeDownload([YFRateLimitError()])
    provider, clock = _provider(download, max_retries=2, batch_size=2)

    result = provider.bars(["AAA", "BBB", "CCC"])

    assert result.bars == {} and result.missing == ()
    assert result.failed["AAA"] == result.failed["BBB"] == "rate limited by Yahoo after 2 retries"
    assert result.failed["CCC"].startswith("not asked")
    assert len(download.calls) == 3  # the first batch, twice retried; the second never asked
    assert clock.sleeps == [BACKOFF_SECONDS, 2 * BACKOFF_SECONDS]


def test_a_dead_network_fails_fast_without_downloading():
    download = FakeDownload([download_frame({"XXX": None})])
    provider, _ = _provider(download, probe_ok=False)

    with pytest.raises(SourceUnavailableError, match="unreachable"):
        provider.bars(["AAA"])
    assert download.calls == []


def test_a_hanging_download_hits_the_deadline():
    release = threading.Event()
    provider, _ = _provider(FakeDownload([release]), fetch_deadline=0.2)
    try:
        with pytest.raises(SourceUnavailableError, match=r"did not finish within 0\.2 s"):
            provider.bars(["AAA"])
    finally:
        release.set()


def test_a_hang_after_good_batches_keeps_them_and_skips_the_rest():
    release = threading.Event()
    good = _frames_for({"AAA": history_frame("2024-01-02", 3)})
    download = FakeDownload([good, release])
    provider, _ = _provider(download, fetch_deadline=0.2, batch_size=1)
    try:
        result = provider.bars(["AAA", "BBB", "CCC"])
    finally:
        release.set()

    assert list(result.bars) == ["AAA"]
    assert "did not finish" in result.failed["BBB"]
    assert result.failed["CCC"] == "not asked: Yahoo stopped answering"
    assert len(download.calls) == 2


def test_batches_are_bounded_and_spaced_by_the_request_rate():
    histories = {t: history_frame("2024-01-02", 2) for t in "ABCDE"}
    clock = FakeClock()
    download = FakeDownload([_frames_for(histories)], clock=clock, work_seconds=0.1)
    provider, _ = _provider(download, clock, batch_size=2, requests_per_second=2.0)

    result = provider.bars(list("ABCDE"))

    assert [batch for batch, _ in download.calls] == [["A", "B"], ["C", "D"], ["E"]]
    assert sorted(result.bars) == list("ABCDE")
    assert np.allclose(np.diff(download.started_at), 0.5)
    assert np.allclose(clock.sleeps, [0.4, 0.4])


def test_a_slow_batch_needs_no_extra_wait():
    histories = {t: history_frame("2024-01-02", 2) for t in "AB"}
    clock = FakeClock()
    download = FakeDownload([_frames_for(histories)], clock=clock, work_seconds=3.0)
    provider, _ = _provider(download, clock, batch_size=1, requests_per_second=1.0)

    provider.bars(["A", "B"])

    assert clock.sleeps == []


# --- class-share symbols ------------------------------------------------------------------


def test_resolve_missing_tries_the_other_spelling_and_reports_the_rest():
    download = FakeDownload([_frames_for({"MOGA": history_frame("2024-01-02", 3)})])
    provider, _ = _provider(download)

    resolution = provider.resolve_missing(["MOG-A", "GEF-B", "ZZZZ"])

    assert [batch for batch, _ in download.calls] == [["MOGA", "GEF-B".replace("-", "")]]
    assert resolution.renamed == {"MOG-A": "MOGA"}
    assert list(resolution.bars) == ["MOGA"]
    assert resolution.unresolved == ("GEF-B", "ZZZZ")


def test_a_resolution_renames_universe_tickers():
    universe = make_universe(
        pd.DataFrame(
            {
                "ticker": ["CRDO", "MOG-A"],
                "name": ["Credo", "Moog A"],
                "sector": ["Information Technology", "Industrials"],
                "weight": [0.6, 0.4],
            }
        )
    )
    download = FakeDownload([_frames_for({"MOGA": history_frame("2024-01-02", 3)})])
    provider, _ = _provider(download)

    renamed = provider.resolve_missing(["MOG-A"]).apply(universe)

    assert renamed["ticker"].tolist() == ["CRDO", "MOGA"]


def test_nothing_to_resolve_asks_nothing():
    download = FakeDownload([download_frame({"XXX": None})])
    provider, _ = _provider(download)

    resolution = provider.resolve_missing(["ZZZZ"])

    assert download.calls == [] and resolution.unresolved == ("ZZZZ",)


# --- universe -----------------------------------------------------------------------------


def _holdings_provider(fetch, **overrides):
    return YahooProvider(
        _settings(**overrides), download=FakeDownload([]), fetch_holdings=fetch, probe=lambda: True
    )


def test_universe_comes_from_the_ishares_holdings_file():
    urls: list[str] = []

    def fetch(url: str) -> bytes:
        urls.append(url)
        return HOLDINGS.read_bytes()

    provider = _holdings_provider(fetch, holdings_url="https://example.test/IWM.ajax?fileType=csv")

    universe = provider.universe()
    holdings = provider.holdings(as_of=date(2025, 4, 1))

    assert "MOG-A" in set(universe["ticker"]) and "XTSLA" not in set(universe["ticker"])
    assert holdings.as_of == date(2025, 11, 21)
    assert urls == [
        "https://example.test/IWM.ajax?fileType=csv",
        "https://example.test/IWM.ajax?fileType=csv&asOfDate=20250401",
    ]


def test_a_failed_holdings_download_means_the_source_is_unavailable():
    def fetch(url: str) -> bytes:
        raise requests.ConnectionError("connection refused")

    with pytest.raises(SourceUnavailableError, match="connection refused"):
        _holdings_provider(fetch).universe()


def test_a_hanging_holdings_download_hits_the_deadline():
    release = threading.Event()

    def fetch(url: str) -> bytes:
        release.wait()
        return b""

    try:
        with pytest.raises(SourceUnavailableError, match="holdings download"):
            _holdings_provider(fetch, fetch_deadline=0.2).universe()
    finally:
        release.set()


def test_an_html_page_instead_of_the_file_is_a_format_error():
    page = b"<!DOCTYPE html><html><body>Access denied</body></html>"
    with pytest.raises(DataFormatError, match="HTML"):
        _holdings_provider(lambda url: page).universe()


# --- network guards -----------------------------------------------------------------------


def _serve_once(server: socket.socket, reply: bytes | None) -> threading.Thread:
    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(1024)
            if reply is not None:
                connection.sendall(reply)
            time.sleep(3)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_probe_accepts_a_server_that_answers():
    with socket.create_server(("127.0.0.1", 0)) as server:
        _serve_once(server, b"HTTP/1.1 400 Bad Request\r\n\r\n")
        assert probe("127.0.0.1", server.getsockname()[1], timeout=2.0) is True


def test_probe_fails_on_a_server_that_accepts_and_never_answers():
    with socket.create_server(("127.0.0.1", 0)) as server:
        _serve_once(server, None)
        assert probe("127.0.0.1", server.getsockname()[1], timeout=1.0) is False


def test_probe_fails_on_a_closed_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    assert probe("127.0.0.1", port, timeout=2.0) is False


def test_run_with_deadline_returns_the_value_or_reraises():
    assert run_with_deadline(lambda: 42, 5.0) == 42
    with pytest.raises(KeyError, match="boom"):
        run_with_deadline(lambda: {}["boom"], 5.0)


def test_run_with_deadline_gives_up_on_a_call_that_never_returns():
    release = threading.Event()
    try:
        with pytest.raises(SourceUnavailableError, match="the test call did not finish"):
            run_with_deadline(release.wait, 0.1, "the test call")
    finally:
        release.set()


GEVENT_WORKER = """
from gevent import monkey

monkey.patch_all()
import gevent
from gevent.monkey import get_original

from market.network import run_with_deadline
from market.provider import SourceUnavailableError

blocking_sleep = get_original("time", "sleep")  # a C call that never yields, as curl's
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.05)) for _ in range(4)])
try:
    run_with_deadline(lambda: blocking_sleep(3), 0.5, "the blocked call")
except SourceUnavailableError as error:
    ticker.join()
    print("gave up:", error, "ticks:", len(ticks))
else:
    print("waited for the call")
"""


def test_run_with_deadline_in_a_gevent_worker_gives_up_and_keeps_the_worker_answering():
    """Under ``r2k serve``'s gevent workers a thread is a greenlet: a call blocked in C (curl)
    must run in a real thread, or the deadline never fires and the worker stops answering."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_WORKER],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "gave up: the blocked call did not finish within 0.5 s ticks: 4" in done.stdout
