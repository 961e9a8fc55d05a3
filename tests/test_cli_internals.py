"""``r2k movers``, ``r2k breadth`` and ``r2k screen`` on the demo market, as of a past date.

Each JSON object is checked for its contract keys and against an independent pandas
computation on the same closes; bad input is one line on stderr and status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cli
import market.sources
from analysis.read import technical_read
from market.demo import DEMO_INDEX, DemoProvider

AS_OF = "2025-06-30"
MOVERS_KEYS = [
    "as_of",
    "period",
    "start",
    "end",
    "ranked",
    "left_out",
    "index_return_pct",
    "contributions_sum_pct",
    "top",
    "bottom",
]
MOVER_ROW_KEYS = ["ticker", "name", "sector", "weight", "last", "return_pct", "contribution_pct"]
BREADTH_KEYS = [
    "as_of",
    "constituents",
    "above_sma50w_pct",
    "above_sma200d_pct",
    "new_highs_52w",
    "new_lows_52w",
    "advancers",
    "decliners",
]
SCREEN_ROW_KEYS = {"ticker", "name", "sector", "state", "since", "close", "rsi14"}


@pytest.fixture(scope="module")
def demo() -> DemoProvider:
    return DemoProvider()


@pytest.fixture(scope="module")
def closes(demo: DemoProvider) -> pd.DataFrame:
    return demo.closes()


@pytest.fixture
def shared_demo(monkeypatch: pytest.MonkeyPatch, demo: DemoProvider) -> DemoProvider:
    monkeypatch.setattr(market.sources, "DemoProvider", lambda directory=None: demo)
    return demo


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    status = cli.main([*argv, "--source", "demo", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert err == ""
    return json.loads(out)


def test_movers_json_is_the_contract_and_agrees_with_pandas(capsys, shared_demo, closes):
    payload = _run(capsys, "movers", "--as-of", AS_OF, "--period", "3M", "--top", "5")
    assert list(payload)[2:] == MOVERS_KEYS
    assert payload["source"] == "demo" and payload["simulated"] is True
    assert (payload["as_of"], payload["start"], payload["end"]) == (AS_OF, "2025-03-30", AS_OF)
    universe = shared_demo.universe()
    base = closes.loc[:"2025-03-30"].ffill().iloc[-1]
    after = closes.loc["2025-03-31":AS_OF]
    last = after.ffill().iloc[-1].where(after.notna().any())
    returns = (100.0 * (last / base - 1.0)).dropna()
    assert payload["ranked"] == len(returns)
    assert payload["left_out"] == len(universe) - len(returns)
    top = returns.sort_values(ascending=False).head(5)
    assert [row["ticker"] for row in payload["top"]] == list(top.index)
    assert [row["return_pct"] for row in payload["top"]] == pytest.approx(list(top), abs=1e-4)
    assert [row["ticker"] for row in payload["bottom"]] == list(returns.sort_values().index[:5])
    for row in payload["top"] + payload["bottom"]:
        assert list(row) == MOVER_ROW_KEYS
    weights = universe.set_index("ticker")["weight"].loc[returns.index]
    today = closes.ffill().iloc[-1].loc[returns.index]
    start_weight = weights * base.loc[returns.index] / today
    start_weight /= start_weight.sum()
    contribution = start_weight * returns
    assert payload["contributions_sum_pct"] == pytest.approx(contribution.sum(), abs=1e-4)
    first = payload["top"][0]
    assert first["contribution_pct"] == pytest.approx(contribution[first["ticker"]], abs=1e-6)
    index = shared_demo.bars([DEMO_INDEX]).bars[DEMO_INDEX]["close"]
    expected_index = 100.0 * (index.loc[:AS_OF].iloc[-1] / index.loc[:"2025-03-30"].iloc[-1] - 1)
    assert payload["index_return_pct"] == pytest.approx(expected_index, abs=1e-4)


def test_breadth_json_is_the_contract_and_agrees_with_pandas(capsys, shared_demo, closes):
    payload = _run(capsys, "breadth", "--as-of", AS_OF, "--exclude", "Health Care")
    assert list(payload)[2:-1] == BREADTH_KEYS
    universe = shared_demo.universe()
    kept = universe.loc[universe["sector"] != "Health Care", "ticker"]
    past = closes.loc[:AS_OF, [t for t in kept if t in closes.columns]]
    today, before = past.iloc[-1], past.iloc[-2]
    assert payload["constituents"] == int(today.notna().sum())
    assert payload["advancers"] == int((today > before).sum())
    assert payload["decliners"] == int((today < before).sum())
    sma200 = past.rolling(200).mean().iloc[-1]
    counted = sma200.notna() & today.notna()
    expected = 100.0 * (today[counted] > sma200[counted]).sum() / counted.sum()
    assert payload["above_sma200d_pct"] == pytest.approx(expected, abs=0.005)
    assert payload["counts"]["sma200d"] == int(counted.sum())
    window = past.iloc[-252:]
    full = window.notna().all()
    assert payload["new_highs_52w"] == int((today[full] >= window.max()[full]).sum())
    assert payload["new_lows_52w"] == int((today[full] <= window.min()[full]).sum())
    weeks = past.groupby(past.index - pd.to_timedelta(past.index.day_of_week, unit="D")).last()
    sma50 = weeks.rolling(50).mean().iloc[-1]
    counted = sma50.notna() & today.notna()
    expected = 100.0 * (weeks.iloc[-1][counted] > sma50[counted]).sum() / counted.sum()
    assert payload["above_sma50w_pct"] == pytest.approx(expected, abs=0.005)


def test_screen_json_rows_agree_with_the_read_of_their_tickers(capsys, shared_demo):
    payload = _run(capsys, "screen", "--as-of", AS_OF, "--within", "4", "--top", "3")
    assert payload["as_of"] == AS_OF
    rows = payload["rows"]
    assert rows and all(set(row) >= SCREEN_ROW_KEYS for row in rows)
    first_week = pd.Timestamp(payload["week"]) - pd.Timedelta(weeks=3)
    assert all(pd.Timestamp(row["since"]) >= first_week for row in rows)
    channel_rows = [r for r in rows if r["state"] in ("below_channel", "above_channel")]
    assert channel_rows
    for row in channel_rows:
        daily = shared_demo.bars([row["ticker"]]).bars[row["ticker"]]
        read = technical_read(row["ticker"], daily, as_of=AS_OF)
        assert read.channel is not None
        assert f"{read.channel.position}_channel" == row["state"]
        assert read.channel.exit_date.date().isoformat() == row["since"]
        assert row["close"] == pytest.approx(read.close, abs=1e-4)
        assert row["rsi14"] == pytest.approx(read.rsi14, abs=0.01)


def test_screen_state_and_sector_flags_filter_rows(capsys, shared_demo):
    payload = _run(
        capsys, "screen", "--as-of", AS_OF, "--state", "rsi_oversold", "--include", "Energy"
    )
    assert {row["state"] for row in payload["rows"]} <= {"rsi_oversold"}
    assert {row["sector"] for row in payload["rows"]} <= {"Energy"}
    assert all(row["rsi14"] < 30 for row in payload["rows"])


def test_text_output_says_the_numbers_are_simulated(capsys, shared_demo):
    status = cli.main(["breadth", "--source", "demo", "--as-of", AS_OF])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert out.startswith("SIMULATED")
    assert f"breadth as of {AS_OF}" in out


@pytest.mark.parametrize("command", ["movers", "breadth", "screen"])
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--include", "Biotech"], "unknown sector 'Biotech'"),
        (["--exclude", "Energy,Nope"], "unknown sector 'Nope'"),
        (["--as-of", "2025-13-01"], "YYYY-MM-DD"),
        (["--as-of", "yesterday"], "YYYY-MM-DD"),
        (["--top", "0"], "--top"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_status_2(capsys, shared_demo, command, flags, message):
    status = cli.main([command, "--source", "demo", *flags])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"r2k {command}: ") and message in err


@pytest.mark.parametrize(
    "argv",
    [
        ["movers", "--period", "2Q"],
        ["screen", "--state", "falling"],
        ["breadth", "--as-of", "1990-01-02"],
    ],
)
def test_a_bad_period_state_or_date_before_the_data_is_one_line(capsys, shared_demo, argv):
    status = cli.main([*argv, "--source", "demo"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1


def test_values_are_finite_numbers_or_null(capsys, shared_demo):
    payload = _run(capsys, "movers", "--as-of", AS_OF)
    for row in payload["top"]:
        assert all(
            value is None or np.isfinite(value)
            for key, value in row.items()
            if key not in ("ticker", "name", "sector")
        )


# A csv: source: the user's own files (real tickers, a few January 2025 sessions)

CSV_DIR = Path(__file__).parent / "data" / "csv"


def _csv_closes() -> pd.DataFrame:
    """The closes of the universe's readable files, read straight from the CSVs.

    The files are in Yahoo's formats: one header row, or yfinance's Price / Ticker rows.
    """
    closes = {}
    for ticker in ("MOG-A", "ABCL", "KRE"):
        table = pd.read_csv(CSV_DIR / f"{ticker}.csv", header=None, dtype=str)
        head = table.iloc[:3]
        ticker_row = head.loc[head[0] == "Ticker"]
        column = next(
            j
            for j in table.columns
            if (head[j] == "Close").any() and (ticker_row.empty or ticker_row[j].iloc[0] == ticker)
        )
        dates = pd.to_datetime(table[0], errors="coerce", format="%Y-%m-%d")
        values = pd.to_numeric(table[column], errors="coerce")
        closes[ticker] = pd.Series(values[dates.notna()].to_numpy(), index=dates[dates.notna()])
    return pd.DataFrame(closes).sort_index()


def test_movers_on_csv_files_agree_with_pandas_on_the_same_files(capsys):
    status = cli.main(["movers", "--source", f"csv:{CSV_DIR}", "--period", "2025-01-03", "--json"])
    out, _err = capsys.readouterr()
    assert status == 0
    payload = json.loads(out)
    assert payload["simulated"] is False
    closes = _csv_closes()
    base = closes.loc[:"2025-01-03"].ffill().iloc[-1]
    last = closes.ffill().iloc[-1]
    returns = 100.0 * (last / base - 1.0)
    got = {row["ticker"]: row["return_pct"] for row in payload["top"]}
    assert got == pytest.approx(returns.to_dict(), abs=1e-4)
    assert payload["ranked"] == 3 and payload["left_out"] == 2
    weights = pd.Series({"MOG-A": 0.45, "ABCL": 0.25, "KRE": 0.2})
    start_weight = weights / weights.sum()  # the holdings' date is the last close here
    start_weight = start_weight * base / last
    start_weight /= start_weight.sum()
    assert payload["contributions_sum_pct"] == pytest.approx(
        (start_weight * returns).sum(), abs=1e-4
    )


def test_breadth_on_a_few_csv_sessions_counts_only_what_has_history(capsys):
    status = cli.main(["breadth", "--source", f"csv:{CSV_DIR}", "--json"])
    out, _err = capsys.readouterr()
    assert status == 0
    payload = json.loads(out)
    closes = _csv_closes()
    today = closes.iloc[-1]
    before = closes.iloc[-2]
    assert payload["constituents"] == int(today.notna().sum())
    assert payload["advancers"] == int((today > before).sum())
    assert payload["decliners"] == int((today < before).sum())
    assert payload["above_sma50w_pct"] is None and payload["counts"]["sma50w"] == 0
