"""Weekly bars from daily bars: Monday labels, OHLCV aggregation, the partial last week."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.weekly import WEEKLY_COLUMNS, week_monday, weekly_bars
from market.bars import empty_bars
from tests.analysis_fakes import bars_from_closes, daily_bars


@settings(max_examples=60, deadline=None)
@given(daily_bars())
def test_weekly_bars_keep_the_shape_of_their_days(daily):
    weekly = weekly_bars(daily)
    assert tuple(weekly.columns) == WEEKLY_COLUMNS
    assert (weekly.index.day_of_week == 0).all()
    assert weekly.index.name == "date"
    assert (weekly["high"] >= np.maximum(weekly["open"], weekly["close"])).all()
    assert (weekly["low"] <= np.minimum(weekly["open"], weekly["close"])).all()
    assert weekly["volume"].sum() == pytest.approx(daily["volume"].sum(), rel=1e-12)
    calendar_weeks = {tuple(d.isocalendar())[:2] for d in daily.index}
    assert len(weekly) == len(calendar_weeks)
    assert not weekly["partial"].iloc[:-1].any()


@settings(max_examples=60, deadline=None)
@given(daily_bars())
def test_each_week_opens_with_its_first_day_and_closes_with_its_last(daily):
    weekly = weekly_bars(daily)
    for monday, week in weekly.iterrows():
        days = daily[(daily.index >= monday) & (daily.index < monday + pd.Timedelta(days=7))]
        assert week["open"] == days["open"].iloc[0]
        assert week["close"] == days["close"].iloc[-1]
        assert week["high"] == days["high"].max()
        assert week["low"] == days["low"].min()


@settings(max_examples=40, deadline=None)
@given(daily_bars(min_sessions=5), st.data())
def test_rows_after_as_of_change_nothing(daily, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(daily) - 1))
    as_of = daily.index[cut] + pd.Timedelta(days=data.draw(st.integers(0, 2)))
    alone = weekly_bars(daily.loc[daily.index <= as_of], as_of=as_of)
    pd.testing.assert_frame_equal(weekly_bars(daily, as_of=as_of), alone)


def test_a_week_with_a_monday_holiday_is_labelled_by_its_monday():
    # 2024-01-15 was Martin Luther King Jr. Day: the week trades Tuesday to Friday.
    dates = pd.bdate_range("2024-01-08", "2024-01-19").delete(5)
    weekly = weekly_bars(bars_from_closes(np.arange(1.0, 10.0), dates))
    assert list(weekly.index) == [pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")]
    assert weekly["open"].iloc[1] == 5.0  # Tuesday's open, the previous close
    assert weekly["close"].iloc[1] == 9.0


def test_week_monday_maps_every_weekday_and_weekend_day_to_its_monday():
    days = pd.DatetimeIndex(pd.date_range("2024-03-04", "2024-03-10"))
    assert set(week_monday(days)) == {pd.Timestamp("2024-03-04")}


def test_unfinished_week_is_partial_and_a_week_with_its_friday_is_not():
    dates = pd.bdate_range("2024-03-04", "2024-03-13")  # Monday to the next Wednesday
    daily = bars_from_closes(np.arange(1.0, 9.0), dates)
    assert weekly_bars(daily)["partial"].tolist() == [False, True]
    assert weekly_bars(daily, as_of="2024-03-08")["partial"].tolist() == [False]


def test_a_week_whose_friday_is_a_holiday_is_complete_once_as_of_reaches_friday():
    # Good Friday 2024-03-29: the week's last session is Thursday.
    dates = pd.bdate_range("2024-03-25", "2024-03-28")
    daily = bars_from_closes(np.arange(1.0, 5.0), dates)
    assert weekly_bars(daily, as_of="2024-03-28")["partial"].tolist() == [True]
    assert weekly_bars(daily, as_of="2024-03-29")["partial"].tolist() == [False]
    assert weekly_bars(daily)["partial"].tolist() == [True]  # as of its last bar, Thursday


def test_as_of_ignores_later_days():
    dates = pd.bdate_range("2024-03-04", "2024-03-15")
    weekly = weekly_bars(bars_from_closes(np.arange(1.0, 11.0), dates), as_of="2024-03-06")
    assert list(weekly.index) == [pd.Timestamp("2024-03-04")]
    assert weekly["close"].iloc[0] == 3.0
    assert bool(weekly["partial"].iloc[0])


def test_no_days_give_an_empty_weekly_frame_and_bad_input_is_refused():
    weekly = weekly_bars(empty_bars())
    assert weekly.empty and tuple(weekly.columns) == WEEKLY_COLUMNS
    with pytest.raises(ValueError, match="columns"):
        weekly_bars(empty_bars().drop(columns="volume"))


def test_a_week_ending_with_a_session_in_progress_stays_partial_on_its_friday():
    dates = pd.bdate_range("2024-03-04", "2024-03-08")  # Monday to Friday
    friday = bars_from_closes(np.arange(1.0, 6.0), dates)

    assert not weekly_bars(friday)["partial"].iloc[-1]
    assert weekly_bars(friday, in_progress=True)["partial"].iloc[-1]
