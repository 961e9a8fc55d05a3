"""Monthly bars built from daily bars, as weekly ones are: the unfinished month marked partial.

Months are calendar months labelled by their first day (as TradingView and Yahoo show them).
The last month is *partial* while the reference date (``as_of`` when given, else the last
daily bar) is before the month's last weekday; holidays are not known here, so a month whose
last weekday is a holiday stays partial until the next month begins.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.weekly import WEEKLY_COLUMNS
from market.bars import BAR_COLUMNS, validate_bars

MONTHLY_COLUMNS: tuple[str, ...] = WEEKLY_COLUMNS


def month_start(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first day of the calendar month each date falls in."""
    return pd.DatetimeIndex(dates.to_period("M").to_timestamp(), name="date")


def monthly_bars(daily: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
    """Aggregate daily Bars (up to ``as_of``) into monthly bars labelled by their first day.

    Columns: open (first), high (max), low (min), close (last), volume (sum), and the boolean
    ``partial`` (see the module docstring).
    """
    validate_bars(daily)
    if as_of is not None:
        daily = daily.loc[daily.index <= pd.Timestamp(as_of).normalize()]
    if daily.empty:
        index = pd.DatetimeIndex([], name="date")
        frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS}, index=index)
        frame["partial"] = pd.Series(dtype="bool")
        return frame
    grouped = daily.groupby(month_start(pd.DatetimeIndex(daily.index)), sort=True)
    monthly = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(min_count=1),
        }
    ).astype("float64")
    monthly.index.name = "date"
    reference = daily.index[-1] if as_of is None else pd.Timestamp(as_of).normalize()
    last_weekday = monthly.index[-1] + pd.offsets.BMonthEnd(0)
    partial = [False] * len(monthly)
    partial[-1] = bool(reference < last_weekday)
    monthly["partial"] = partial
    return monthly
