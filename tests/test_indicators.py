"""Indicators agree with TA-Lib on every bar where TA-Lib gives a value, warm-up included."""

import numpy as np
import pandas as pd
import pytest
import talib

from analysis.indicators import (
    bbands,
    compute_indicators,
    ema,
    is_indicator,
    macd,
    rsi,
    sma,
    warm_up,
)
from tests.analysis_fakes import random_walk, weekly_closes

SERIES = {
    "long": weekly_closes(random_walk(600, seed=11)),
    "short": weekly_closes(random_walk(60, seed=12)),
}


def _assert_same(ours: pd.Series, theirs: np.ndarray) -> None:
    """NaN exactly where TA-Lib has NaN, and equal within 1e-6 everywhere else."""
    ours_values = ours.to_numpy(dtype="float64")
    np.testing.assert_array_equal(np.isnan(ours_values), np.isnan(theirs))
    np.testing.assert_allclose(ours_values, theirs, rtol=0, atol=1e-6, equal_nan=True)


@pytest.fixture(params=sorted(SERIES))
def closes(request):
    return SERIES[request.param]


@pytest.mark.parametrize("length", [2, 10, 20, 50])
def test_sma_and_ema_match_talib(closes, length):
    _assert_same(sma(closes, length), talib.SMA(closes.to_numpy(), length))
    _assert_same(ema(closes, length), talib.EMA(closes.to_numpy(), length))


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 16)])
def test_macd_lines_match_talib_from_its_first_value(closes, fast, slow, signal):
    lines = macd(closes, fast, slow, signal)
    line, signal_line, hist = talib.MACD(closes.to_numpy(), fast, slow, signal)
    assert list(lines.columns) == ["macd", "signal", "hist"]
    _assert_same(lines["macd"], line)
    _assert_same(lines["signal"], signal_line)
    _assert_same(lines["hist"], hist)
    assert lines["signal"].first_valid_index() == closes.index[slow + signal - 2]


@pytest.mark.parametrize("length", [2, 14, 30])
def test_rsi_matches_talib_including_its_sma_seeded_start(closes, length):
    _assert_same(rsi(closes, length), talib.RSI(closes.to_numpy(), length))


@pytest.mark.parametrize(("length", "k"), [(20, 2.0), (10, 1.5), (5, 3)])
def test_bbands_match_talib_with_population_deviation(closes, length, k):
    bands = bbands(closes, length, k)
    upper, middle, lower = talib.BBANDS(closes.to_numpy(), length, k, k)
    assert list(bands.columns) == ["lower", "middle", "upper"]
    _assert_same(bands["lower"], lower)
    _assert_same(bands["middle"], middle)
    _assert_same(bands["upper"], upper)


def test_series_shorter_than_a_window_give_nan_like_talib():
    closes = SERIES["short"].iloc[:12]
    values = closes.to_numpy()
    _assert_same(sma(closes, 50), talib.SMA(values, 50))
    _assert_same(rsi(closes, 14), talib.RSI(values, 14))
    _assert_same(macd(closes)["signal"], talib.MACD(values, 12, 26, 9)[1])
    _assert_same(bbands(closes)["upper"], talib.BBANDS(values, 20, 2.0, 2.0)[0])
    assert sma(closes, 50).index.equals(closes.index)


def test_integer_closes_are_treated_as_floats():
    closes = weekly_closes(np.arange(1, 41)).astype("int64")
    _assert_same(sma(closes, 5), talib.SMA(np.arange(1.0, 41.0), 5))


def test_compute_indicators_uses_our_column_names_and_values():
    closes = SERIES["long"]
    bars = pd.DataFrame({"close": closes, "volume": 1.0})
    table = compute_indicators(bars, ["sma50", "ema20", "macd", "rsi", "bb"])
    assert list(table.columns) == [
        "sma50",
        "ema20",
        "macd",
        "macd_signal",
        "macd_hist",
        "rsi14",
        "bb_lower",
        "bb_middle",
        "bb_upper",
    ]
    assert table.index.equals(closes.index)
    values = closes.to_numpy()
    _assert_same(table["sma50"], talib.SMA(values, 50))
    _assert_same(table["ema20"], talib.EMA(values, 20))
    _assert_same(table["macd_hist"], talib.MACD(values, 12, 26, 9)[2])
    _assert_same(table["rsi14"], talib.RSI(values, 14))
    _assert_same(table["bb_lower"], talib.BBANDS(values, 20, 2.0, 2.0)[2])
    assert list(compute_indicators(bars, ["rsi7", "bb10"]).columns) == [
        "rsi7",
        "bb_lower",
        "bb_middle",
        "bb_upper",
    ]


def test_unknown_indicator_names_are_refused():
    assert is_indicator("sma200") and is_indicator("rsi") and is_indicator("macd")
    for name in ("sma", "ema", "channel", "volume", "rsi1", "sma0", "macd12", "SMA50"):
        assert not is_indicator(name), name
    bars = pd.DataFrame({"close": SERIES["short"]})
    with pytest.raises(ValueError, match="channel"):
        compute_indicators(bars, ["sma50", "channel"])
    with pytest.raises(ValueError, match="close"):
        compute_indicators(bars.rename(columns={"close": "Close"}), ["sma50"])


def test_bad_arguments_are_refused():
    closes = SERIES["short"]
    with pytest.raises(ValueError, match="length"):
        sma(closes, 0)
    with pytest.raises(ValueError, match="fast < slow"):
        macd(closes, 26, 12)
    with pytest.raises(ValueError, match="k must"):
        bbands(closes, 20, -1.0)
    with pytest.raises(ValueError, match="Series"):
        rsi(closes.to_numpy(), 14)


def test_warm_up_runs():
    assert warm_up() is None
