"""The ``r2k`` command: the read contract on the demo market, its errors, and refresh.

``cli.main(argv)`` runs in-process with capsys; a few runs go through the installed console
script, as users run it. No test touches the network: Yahoo runs point every address
(probe, holdings, HTTP proxies) at loopback ports.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

import cli
import market.sources
from analysis.weekly import weekly_bars
from market.demo import DEMO_BENCHMARK, DEMO_INDEX, DemoProvider
from market.store import Store
from tests.store_fakes import synthetic_bars

R2K = Path(sys.executable).with_name("r2k")
"""The console script installed beside the interpreter running the tests (.venv/bin/r2k)."""

CONTRACT_KEYS = frozenset(
    {
        "ticker",
        "source",
        "simulated",
        "as_of",
        "week",
        "close",
        "all_time_high",
        "all_time_high_date",
        "drawdown_pct",
        "sma50w",
        "above_sma50w",
        "macd",
        "macd_signal",
        "macd_hist",
        "rsi14",
        "channel",
        "summary",
    }
)
CHANNEL_CONTRACT_KEYS = frozenset(
    {
        "lookback_weeks",
        "fit_start",
        "fit_end",
        "slope_pct_per_week",
        "ascending",
        "upper",
        "middle",
        "lower",
        "position",
        "exit_week",
    }
)
AS_OF = "2025-06-30"
RUN_SECONDS = 15
"""The issue's bound for ``r2k refresh --source yahoo`` with no network."""
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy")


@pytest.fixture
def cache_dir() -> Path:
    """The per-test R2K_CACHE_DIR that conftest sets."""
    return Path(os.environ["R2K_CACHE_DIR"])


@pytest.fixture(scope="module")
def demo() -> DemoProvider:
    return DemoProvider()


@pytest.fixture(scope="module")
def demo_index_daily(demo: DemoProvider) -> pd.DataFrame:
    return demo.bars([DEMO_INDEX]).bars[DEMO_INDEX]


@pytest.fixture
def shared_demo(monkeypatch: pytest.MonkeyPatch, demo: DemoProvider) -> DemoProvider:
    """In-process runs use one built demo market (same seed, same numbers) to save time."""
    monkeypatch.setattr(market.sources, "DemoProvider", lambda directory=None: demo)
    return demo


