"""Movers and laggards: every constituent's return over a period, as of a date.

A return runs from the ticker's last close on or before the period start to its last close
on or before the as-of date. A ticker is left out when it has no close on or before the start
(``missing_start``: listed later, or no data at all) or no close after the start up to the
as-of date (``missing_end``: delisted, halted, or a stale feed); each left-out ticker is
counted once. Computed on a wide frame of closes (dates x tickers) with numpy, so 2,000
tickers over a year take a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from market.universe import validate_universe

BIOTECH_PROXY_SECTOR = "Health Care"
""""Exclude biotech" excludes this sector: the iShares holdings file has no industry column,
so biotech cannot be told apart from the rest of Health Care without another source."""

PERIODS: tuple[str, ...] = ("1W", "1M", "3M", "YTD", "1Y")
"""Named periods; ``period`` may also be an ISO date (``YYYY-MM-DD``): "from a date"."""

MOVER_COLUMNS: tuple[str, ...] = ("ticker", "name", "sector", "weight", "last_price", "return_pct")

_OFFSETS: dict[str, pd.DateOffset] = {
    "1W": pd.DateOffset(weeks=1),
    "1M": pd.DateOffset(months=1),
    "3M": pd.DateOffset(months=3),
    "1Y": pd.DateOffset(years=1),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, eq=False)
class Movers:
    """The top and bottom ``n`` by return (columns ``MOVER_COLUMNS``) and what was left out.

    ``top`` is sorted by return descending, ``bottom`` ascending; ties go by ticker (A first)
    in both. ``considered`` counts the ranked tickers (after sector filters, data and minimum
    price); ``missing_start``/``missing_end`` count tickers of the selected sectors left out
    for data (see the module docstring); ``below_min_price`` those under the minimum price.
    """

    period: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    top: pd.DataFrame
    bottom: pd.DataFrame
    considered: int
    missing_start: int
    missing_end: int
    below_min_price: int


def period_start(period: str, as_of: date | str | pd.Timestamp) -> pd.Timestamp:
    """The date whose last close on or before it is the base of a period's return.

    1W, 1M, 3M and 1Y go back that far from ``as_of``; YTD starts on 31 December of the prior
    year (so the base is the prior year's last close); an ISO date is taken as given and must
    be before ``as_of``. Names are case-insensitive.
    """
    end = pd.Timestamp(as_of).normalize()
    name = period.strip().upper() if isinstance(period, str) else ""
    if name in _OFFSETS:
        return pd.Timestamp(end - _OFFSETS[name])
    if name == "YTD":
        return pd.Timestamp(year=end.year - 1, month=12, day=31)
    if _ISO_DATE.fullmatch(name):
        try:
            start = pd.Timestamp(name)
        except ValueError as error:
            raise ValueError(f"period {period!r} is not a valid date") from error
        if start >= end:
            raise ValueError(f"period start {name} must be before the as-of date {end.date()}")
        return start
    raise ValueError(
        f"period must be one of {', '.join(PERIODS)} or a YYYY-MM-DD date, got {period!r}"
    )


def _validate_closes(closes: pd.DataFrame) -> pd.DatetimeIndex:
    if not isinstance(closes, pd.DataFrame) or not isinstance(closes.index, pd.DatetimeIndex):
        raise ValueError("closes must be a wide DataFrame: a DatetimeIndex of dates x tickers")
    if not closes.index.is_monotonic_increasing or not closes.index.is_unique:
        raise ValueError("closes must be indexed by unique dates in ascending order")
    return closes.index


def _last_valid(block: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each column of ``block`` (NaN for columns with none)."""
    if block.shape[0] == 0:
        return np.full(block.shape[1], np.nan)
    valid = ~np.isnan(block)
    rows = block.shape[0] - 1 - valid[::-1].argmax(axis=0)
    last = block[rows, np.arange(block.shape[1])]
    return np.where(valid.any(axis=0), last, np.nan)


def _as_list(sectors: Iterable[str] | str | None) -> list[str]:
    if sectors is None:
        return []
    return [sectors] if isinstance(sectors, str) else list(sectors)


def _select_sectors(
    universe: pd.DataFrame,
    include: Iterable[str] | str | None,
    exclude: Iterable[str] | str | None,
) -> pd.DataFrame:
    included, excluded = _as_list(include), _as_list(exclude)
    keep = np.ones(len(universe), dtype=bool)
    if included:
        keep &= universe["sector"].isin(included).to_numpy()
    if excluded:
        keep &= ~universe["sector"].isin(excluded).to_numpy()
    return universe.loc[keep]


def _period_closes(
    closes: pd.DataFrame, tickers: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Each ticker's base close (on/before ``start``) and last close (after it, to ``end``)."""
    dates = _validate_closes(closes)
    start_rows = int(dates.searchsorted(start, side="right"))
    end_rows = int(dates.searchsorted(end, side="right"))
    columns = closes.columns.get_indexer(pd.Index(tickers))
    present = columns >= 0
    base = np.full(len(columns), np.nan)
    last = np.full(len(columns), np.nan)
    if present.any():
        values = closes.to_numpy()
        base[present] = last_closes_in(values, columns[present], 0, start_rows)
        last[present] = last_closes_in(values, columns[present], start_rows, end_rows)
    base[~(base > 0)] = np.nan
    return base, last


_RECENT_ROWS = 16
"""Rows searched first for a last close: nearly every ticker has one among them."""


def last_closes_in(values: np.ndarray, columns: np.ndarray, first: int, stop: int) -> np.ndarray:
    """The last non-NaN value in rows ``first:stop`` of each of ``columns`` of ``values``.

    Looks at the last few rows first and searches further back only in the columns that
    have no value there: copying every row of thousands of columns cost more than ranking.
    """
    recent = max(first, stop - _RECENT_ROWS)
    found = _last_valid(values[recent:stop][:, columns])
    missing = np.flatnonzero(np.isnan(found))
    if missing.size and recent > first:
        found[missing] = _last_valid(values[first:recent][:, columns[missing]])
    return found


def _resolve_as_of(closes: pd.DataFrame, as_of: date | str | pd.Timestamp | None) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    dates = _validate_closes(closes)
    if dates.empty:
        raise ValueError("closes hold no dates; give an as-of date or some data")
    return pd.Timestamp(dates[-1])


def _ranked(frame: pd.DataFrame, descending: bool, n: int) -> pd.DataFrame:
    ordered = frame.sort_values(
        ["return_pct", "ticker"], ascending=[not descending, True], kind="mergesort"
    )
    return ordered.head(n).reset_index(drop=True)


def movers(
    closes: pd.DataFrame,
    universe: pd.DataFrame,
    period: str,
    as_of: date | str | pd.Timestamp | None = None,
    include_sectors: Iterable[str] | str | None = None,
    exclude_sectors: Iterable[str] | str | None = None,
    min_price: float | None = None,
    n: int = 10,
) -> Movers:
    """Rank the universe by return over ``period`` as of ``as_of`` (default: the last date).

    ``include_sectors`` (None or empty: all) then ``exclude_sectors`` filter the universe by
    sector name; ``min_price`` drops tickers whose last price is below it.
    """
    validate_universe(universe)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    end = _resolve_as_of(closes, as_of)
    start = period_start(period, end)
    selected = _select_sectors(universe, include_sectors, exclude_sectors)
    base, last = _period_closes(closes, selected["ticker"], start, end)
    has_base, has_last = ~np.isnan(base), ~np.isnan(last)
    ranked = has_base & has_last
    if min_price is not None:
        cheap = ranked & (last < float(min_price))
        ranked &= ~cheap
    else:
        cheap = np.zeros(len(base), dtype=bool)
    frame = pd.DataFrame(
        {
            "ticker": selected["ticker"].to_numpy()[ranked],
            "name": selected["name"].to_numpy()[ranked],
            "sector": selected["sector"].to_numpy()[ranked],
            "weight": selected["weight"].to_numpy(dtype="float64")[ranked],
            "last_price": last[ranked],
            "return_pct": 100.0 * (last[ranked] / base[ranked] - 1.0),
        }
    )
    return Movers(
        period=period,
        start=start,
        as_of=end,
        top=_ranked(frame, descending=True, n=n),
        bottom=_ranked(frame, descending=False, n=n),
        considered=int(ranked.sum()),
        missing_start=int((~has_base).sum()),
        missing_end=int((has_base & ~has_last).sum()),
        below_min_price=int(cheap.sum()),
    )


def sector_summary(
    closes: pd.DataFrame,
    universe: pd.DataFrame,
    period: str,
    as_of: date | str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per sector: index ``weight`` (sum over constituents), ``median_return_pct`` over the
    period, and ``count`` of constituents with a return; largest weight first."""
    validate_universe(universe)
    end = _resolve_as_of(closes, as_of)
    base, last = _period_closes(closes, universe["ticker"], period_start(period, end), end)
    frame = pd.DataFrame(
        {
            "sector": universe["sector"].to_numpy(),
            "weight": universe["weight"].to_numpy(dtype="float64"),
            "return_pct": 100.0 * (last / base - 1.0),
        }
    )
    grouped = frame.groupby("sector", sort=True)
    summary = pd.DataFrame(
        {
            "weight": grouped["weight"].sum(),
            "median_return_pct": grouped["return_pct"].median(),
            "count": grouped["return_pct"].count().astype("int64"),
        }
    ).reset_index()
    return summary.sort_values(
        ["weight", "sector"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def prices_start(closes: pd.DataFrame, tickers: Iterable[str]) -> pd.Timestamp | None:
    """The date from which most of ``tickers`` have closes (the median of their first dates).

    A period starting before it leaves most of them out for want of a base price: the page
    says so rather than show near-empty tables. None when none of them has a close.
    """
    dates = _validate_closes(closes)
    columns = closes.columns.intersection(pd.Index(list(tickers)))
    if columns.empty:
        return None
    present = closes[columns].notna().to_numpy()
    has_any = present.any(axis=0)
    if not has_any.any():
        return None
    firsts = dates.to_numpy()[present.argmax(axis=0)[has_any]]
    return pd.Timestamp(np.sort(firsts)[(len(firsts) - 1) // 2])
