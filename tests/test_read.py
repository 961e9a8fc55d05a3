"""The technical read: numbers agree with independent computations, sentences tell the story."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.read import CHANNEL_KEYS, money, rsi_zone, technical_read
from tests.analysis_fakes import bars_from_closes, random_walk

WEEKS = 200


def _story() -> pd.DataFrame:
    """Daily bars: four years of a rising, wiggling trend, then a 20% fall in eight weeks."""
    mondays = pd.date_range("2021-01-04", periods=WEEKS, freq="W-MON")
    i = np.arange(WEEKS)
    weekly = 100 * 1.004**i * (1 + 0.03 * np.sin(i / 4))
    weekly[-8:] = weekly[-9] * np.linspace(1.0, 0.80, 9)[1:]
    dates = pd.bdate_range(mondays[0], mondays[-1] + pd.Timedelta(days=4))
    fridays = pd.Series(weekly, index=mondays + pd.Timedelta(days=4))
    closes = fridays.reindex(dates).interpolate().bfill()
    return bars_from_closes(closes.to_numpy(), dates)


STORY = _story()


def _weekly_closes(daily: pd.DataFrame) -> pd.Series:
    """Monday-labelled weekly closes, computed independently of analysis.weekly."""
    return daily["close"].resample("W-MON", label="left", closed="left").last().dropna()


def _exit_week(closes: pd.Series, lookback: int = 104, k: float = 2.0) -> pd.Timestamp:
    """The first week of the final run below the lower band, from numpy's own fit."""
    window = closes.to_numpy()[-lookback:]
    x = np.arange(lookback, dtype="float64")
    slope, intercept = np.polyfit(x, window, 1)
    lower = intercept + slope * x - k * np.std(window - (intercept + slope * x), ddof=1)
    below = window < lower
    start = lookback - 1
    while start > 0 and below[start - 1]:
        start -= 1
    return closes.index[-lookback:][start]


def test_the_story_reads_as_designed():
    read = technical_read("IWM", STORY)
    data = read.to_dict()
    assert data["as_of"] == "2024-11-01"
    assert data["week"] == "2024-10-28"
    assert data["close"] == STORY["close"].iloc[-1]
    assert data["all_time_high"] == STORY["close"].max()
    assert data["all_time_high_date"] == STORY["close"].idxmax().date().isoformat()
    assert data["drawdown_pct"] == pytest.approx(
        100 * (STORY["close"].iloc[-1] / STORY["close"].max() - 1)
    )
    assert -25 < data["drawdown_pct"] < -15
    channel = data["channel"]
    assert tuple(channel) == CHANNEL_KEYS
    assert channel["ascending"] is True
    assert channel["position"] == "below"
    assert channel["lookback_weeks"] == 104
    assert channel["exit_week"] == _exit_week(_weekly_closes(STORY)).date().isoformat()
    assert data["above_sma50w"] is False
    assert data["macd"] < 0 and data["macd"] < data["macd_signal"]
    summary = data["summary"]
    assert summary.startswith(
        f"IWM closed at {money(read.close)} on 2024-11-01, {-read.drawdown_pct:.1f}% below its "
        f"all-time high of {money(read.all_time_high)} ({data['all_time_high_date']})."
    )
    assert (
        "It fell below the lower band of its 104-week ascending channel in the week of "
        f"{channel['exit_week']} and trades below its 50-week average ({money(read.sma50w)})."
    ) in summary
    assert "MACD is below zero and below its signal" in summary
    assert f"RSI(14) at {read.rsi14:.1f} is {rsi_zone(read.rsi14)}." in summary
    assert len(read.sentences) == 3 and summary == " ".join(read.sentences)
    json.dumps(data)  # JSON-ready


def test_indicator_fields_equal_talib_on_independently_built_weeks():
    daily = bars_from_closes(
        random_walk(2500, seed=3, vol=0.012), pd.bdate_range("2015-01-05", periods=2500)
    )
    read = technical_read("XYZ", daily)
    closes = _weekly_closes(daily).to_numpy()
    line, signal, hist = talib.MACD(closes, 12, 26, 9)
    assert read.sma50w == pytest.approx(talib.SMA(closes, 50)[-1], abs=1e-6)
    assert read.macd == pytest.approx(line[-1], abs=1e-6)
    assert read.macd_signal == pytest.approx(signal[-1], abs=1e-6)
    assert read.macd_hist == pytest.approx(hist[-1], abs=1e-6)
    assert read.rsi14 == pytest.approx(talib.RSI(closes, 14)[-1], abs=1e-6)
    assert read.above_sma50w == (read.close > read.sma50w)


