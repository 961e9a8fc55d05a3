"""The regression channel: fit, bands, slope, position, exit week, anchoring, daily bars."""

import numpy as np
import pandas as pd
import pytest

from analysis.channel import LINE_COLUMNS, regression_channel
from tests.analysis_fakes import random_walk, weekly_closes


def _line(count: int, start: float = 50.0, step: float = 2.0) -> np.ndarray:
    return start + step * np.arange(count, dtype="float64")


def _zigzag(count: int, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.where(np.arange(count) % 2 == 0, 1.0, -1.0)


def test_an_exact_line_gives_zero_width_bands_and_its_slope():
    closes = weekly_closes(_line(120))
    channel = regression_channel(closes, lookback=104)
    assert channel.lookback == 104
    assert channel.fit_start == closes.index[16]
    assert channel.fit_end == closes.index[-1] == channel.last_date
    assert channel.slope == pytest.approx(2.0)
    assert channel.slope_pct_per_bar == pytest.approx(100 * 2.0 / closes.iloc[-1])
    assert channel.r == pytest.approx(1.0)
    assert channel.ascending
    assert channel.deviation == pytest.approx(0.0, abs=1e-9)
    assert channel.upper == pytest.approx(closes.iloc[-1])
    assert channel.upper - channel.lower == pytest.approx(0.0, abs=1e-9)
    assert channel.middle == pytest.approx(closes.iloc[-1])
    assert channel.position == "inside"
    assert channel.exit_date is None
    assert not channel.anchored


def test_fit_matches_least_squares_with_an_n_minus_1_deviation():
    closes = weekly_closes(random_walk(150, seed=5))
    channel = regression_channel(closes, lookback=52, k=1.5)
    window = closes.to_numpy()[-52:]
    slope, intercept = np.polyfit(np.arange(52.0), window, 1)
    residuals = window - (intercept + slope * np.arange(52.0))
    assert channel.slope == pytest.approx(slope)
    assert channel.deviation == pytest.approx(np.std(residuals, ddof=1))
    assert channel.r == pytest.approx(np.corrcoef(np.arange(52.0), window)[0, 1])
    assert channel.middle == pytest.approx(intercept + slope * 51)
    assert channel.upper == pytest.approx(channel.middle + 1.5 * channel.deviation)
    assert channel.lower == pytest.approx(channel.middle - 1.5 * channel.deviation)
    assert channel.slope_pct_per_bar == pytest.approx(100 * slope / (intercept + slope * 51))
    lines = channel.lines
    assert list(lines.columns) == list(LINE_COLUMNS)
    assert lines.index.equals(closes.index[-52:])
    assert not lines["projected"].any()


def test_a_descending_line_is_not_ascending_and_has_a_negative_slope():
    channel = regression_channel(weekly_closes(_line(60, start=300.0, step=-1.5)), lookback=40)
    assert not channel.ascending
    assert channel.slope == pytest.approx(-1.5)
    assert channel.r == pytest.approx(-1.0)


def test_a_drop_through_the_lower_band_is_below_from_its_first_week():
    values = _line(104, start=100.0, step=0.5) + _zigzag(104)
    values[-3:] -= 30.0
    closes = weekly_closes(values)
    channel = regression_channel(closes)
    assert channel.position == "below"
    assert channel.last_close < channel.lower
    assert channel.exit_date == closes.index[-3]
    assert channel.ascending


def test_the_exit_week_starts_the_current_run_outside_not_an_earlier_one():
    values = _line(104, start=100.0, step=0.5) + _zigzag(104)
    values[-8] -= 30.0  # an earlier dip that came back inside
    values[-2:] -= 30.0
    closes = weekly_closes(values)
    channel = regression_channel(closes)
    assert channel.position == "below"
    assert channel.exit_date == closes.index[-2]


def test_a_rise_through_the_upper_band_is_above():
    values = _line(80, start=100.0, step=0.5) + _zigzag(80)
    values[-1] += 30.0
    closes = weekly_closes(values)
    channel = regression_channel(closes, lookback=80)
    assert channel.position == "above"
    assert channel.exit_date == closes.index[-1]


def test_anchoring_earlier_projects_the_lines_forward_to_the_last_bar():
    values = _line(100)
    values[81:] = values[80]  # flat after the anchor: below the projected line
    closes = weekly_closes(values)
    anchor = closes.index[80] + pd.Timedelta(days=3)  # a Thursday: the Monday bar before it
    channel = regression_channel(closes, lookback=50, anchor=anchor)
    assert channel.anchored
    assert channel.fit_end == closes.index[80]
    assert channel.fit_start == closes.index[31]
    assert channel.lookback == 50
    assert channel.last_date == closes.index[-1]
    assert channel.middle == pytest.approx(50.0 + 2.0 * 99)  # the line extended to bar 99
    assert channel.slope_pct_per_bar == pytest.approx(100 * 2.0 / values[80])
    lines = channel.lines
    assert lines.index.equals(closes.index[31:])
    assert lines["projected"].tolist() == [False] * 50 + [True] * 19
    assert channel.position == "below"
    assert channel.exit_date == closes.index[81]


def test_fewer_bars_than_the_lookback_fit_what_there_is():
    channel = regression_channel(weekly_closes(_line(10)), lookback=104)
    assert channel.lookback == 10
    assert channel.slope == pytest.approx(2.0)


def test_daily_bars_give_a_slope_per_session():
    dates = pd.bdate_range("2024-01-01", periods=300, name="date")
    closes = pd.Series(_line(300, start=20.0, step=0.1), index=dates)
    channel = regression_channel(closes, lookback=250)
    assert channel.slope == pytest.approx(0.1)
    assert channel.fit_start == dates[50]
    assert channel.slope_pct_per_bar == pytest.approx(100 * 0.1 / closes.iloc[-1])


def test_a_flat_series_has_no_correlation():
    channel = regression_channel(weekly_closes(np.full(20, 7.0)), lookback=20)
    assert channel.slope == 0.0
    assert channel.r == 0.0
    assert not channel.ascending
    assert channel.position == "inside"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 2}, "at least 3"),
        ({"lookback": 10.5}, "integer"),
        ({"k": -1.0}, "k must"),
        ({"k": float("nan")}, "k must"),
        ({"anchor": "1999-01-01"}, "before the first bar"),
        ({"anchor": "2010-01-12"}, "at least 3 bars"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        regression_channel(weekly_closes(_line(20)), **kwargs)


def test_bad_series_are_refused():
    with pytest.raises(ValueError, match="at least 3 bars"):
        regression_channel(weekly_closes(_line(2)))
    with pytest.raises(ValueError, match="NaN"):
        regression_channel(weekly_closes(np.array([1.0, np.nan, 3.0, 4.0])))
    with pytest.raises(ValueError, match="indexed by date"):
        regression_channel(pd.Series(_line(10)))
    with pytest.raises(ValueError, match="ascending"):
        regression_channel(weekly_closes(_line(10)).iloc[::-1])


def test_an_anchor_on_a_bar_ends_the_fit_on_that_very_bar():
    values = _line(100)
    values[81:] = values[80] - 40.0  # far below the line after the anchor
    closes = weekly_closes(values)
    channel = regression_channel(closes, lookback=50, anchor=closes.index[80])
    assert channel.fit_end == closes.index[80]
    assert channel.fit_start == closes.index[31]
    assert channel.lookback == 50
    assert channel.deviation == pytest.approx(0.0, abs=1e-9)  # bar 81 is not in the fit
    assert channel.lines["projected"].tolist() == [False] * 50 + [True] * 19
    by_string = regression_channel(closes, lookback=50, anchor=str(closes.index[80].date()))
    assert by_string.fit_end == closes.index[80]


def test_three_bars_are_the_smallest_channel():
    closes = weekly_closes(_line(3))
    channel = regression_channel(closes, lookback=3)
    assert channel.lookback == 3
    assert channel.slope == pytest.approx(2.0)
    assert channel.fit_start == closes.index[0]
    last_three = regression_channel(weekly_closes(_line(20)), lookback=3)
    assert last_three.lookback == 3
    assert last_three.fit_start == weekly_closes(_line(20)).index[17]
    anchored = regression_channel(weekly_closes(_line(20)), lookback=10, anchor="2010-01-18")
    assert anchored.lookback == 3  # the anchor's bar and the two before it
    with pytest.raises(ValueError, match="at least 3 bars in its window, got 2"):
        regression_channel(weekly_closes(_line(20)), lookback=10, anchor="2010-01-11")
