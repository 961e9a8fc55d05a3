"""The screen against each ticker's own read and TA-Lib indicators, one ticker at a time.

A small universe of daily bars (two sectors; one ticker listed mid-period, one that stopped
trading, one that crashed through its channel at the end) is screened at once; the states,
their weeks and the numbers must be what the read (``analysis.read``) and the per-ticker
indicators give for the same ticker on the same date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from analysis import indicators, panel_indicators
from analysis.read import technical_read
from analysis.screen import SCREEN_COLUMNS, SCREEN_STATES, screen
from analysis.weekly import weekly_bars
from tests.analysis_fakes import bars_from_closes, random_walk

SESSIONS = 1300
AS_OF = "2025-06-18"


def _daily() -> dict[str, pd.DataFrame]:
    dates = pd.bdate_range("2020-07-01", periods=SESSIONS, name="date")
    walks = {f"W{i:02d}": random_walk(SESSIONS, seed=100 + i, vol=0.025) for i in range(14)}
    crash = np.linspace(20.0, 40.0, SESSIONS) * random_walk(SESSIONS, seed=9, start=1.0, vol=0.01)
    crash[-12:] = crash[-13] * np.linspace(0.95, 0.7, 12)
    walks["CRASH"] = crash
    bars = {t: bars_from_closes(v, dates) for t, v in walks.items()}
    bars["LATE"] = bars_from_closes(random_walk(400, seed=7), dates[-400:])
    bars["GONE"] = bars_from_closes(random_walk(SESSIONS - 60, seed=8), dates[:-60])
    return bars


@pytest.fixture(scope="module")
def daily() -> dict[str, pd.DataFrame]:
    return _daily()


@pytest.fixture(scope="module")
def universe(daily) -> pd.DataFrame:
    tickers = sorted(daily)
    return pd.DataFrame(
        {
            "ticker": tickers,
            "name": [f"{t} Corp" for t in tickers],
            "sector": ["Energy" if i % 2 else "Financials" for i in range(len(tickers))],
            "weight": np.full(len(tickers), 1.0 / len(tickers)),
        }
    )


@pytest.fixture(scope="module")
def closes(daily) -> pd.DataFrame:
    return pd.DataFrame({t: bars["close"] for t, bars in daily.items()})


def _run_start(sides: list[int]) -> int:
    start = len(sides) - 1
    while start > 0 and sides[start - 1] == sides[-1]:
        start -= 1
    return start


def _expected(daily: pd.DataFrame, as_of: str) -> dict[str, pd.Timestamp]:
    """Each state of one ticker and its first week, from its read and TA-Lib indicators."""
    weekly = weekly_bars(daily, as_of)["close"]
    read = technical_read("X", daily, as_of=as_of)
    states: dict[str, pd.Timestamp] = {}
    channel = read.channel
    if channel is not None and channel.exit_date is not None:
        states[f"{channel.position}_channel"] = channel.exit_date
    weeks = list(weekly.index)
    for name, line, reference in (
        ("sma50w", weekly, indicators.sma(weekly, 50)),
        ("macd", *(lambda m: (m["macd"], m["signal"]))(indicators.macd(weekly))),
    ):
        defined = [i for i in range(len(weeks)) if not np.isnan(reference.iloc[i])]
        sides = [1 if line.iloc[i] > reference.iloc[i] else -1 for i in defined]
        if not sides:
            continue
        start = _run_start(sides)
        if start > 0:
            word = "above" if sides[-1] == 1 else "below"
            key = f"crossed_{word}_sma50w" if name == "sma50w" else None
            key = key or ("macd_cross_up" if sides[-1] == 1 else "macd_cross_down")
            states[key] = weeks[defined[start]]
    rsi = indicators.rsi(weekly, 14)
    for key, zone in (("rsi_oversold", rsi < 30), ("rsi_overbought", rsi > 70)):
        if zone.iloc[-1]:
            flags = list(zone)
            start = len(flags) - 1
            while start > 0 and flags[start - 1]:
                start -= 1
            states[key] = weeks[start]
    return states


@pytest.fixture(scope="module")
def screened(closes, universe):
    return screen(closes, universe, as_of=AS_OF)


def test_every_state_and_week_is_what_the_tickers_own_read_gives(daily, screened):
    rows = screened.rows
    for ticker, bars in daily.items():
        if ticker == "GONE":
            continue
        expected = _expected(bars, AS_OF)
        got = rows.loc[rows["ticker"] == ticker]
        assert dict(zip(got["state"], got["since"], strict=True)) == expected, ticker


def test_the_numbers_of_a_row_are_the_reads(daily, screened):
    rows = screened.rows.drop_duplicates("ticker").set_index("ticker")
    for ticker in rows.index:
        read = technical_read(ticker, daily[ticker], as_of=AS_OF)
        row = rows.loc[ticker]
        assert row["close"] == pytest.approx(read.close, rel=1e-12)
        assert row["rsi14"] == pytest.approx(read.rsi14, abs=1e-8)
        for field in ("sma50w", "macd", "macd_signal"):
            value = getattr(read, field)
            assert (np.isnan(row[field]) and value is None) or row[field] == pytest.approx(value)
        if read.channel is not None:
            assert row["channel_lower"] == pytest.approx(read.channel.lower, rel=1e-9)
            assert row["channel_upper"] == pytest.approx(read.channel.upper, rel=1e-9)


def test_the_crash_is_below_its_channel_and_the_stopped_ticker_is_left_out(screened):
    rows = screened.rows
    crash = rows.loc[rows["ticker"] == "CRASH"].set_index("state")
    assert "below_channel" in crash.index
    assert "GONE" not in set(rows["ticker"])
    assert screened.stale == 1
    assert screened.screened == 16
    assert tuple(rows.columns) == SCREEN_COLUMNS
    order = [SCREEN_STATES.index(state) for state in rows["state"]]
    assert order == sorted(order)


def test_within_keeps_states_that_began_in_the_last_weeks(closes, universe, screened):
    recent = screen(closes, universe, as_of=AS_OF, within=4)
    first_week = screened.week - pd.Timedelta(weeks=3)
    expected = screened.rows.loc[screened.rows["since"] >= first_week].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        recent.rows.sort_values(["state", "ticker"]).reset_index(drop=True),
        expected.sort_values(["state", "ticker"]).reset_index(drop=True),
    )
    assert len(recent.rows) < len(screened.rows)


def test_state_and_sector_filters(closes, universe, screened):
    energy = screen(closes, universe, as_of=AS_OF, include_sectors="Energy", states="below_channel")
    expected = screened.rows.loc[
        (screened.rows["sector"] == "Energy") & (screened.rows["state"] == "below_channel")
    ]
    assert list(energy.rows["ticker"]) == list(expected["ticker"])
    others = screen(closes, universe, as_of=AS_OF, exclude_sectors=["Energy"])
    assert set(others.rows["sector"]) == {"Financials"}


def test_data_after_the_as_of_date_is_ignored(closes, universe, screened):
    changed = closes.copy()
    changed.loc[changed.index > AS_OF] *= 0.5
    again = screen(changed, universe, as_of=AS_OF)
    pd.testing.assert_frame_equal(again.rows, screened.rows)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"states": ["falling"]}, "unknown screen states"),
        ({"include_sectors": ["Biotech"]}, "unknown sector 'Biotech'"),
        ({"within": 0}, "at least 1 week"),
        ({"within": 2.5}, "whole number"),
    ],
)
def test_bad_arguments_are_value_errors(closes, universe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        screen(closes, universe, as_of=AS_OF, **kwargs)


def test_panel_rsi_and_macd_equal_talib_for_tickers_listed_at_different_times():
    rng = np.random.default_rng(5)
    values = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.04, (300, 4)), axis=0))
    values[:120, 1] = np.nan
    values[:260, 2] = np.nan
    values[:290, 3] = np.nan
    packed, _ = panel_indicators.pack(values)
    rsi = panel_indicators.rsi(packed)
    line, signal = panel_indicators.macd(packed)
    for column in range(4):
        series = values[~np.isnan(values[:, column]), column]
        count = len(series)
        np.testing.assert_allclose(rsi[-count:, column], talib.RSI(series, 14), atol=1e-9)
        talib_line, talib_signal, _ = talib.MACD(series)
        np.testing.assert_allclose(line[-count:, column], talib_line, atol=1e-9)
        np.testing.assert_allclose(signal[-count:, column], talib_signal, atol=1e-9)
