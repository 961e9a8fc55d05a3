"""Monthly bars built from daily bars, as weekly ones are: the unfinished month marked partial.

Months are calendar months labelled by their first day (as TradingView and Yahoo show them).
The last month is *partial* while the reference date (``as_of`` when given, else the last
daily bar) is before the month's last weekday; holidays are not known here, so a month whose
last weekday is a holiday stays partial until the next month begins.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.weekly import WEEKLY_COLUMNS, aggregate_bars, empty_periods
from market.bars import validate_bars

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
        return empty_periods()
    monthly = aggregate_bars(daily, month_start(pd.DatetimeIndex(daily.index)))
    reference = daily.index[-1] if as_of is None else pd.Timestamp(as_of).normalize()
    last_weekday = monthly.index[-1] + pd.offsets.BMonthEnd(0)
    partial = [False] * len(monthly)
    partial[-1] = bool(reference < last_weekday)
    monthly["partial"] = partial
    return monthly