def test_summary_numbers_are_the_fields_numbers():
    read = technical_read("IWM", STORY, as_of="2024-10-09")
    data = read.to_dict()
    prices = re.findall(r"\$([\d,]+\.\d+)", data["summary"])
    expected = [read.close, read.all_time_high, read.sma50w]
    assert [float(p.replace(",", "")) for p in prices] == [round(v, 2) for v in expected]
    percent = re.search(r"([\d.]+)% below", data["summary"])
    assert percent is not None and float(percent.group(1)) == round(-read.drawdown_pct, 1)
    rsi = re.search(r"RSI\(14\) at ([\d.]+)", data["summary"])
    assert rsi is not None and float(rsi.group(1)) == round(read.rsi14, 1)
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", data["summary"]))
    assert dates <= {data["as_of"], data["all_time_high_date"], data["channel"]["exit_week"]}


def test_a_close_at_the_high_inside_a_rising_channel():
    dates = pd.bdate_range("2020-01-06", periods=800)
    closes = 50 * 1.001 ** np.arange(800) * (1 + 0.01 * np.sin(np.arange(800) / 9))
    closes[-1] = closes.max() * 1.01
    read = technical_read("UP", bars_from_closes(closes, dates))
    assert read.drawdown_pct == 0.0
    assert read.channel is not None and read.channel.position in ("inside", "above")
    assert f"UP closed at {money(read.close)} on {read.as_of.date()}, at its all-time high." in (
        read.summary
    )
    assert "trades above its 50-week average" in read.summary
    assert "MACD is above zero" in read.summary


def test_a_short_series_leaves_out_what_it_cannot_compute():
    daily = bars_from_closes(random_walk(150, seed=8), pd.bdate_range("2023-01-02", periods=150))
    read = technical_read("NEW", daily)
    data = read.to_dict()
    assert read.weeks == 30
    assert data["sma50w"] is None and data["above_sma50w"] is None
    assert data["macd"] is None and data["macd_signal"] is None and data["macd_hist"] is None
    assert data["rsi14"] is not None
    assert data["channel"]["lookback_weeks"] == 30
    assert "has too few weeks for a 50-week average" in data["summary"]
    assert "channel over only 30 weeks" in data["summary"]
    assert "MACD needs more than 30 weeks of data" in data["summary"]


def test_two_weeks_give_no_channel_and_no_indicators():
    daily = bars_from_closes(np.array([10.0, 11.0, 12.0]), pd.bdate_range("2024-01-04", periods=3))
    data = technical_read("TINY", daily).to_dict()
    assert data["channel"] == dict.fromkeys(CHANNEL_KEYS)
    assert data["rsi14"] is None
    assert "With only 2 weeks of data it has no channel" in data["summary"]
    assert "MACD and RSI(14) cannot be computed" in data["summary"]


def test_an_anchor_projects_the_channel_and_says_so():
    read = technical_read("IWM", STORY, anchor="2024-07-26")
    assert read.channel is not None and read.channel.anchored
    assert read.to_dict()["channel"]["fit_end"] == "2024-07-22"
    assert "(fitted to the week of 2024-07-22)" in read.summary


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (12.0, "oversold"),
        (30.0, "oversold"),
        (30.5, "nearing oversold"),
        (39.9, "nearing oversold"),
        (40.0, "neutral"),
        (60.0, "neutral"),
        (60.1, "nearing overbought"),
        (70.0, "overbought"),
        (88.0, "overbought"),
    ],
)
def test_rsi_wording(value, zone):
    assert rsi_zone(value) == zone