def _main_json(cache: Path, *argv: str) -> dict:
    """``r2k read ... --json`` in-process with only R2K_CACHE_DIR=cache set, stdout parsed.

    For module-scoped fixtures, which run before conftest's per-test isolation.
    """
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("R2K_")]:
            patch.delenv(name)
        patch.setenv("R2K_CACHE_DIR", str(cache))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["read", *argv, "--json"])
    assert status == 0, err.getvalue()
    assert err.getvalue() == ""
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def latest_read(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``r2k read DEMO-R2K --source demo --json``, as main prints it."""
    return _main_json(tmp_path_factory.mktemp("cache"), DEMO_INDEX, "--source", "demo")


@pytest.fixture(scope="module")
def as_of_read(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same read ``--as-of AS_OF``."""
    cache = tmp_path_factory.mktemp("cache")
    return _main_json(cache, DEMO_INDEX, "--source", "demo", "--as-of", AS_OF)


def _read_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    status = cli.main(["read", *argv, "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert err == ""
    return json.loads(out)


def _weekly_closes(daily: pd.DataFrame) -> pd.Series:
    """Friday-ended weeks (pandas' own resampling), relabelled by their Monday."""
    closes = daily["close"].resample("W-FRI").last().dropna()
    closes.index = pd.DatetimeIndex(closes.index) - pd.Timedelta(days=4)
    return closes


def _talib_last(closes: pd.Series) -> dict[str, float]:
    """The last value of each indicator of the read, computed by TA-Lib on weekly closes."""
    values = closes.to_numpy(dtype="float64")
    macd, signal, hist = talib.MACD(values, fastperiod=12, slowperiod=26, signalperiod=9)
    return {
        "rsi14": talib.RSI(values, timeperiod=14)[-1],
        "macd": macd[-1],
        "macd_signal": signal[-1],
        "macd_hist": hist[-1],
        "sma50w": talib.SMA(values, timeperiod=50)[-1],
    }


def _assert_agrees_with_talib(read: dict, daily: pd.DataFrame) -> None:
    closes = _weekly_closes(daily)
    assert read["week"] == closes.index[-1].date().isoformat()
    for key, expected in _talib_last(closes).items():
        assert np.isfinite(expected), key
        assert read[key] == pytest.approx(expected, rel=0, abs=1e-6), key


def test_read_json_has_the_whole_contract_and_tells_the_demo_story(latest_read):
    read = latest_read

    assert set(read) >= CONTRACT_KEYS
    assert set(read["channel"]) == CHANNEL_CONTRACT_KEYS
    assert read["ticker"] == DEMO_INDEX
    assert read["source"] == "demo"
    assert read["simulated"] is True
    assert read["stale"] is False and read["in_progress"] is False
    assert read["last_bar"] == read["as_of"][:10]
    channel = read["channel"]
    assert channel["ascending"] is True
    assert channel["lookback_weeks"] == 104
    assert channel["position"] == "below"
    assert read["close"] < channel["lower"] < channel["middle"] < channel["upper"]
    assert channel["exit_week"] is not None
    assert date.fromisoformat(channel["exit_week"]).weekday() == 0
    assert read["close"] < read["sma50w"]
    assert read["above_sma50w"] is False
    assert read["macd"] < 0
    assert -25 <= read["drawdown_pct"] <= -15
    assert read["summary"].startswith(f"{DEMO_INDEX} closed at $")


def test_read_json_numbers_agree_with_talib_on_the_demo_bars(latest_read, demo_index_daily):
    read = latest_read
    closes = demo_index_daily["close"]

    assert read["as_of"] == closes.index[-1].date().isoformat()
    assert read["close"] == closes.iloc[-1]
    assert read["all_time_high"] == closes.max()
    assert read["all_time_high_date"] == closes.idxmax().date().isoformat()
    assert read["drawdown_pct"] == pytest.approx(100 * (closes.iloc[-1] / closes.max() - 1))
    _assert_agrees_with_talib(read, demo_index_daily)


def test_independent_weekly_closes_match_the_weekly_bars_of_the_demo(demo_index_daily):
    ours = weekly_bars(demo_index_daily)["close"]
    pd.testing.assert_series_equal(
        ours, _weekly_closes(demo_index_daily), check_names=False, check_freq=False
    )


def test_read_as_of_replays_a_past_day_the_same_way_twice(
    capsys, shared_demo, as_of_read, demo_index_daily
):
    first = as_of_read
    second = _read_json(capsys, DEMO_INDEX, "--source", "demo", "--as-of", AS_OF)

    assert first == second
    assert first["as_of"] <= AS_OF
    assert first["all_time_high_date"] <= AS_OF
    past = demo_index_daily.loc[:AS_OF]
    assert first["as_of"] == past.index[-1].date().isoformat()
    assert first["close"] == past["close"].iloc[-1]
    _assert_agrees_with_talib(first, past)


def test_read_text_says_simulated_and_prints_the_summary(capsys, shared_demo, latest_read):
    read = latest_read

    status = cli.main(["read", DEMO_INDEX, "--source", "demo"])
    out, err = capsys.readouterr()

    assert status == 0
    assert err == ""
    assert out.splitlines()[0].startswith("SIMULATED")
    assert read["summary"] in out
    assert "below the lower band" in out and "50-week average" in out


@pytest.mark.parametrize("ticker", ["NOPE", "../etc", "<script>"])
def test_read_of_an_unknown_or_malformed_ticker_is_one_line_and_status_2(
    capsys, shared_demo, ticker
):
    status = cli.main(["read", ticker, "--source", "demo"])
    out, err = capsys.readouterr()

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("r2k read: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["read", DEMO_INDEX, "--source", "bogus"],
        ["refresh", "--source", "bogus"],
        ["read", DEMO_INDEX, "--source", "csv:"],
    ],
)
def test_a_bad_source_is_one_line_and_status_2(capsys, argv):
    status = cli.main(argv)
    out, err = capsys.readouterr()

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "source" in err


def test_a_bad_source_from_the_environment_is_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.setenv("R2K_SOURCE", "bogus")

    status = cli.main(["read", DEMO_INDEX])
    out, err = capsys.readouterr()

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1


def test_the_console_script_prints_the_same_read_as_main(as_of_read):
    run = subprocess.run(
        [str(R2K), "read", DEMO_INDEX, "--source", "demo", "--as-of", AS_OF, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == as_of_read


# r2k refresh --source demo


def test_console_refresh_of_demo_tickers_fills_a_parquet_store(demo, cache_dir):
    """The whole demo universe takes ~50 s to store here, so a handful of tickers is asked."""
    members = list(demo.universe()["ticker"].head(4))
    tickers = [DEMO_INDEX, DEMO_BENCHMARK, *members]

    run = subprocess.run(
        [str(R2K), "refresh", "--source", "demo", *tickers],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert run.stderr.strip().splitlines()[-1] == (
        "r2k refresh: fetched 6, already fresh 0, missing 0, failed 0"
    )
    store = Store(cache_dir / "demo")
    assert sorted(p.stem for p in store.bars_dir.glob("*.parquet")) == sorted(tickers)
    assert store.closes_path.is_file()
    assert sorted(store.read_closes().columns) == sorted(tickers)
    stored = store.read_bars(DEMO_INDEX)
    assert stored is not None
    expected = demo.bars([DEMO_INDEX], end=date.today()).bars[DEMO_INDEX]
    assert stored.index[-1] == expected.index[-1]
    pd.testing.assert_series_equal(
        stored["close"], expected["close"].loc[stored.index[0] :], check_freq=False
    )


class _FewMembersDemo:
    """The demo market with its five largest constituents only, so a full refresh is quick."""

    def __init__(self, demo: DemoProvider) -> None:
        self.demo = demo
        self.name = demo.name
        self.simulated = demo.simulated
        self.index_ticker = demo.index_ticker
        self.benchmark_ticker = demo.benchmark_ticker

    def bars(self, tickers, start=None, end=None):
        return self.demo.bars(tickers, start, end)

    def universe(self) -> pd.DataFrame:
        return self.demo.universe().head(5).reset_index(drop=True)


def test_refresh_without_tickers_stores_universe_index_and_closes(monkeypatch, demo, cache_dir):
    monkeypatch.setattr(
        market.sources, "DemoProvider", lambda directory=None: _FewMembersDemo(demo)
    )

    status = cli.main(["refresh", "--source", "demo"])

    assert status == 0
    store = Store(cache_dir / "demo")
    universe = store.read_universe()
    assert universe is not None
    members = list(universe["ticker"])
    assert len(members) == 5
    expected = sorted([DEMO_INDEX, DEMO_BENCHMARK, *members])
    assert sorted(p.stem for p in store.bars_dir.glob("*.parquet")) == expected
    assert store.universe_path.is_file() and store.closes_path.is_file()
    assert sorted(store.read_closes().columns) == expected


def test_refresh_in_process_writes_its_summary_to_the_current_stderr(capsys, shared_demo):
    status = cli.main(["refresh", "--source", "demo", DEMO_INDEX])
    out, err = capsys.readouterr()

    assert status == 0
    assert out == ""
    assert "r2k refresh: fetched 1, already fresh 0, missing 0, failed 0" in err


def test_refresh_asks_for_the_configured_years_of_history(monkeypatch, shared_demo, cache_dir):
    monkeypatch.setenv("R2K_HISTORY_YEARS", "3")

    status = cli.main(["refresh", "--source", "demo", DEMO_INDEX])

    assert status == 0
    stored = Store(cache_dir / "demo").read_bars(DEMO_INDEX)
    assert stored is not None
    earliest = pd.Timestamp(date.today()) - pd.DateOffset(years=3) - pd.Timedelta(days=7)
    assert stored.index[0] >= earliest


# r2k refresh --source yahoo with no network


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=128) as server:
        yield int(server.getsockname()[1])


def _loopback_only(port: int) -> dict[str, str]:
    """The environment of a Yahoo run whose every request ends at ``127.0.0.1:port``.

    Probe and holdings go there directly; yfinance (curl_cffi) and requests honour the proxy
    variables, so Yahoo's own hosts are never looked up or contacted either (checked with
    strace: every connect() of such a run is to 127.0.0.1).
    """
    env = {k: v for k, v in os.environ.items() if k.upper() != "NO_PROXY"}
    proxy = f"http://127.0.0.1:{port}"
    env.update(dict.fromkeys(PROXY_VARIABLES, proxy))
    env["R2K_PROBE_ADDRESS"] = f"127.0.0.1:{port}"
    env["R2K_HOLDINGS_URL"] = f"http://127.0.0.1:{port}/x"
    return env


def _run_yahoo_refresh(env: dict[str, str]) -> tuple[int, str]:
    """Run ``r2k refresh --source yahoo``; fail the test if it is still running after 15 s."""
    process = subprocess.Popen(
        [str(R2K), "refresh", "--source", "yahoo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        last = err.strip().splitlines()[-1:] or ["(nothing)"]
        pytest.fail(f"still running after {RUN_SECONDS} s; last stderr line: {last[0]}")
    assert out == ""
    return process.returncode, err


def _files_in(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and p.name != ".refresh.lock"]


def test_refresh_yahoo_with_no_network_fails_fast_and_stores_nothing(closed_port, cache_dir):
    status, err = _run_yahoo_refresh(_loopback_only(closed_port))

    assert status != 0
    last = err.strip().splitlines()[-1]
    assert last.startswith("r2k refresh:")
    assert "unreachable" in last
    assert _files_in(cache_dir) == []


@pytest.mark.slow
def test_refresh_yahoo_on_a_hanging_network_ends_within_15_seconds(silent_port, cache_dir):
    status, err = _run_yahoo_refresh(_loopback_only(silent_port))

    assert status != 0
    assert err.strip().splitlines()[-1].startswith("r2k refresh:")
    assert _files_in(cache_dir) == []


def test_read_from_a_stored_copy_names_a_damaged_index_file(
    capsys, monkeypatch, closed_port, cache_dir
):
    store = Store(cache_dir / "yahoo")
    for ticker in ("IWM", "AAA"):
        assert store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2025-06-04"))
    index = store.bars_path("IWM")
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    monkeypatch.setenv("R2K_PROBE_ADDRESS", f"127.0.0.1:{closed_port}")

    assert cli.main(["read", "IWM", "--source", "auto"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("r2k read: IWM: the stored file of IWM was damaged and set aside")

    assert cli.main(["read", "AAA", "--source", "auto", "--json"]) == 0
    read = json.loads(capsys.readouterr().out)
    assert read["source_label"] == "Yahoo Finance (stored copy)" and read["simulated"] is False
