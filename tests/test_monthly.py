"""Monthly bars from daily bars: calendar months by their first day, the open month partial."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.monthly import monthly_bars
from tests.analysis_fakes import bars_from_closes


def _daily(start: str, end: str) -> pd.DataFrame:
    dates = pd.bdate_range(start, end, name="date")
    return bars_from_closes(100.0 + np.arange(dates.size, dtype="float64"), dates)


def test_months_aggregate_ohlcv_and_are_labelled_by_their_first_day():
    daily = _daily("2025-01-02", "2025-03-31")
    monthly = monthly_bars(daily)
    assert list(monthly.index) == list(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]))
    january = daily.loc["2025-01"]
    row = monthly.loc["2025-01-01"]
    assert row["open"] == january["open"].iloc[0] and row["close"] == january["close"].iloc[-1]
    assert row["high"] == january["high"].max() and row["low"] == january["low"].min()
    assert row["volume"] == pytest.approx(january["volume"].sum())
    assert not monthly["partial"].any()  # March 31 is its last weekday


def test_the_month_in_progress_is_partial_and_as_of_cuts_later_days():
    daily = _daily("2025-01-02", "2025-03-31")
    replay = monthly_bars(daily, as_of="2025-02-14")
    assert replay.index[-1] == pd.Timestamp("2025-02-01")
    assert replay["close"].iloc[-1] == daily.loc[:"2025-02-14", "close"].iloc[-1]
    assert replay["partial"].tolist() == [False, True]
    assert monthly_bars(daily, as_of="2025-02-28")["partial"].iloc[-1] == False  # noqa: E712


def test_no_days_give_an_empty_frame_with_the_columns():
    empty = monthly_bars(_daily("2025-01-02", "2025-01-10"), as_of="2024-12-31")
    assert empty.empty and list(empty.columns) == [
        "open",
        "high",
        "low",
        "close",
        "volume",
        "partial",
    ]