def test_no_data_on_or_before_as_of_is_an_error():
    with pytest.raises(ValueError, match="no daily bars for IWM on or before 2020-01-01"):
        technical_read("IWM", STORY, as_of="2020-01-01")
    with pytest.raises(ValueError, match="ticker"):
        technical_read("", STORY)
    with pytest.raises(ValueError, match="lookback"):
        technical_read("IWM", STORY, lookback=1)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sessions=st.integers(20, 700),
    cut=st.floats(0.05, 0.95),
    extra=st.integers(1, 80),
    weekend=st.integers(0, 2),
)
def test_rows_after_as_of_change_nothing(seed, sessions, cut, extra, weekend):
    dates = pd.bdate_range("2012-01-02", periods=sessions + extra)
    daily = bars_from_closes(random_walk(sessions + extra, seed=seed), dates)
    as_of = dates[int(cut * (sessions - 1))] + pd.Timedelta(days=weekend)
    before = daily.loc[daily.index <= as_of]
    alone = technical_read("P", before, as_of=as_of).to_dict()
    assert technical_read("P", daily, as_of=as_of).to_dict() == alone
    assert alone["as_of"] == before.index[-1].date().isoformat()


def test_one_sentence_writes_all_its_prices_to_the_closes_decimals():
    assert money(0.5817, 4) == "$0.5817" and money(3.99, 4) == "$3.9900"
    assert money(1234.5) == "$1,234.50" and money(0.5) == "$0.5000"
    assert money(-2.5, 2) == "$\u22122.50"
    closes = 0.9 + 0.2 * np.sin(np.linspace(0.0, 7.5 * np.pi, 800))  # high $1.10, last $0.70
    dates = pd.bdate_range("2022-01-03", periods=closes.size, name="date")
    read = technical_read("PENNY", bars_from_closes(closes, dates))
    assert read.close < 1
    amounts = re.findall(r"\$[\d,]+\.(\d+)", read.summary)
    assert len(amounts) >= 3 and {len(decimals) for decimals in amounts} == {4}


def _around_good_friday() -> pd.DataFrame:
    """Sessions of March and April 2024 without Good Friday (29 March, a market holiday)."""
    dates = pd.bdate_range("2024-03-01", "2024-04-30").drop(pd.Timestamp("2024-03-29"))
    return bars_from_closes(random_walk(len(dates), seed=3), dates)


@pytest.mark.parametrize(
    ("as_of", "week", "partial"),
    [
        ("2024-03-28", "2024-03-25", True),  # Thursday: Friday not reached yet
        ("2024-03-29", "2024-03-25", False),  # the holiday Friday: the week is complete
        ("2024-03-30", "2024-03-25", False),
        ("2024-04-03", "2024-04-01", True),
        ("2024-04-05", "2024-04-01", False),
    ],
)
def test_the_weeks_are_built_as_of_the_as_of_date(as_of, week, partial):
    daily = _around_good_friday()
    read = technical_read("P", daily, as_of=as_of)
    assert read.week == pd.Timestamp(week)
    assert read.week_partial is partial
    assert read.as_of == daily.index[daily.index <= pd.Timestamp(as_of)][-1]


def test_the_last_week_of_a_series_is_partial_until_its_friday():
    assert technical_read("IWM", STORY).week_partial is False  # ends on a Friday
    assert technical_read("IWM", STORY.iloc[:-2]).week_partial is True  # ends on a Wednesday


def test_three_weeks_are_enough_for_a_channel():
    fridays = pd.date_range("2024-01-05", periods=3, freq="W-FRI")
    read = technical_read("TINY", bars_from_closes(np.array([10.0, 11.0, 12.0]), fridays))
    assert read.weeks == 3
    assert read.channel is not None and read.channel.lookback == 3
    assert read.to_dict()["channel"]["lookback_weeks"] == 3
    assert technical_read("TINY", STORY, lookback=3).to_dict()["channel"]["lookback_weeks"] == 3


def test_a_session_in_progress_is_at_a_price_not_closed_and_its_week_stays_partial():
    read = technical_read("IWM", STORY, in_progress=True)
    price = f"{money(read.close)} on 2024-11-01"
    assert read.summary.startswith(f"IWM is at {price} (session in progress), ")
    assert "closed at" not in read.summary
    assert read.in_progress is True and read.week_partial is True, "even on its Friday"
    final = technical_read("IWM", STORY)
    assert final.summary.startswith(f"IWM closed at {price}, ") and final.in_progress is False
    assert final.sentences[1:] == read.sentences[1:]
