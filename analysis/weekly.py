"""Weekly bars built from daily bars: Monday-labelled weeks, the unfinished one marked partial.

Yahoo's own ``1wk`` bars are not trusted (the last week is sometimes missing or split in two),
so weeks are always aggregated here from daily sessions.

The partial rule: the last week is *partial* when the reference date is before that week's
Friday, where the reference date is ``as_of`` when given, else the date of the last daily bar.
So a week is complete once a bar on (or after) its Friday exists, or once the as-of date has
reached its Friday (a week whose Friday is a holiday is complete when as-of is that Friday or
later). Only the last week can be partial. A week whose last daily bar is a session still
in progress (``in_progress``) is partial too, even on its Friday.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from market.bars import BAR_COLUMNS, validate_bars

WEEKLY_COLUMNS: tuple[str, ...] = (*BAR_COLUMNS, "partial")

_FRIDAY = 4


def week_monday(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The Monday of the (Monday to Sunday) week each date falls in."""
    days = pd.to_timedelta(dates.day_of_week, unit="D")
    return pd.DatetimeIndex(dates.normalize() - days, name="date")


def weekly_bars(
    daily: pd.DataFrame, as_of: date | str | None = None, in_progress: bool = False
) -> pd.DataFrame:
    """Aggregate daily Bars (up to ``as_of``) into weekly bars labelled by their Monday.

    Columns: open (first), high (max), low (min), close (last), volume (sum), and the boolean
    ``partial`` (see the module docstring). Missing values are skipped within a week.
    ``in_progress`` says the last daily bar is of a session not yet closed.
    """
    validate_bars(daily)
    if as_of is not None:
        cutoff = pd.Timestamp(as_of).normalize()
        daily = daily.loc[daily.index <= cutoff]
    if daily.empty:
        return empty_periods()
    weekly = aggregate_bars(daily, week_monday(pd.DatetimeIndex(daily.index)))
    reference = daily.index[-1] if as_of is None else pd.Timestamp(as_of).normalize()
    last_friday = weekly.index[-1] + pd.Timedelta(days=_FRIDAY)
    partial = [False] * len(weekly)
    partial[-1] = bool(reference < last_friday) or in_progress
    weekly["partial"] = partial
    return weekly


def aggregate_bars(daily: pd.DataFrame, labels: pd.DatetimeIndex) -> pd.DataFrame:
    """Daily bars grouped by ``labels`` (one per row: its week's Monday, its month's start).

    Open is the first open, high the max, low the min, close the last close, volume the sum.
    """
    if len(labels) != len(daily):
        raise ValueError(f"expected one label per daily bar, got {len(labels)} for {len(daily)}")
    grouped = daily.groupby(labels, sort=True)
    bars = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(min_count=1),
        }
    ).astype("float64")
    bars.index.name = "date"
    return bars


def empty_periods() -> pd.DataFrame:
    """Weekly or monthly bars with no rows: the columns and dtypes of a full result."""
    index = pd.DatetimeIndex([], name="date")
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS}, index=index)
    frame["partial"] = pd.Series(dtype="bool")
    return frame
