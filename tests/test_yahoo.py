"""The Yahoo provider against fakes of yfinance shaped like its real output; no network."""

from __future__ import annotations

import socket
import threading
import time
import types
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import yfinance
import yfinance.multi
from curl_cffi.requests.exceptions import DNSError
from yfinance import utils as yf_utils
from yfinance.exceptions import YFRateLimitError

from market.bars import validate_bars
from market.network import probe, run_with_deadline
from market.provider import DataFormatError, SourceUnavailableError
from market.universe import make_universe
from market.yahoo import BACKOFF_SECONDS, YahooProvider, bars_from_download, yfinance_download
from settings import Settings
from tests.yahoo_fakes import (
    FakeClock,
    FakeDownload,
    download_frame,
    drop_nan_rows,
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


# --- the fakes are shaped like yfinance's real assembly -----------------------------------


def _stub_ticker(answers: dict[str, object]) -> type:
    """``yfinance.Ticker`` without the network: ``history`` answers from ``answers``."""

    class StubTicker:
        def __init__(self, ticker: str) -> None:
            self.ticker = ticker
            self._price_history = types.SimpleNamespace(_last_error=None)

        def history(self, **options):
            answer = answers[self.ticker]
            if isinstance(answer, BaseException):
                raise answer
            if answer is None:
                self._price_history._last_error = "possibly delisted; no price data found"
                return yf_utils.empty_df()
            return answer.copy()

    return StubTicker


@pytest.fixture
def offline_yfinance(monkeypatch):
    """Real ``yf.download`` whose per-ticker requests are answered from a dict."""
    answers: dict[str, object] = {}
    monkeypatch.setattr(yfinance.multi, "Ticker", _stub_ticker(answers))
    return answers


@pytest.mark.parametrize(
    "histories",
    [
        {"AAA": history_frame("2024-01-02", 5), "BBB": history_frame("2024-01-04", 4, 50.0)},
        {"AAA": history_frame("2024-01-02", 5), "ZZZ": None},
        {"XXX": None, "YYY": None},
        {"AAA": history_frame("2024-01-02", 3)},
    ],
    ids=["two-tickers", "one-failed", "all-failed", "single"],
)
def test_fake_frames_match_what_yfinance_download_assembles(offline_yfinance, histories):
    offline_yfinance.update(histories)
    real = yfinance.download(list(histories), progress=False, auto_adjust=True, threads=False)
    pd.testing.assert_frame_equal(real, download_frame(histories))


def test_yfinance_download_raises_the_rate_limit_yfinance_only_logs(offline_yfinance):
    offline_yfinance.update({"AAA": history_frame("2024-01-02", 3), "BBB": YFRateLimitError()})
    with pytest.raises(YFRateLimitError):
        yfinance_download(["AAA", "BBB"], progress=False, threads=False)


def test_yfinance_download_raises_connection_error_when_no_ticker_could_connect(
    offline_yfinance,
):
    offline_yfinance.update({"AAA": DNSError("Could not resolve host"), "BBB": DNSError("x")})
    with pytest.raises(ConnectionError, match="DNSError"):
        yfinance_download(["AAA", "BBB"], progress=False, threads=False)


def test_yfinance_download_returns_empty_columns_for_an_unknown_ticker(offline_yfinance):
    offline_yfinance.update({"AAA": history_frame("2024-01-02", 3), "ZZZ": None})
    frame = yfinance_download(["AAA", "ZZZ"], progress=False, threads=False)
    assert frame["Close"]["ZZZ"].isna().all()
    assert frame["Close"]["AAA"].tolist() == [100.0, 101.0, 102.0]


# --- bars ---------------------------------------------------------------------------------


def test_a_normal_batch_becomes_bars_per_ticker():
    histories = {"AAA": history_frame("2024-01-02", 5), "BBB": history_frame("2024-01-04", 4, 50.0)}
    download = FakeDownload([_frames_for(histories)])
    provider, _ = _provider(download)

    result = provider.bars(["aaa", "BBB"], date(2024, 1, 1), date(2024, 1, 31))

    assert set(result.bars) == {"AAA", "BBB"}
    assert result.missing == () and result.failed == {}
    aaa = validate_bars(result.bars["AAA"])
    assert aaa.index[0] == pd.Timestamp("2024-01-02") and aaa.index.tz is None
    assert aaa["close"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    # BBB's sessions before its first date are NaN rows in the frame: not bars
    assert validate_bars(result.bars["BBB"]).index[0] == pd.Timestamp("2024-01-04")
    assert len(result.bars["BBB"]) == 4


def test_download_is_asked_for_adjusted_daily_columns_with_an_exclusive_end():
    download = FakeDownload([_frames_for({"AAA": history_frame("2024-01-02", 2)})])
    provider, _ = _provider(download, request_timeout=7.5)

    provider.bars(["AAA"], date(2024, 1, 1), date(2024, 1, 31))

    (tickers, options), *_ = download.calls
    assert tickers == ["AAA"]
    assert options["start"] == "2024-01-01" and options["end"] == "2024-02-01"
    assert options["auto_adjust"] is True and options["group_by"] == "column"
    assert options["progress"] is False and options["threads"] is True
    assert options["timeout"] == 7.5 and options["interval"] == "1d"
    assert "multi_level_index" not in options


def test_start_defaults_to_the_configured_years_of_history():
    download = FakeDownload([_frames_for({"AAA": history_frame("2024-01-02", 2)})])
    provider, _ = _provider(download, history_years=5)

    provider.bars(["AAA"], end=date(2024, 2, 29))

    assert download.calls[0][1]["start"] == "2019-02-28"


def test_a_failed_ticker_is_missing_and_never_returned_as_data():
    histories = {"AAA": history_frame("2024-01-02", 3), "DEAD": None}
    provider, _ = _provider(FakeDownload([_frames_for(histories)]))

    result = provider.bars(["AAA", "DEAD"])

    assert list(result.bars) == ["AAA"]
    assert result.missing == ("DEAD",)


def test_all_nan_rows_are_dropped():
    history = drop_nan_rows(history_frame("2024-01-02", 5), ["2024-01-03", "2024-01-05"])
    provider, _ = _provider(FakeDownload([_frames_for({"AAA": history})]))

    bars = provider.bars(["AAA"]).bars["AAA"]

    assert [d.strftime("%m-%d") for d in bars.index] == ["01-02", "01-04", "01-08"]
    assert not bars.isna().any().any()


def test_a_partial_batch_reports_the_tickers_yahoo_left_out():
    answer = download_frame({"AAA": history_frame("2024-01-02", 3)})
    provider, _ = _provider(FakeDownload([answer]))

    result = provider.bars(["AAA", "BBB", "CCC"])

    assert list(result.bars) == ["AAA"]
    assert result.missing == ("BBB", "CCC")


def test_a_whole_empty_batch_after_a_passed_probe_means_missing_tickers():
    provider, _ = _provider(FakeDownload([download_frame({"XXX": None, "YYY": None})]))

    result = provider.bars(["XXX", "YYY"])

    assert result.bars == {} and result.missing == ("XXX", "YYY") and result.failed == {}


def test_single_level_columns_are_accepted_for_one_ticker():
    frame = download_frame({"AAA": history_frame("2024-01-02", 3)}).droplevel(1, axis=1)
    provider, _ = _provider(FakeDownload([frame]))

    assert provider.bars(["AAA"]).bars["AAA"]["close"].tolist() == [100.0, 101.0, 102.0]


def test_columns_of_another_shape_fail_that_batch_with_the_reason():
    frame = download_frame({"AAA": history_frame("2024-01-02", 3)}).droplevel(1, axis=1)
    provider, _ = _provider(FakeDownload([frame]))

    result = provider.bars(["AAA", "BBB"])

    assert result.bars == {}
    assert "(Price, Ticker)" in result.failed["AAA"]


def test_bars_from_download_reads_either_level_order():
    frame = download_frame({"AAA": history_frame("2024-01-02", 3), "BBB": None})
    swapped = frame.swaplevel(0, 1, axis=1)

    found, missing = bars_from_download(swapped, ["AAA", "BBB"])

    assert list(found) == ["AAA"] and missing == ("BBB",)


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


def test_connection_errors_in_every_batch_mean_the_source_is_unavailable():
    provider, _ = _provider(FakeDownload([ConnectionError("DNSError")]), batch_size=1)

    with pytest.raises(SourceUnavailableError, match="DNSError"):
        provider.bars(["AAA", "BBB"])


def test_a_connection_error_in_one_batch_fails_only_that_batch():
    good = _frames_for({"BBB": history_frame("2024-01-02", 3)})
    provider, _ = _provider(FakeDownload([ConnectionError("reset"), good]), batch_size=1)

    result = provider.bars(["AAA", "BBB"])

    assert list(result.bars) == ["BBB"]
    assert result.failed == {"AAA": "connection failed: reset"}


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
