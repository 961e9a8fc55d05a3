"""A closes panel (session dates x tickers) checked, cut at an as-of date and made weekly;
and the constituents of chosen sectors.

Breadth and the screen read the whole universe at once from this wide frame, so the weeks
must be the chart's weeks (Monday-labelled, the close is the week's last close) and the cut
must drop everything after the as-of date, exactly as ``analysis.weekly`` does for one ticker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from analysis.weekly import week_monday
from market.universe import validate_universe


def validate_panel(closes: pd.DataFrame) -> pd.DataFrame:
    """Return ``closes`` as float64 if it is a wide frame of dates x tickers, else raise."""
    if not isinstance(closes, pd.DataFrame) or not isinstance(closes.index, pd.DatetimeIndex):
        raise ValueError("closes must be a wide DataFrame: a DatetimeIndex of dates x tickers")
    if not closes.index.is_monotonic_increasing or not closes.index.is_unique:
        raise ValueError("closes must be indexed by unique dates in ascending order")
    if not closes.columns.is_unique:
        raise ValueError("closes must have one column per ticker (duplicate tickers found)")
    return closes.astype("float64")


def cut_panel(closes: pd.DataFrame, as_of: date | str | pd.Timestamp | None = None) -> pd.DataFrame:
    """The checked panel up to ``as_of`` (default: all of it); ValueError when that is empty."""
    panel = validate_panel(closes)
    if as_of is not None:
        panel = panel.loc[panel.index <= pd.Timestamp(as_of).normalize()]
    if panel.empty:
        when = "" if as_of is None else f" on or before {pd.Timestamp(as_of).date()}"
        raise ValueError(f"the closes panel holds no sessions{when}")
    return panel


def weekly_panel(closes: pd.DataFrame) -> pd.DataFrame:
    """Weekly closes: each ticker's last close of each Monday-labelled week (NaN: none)."""
    panel = validate_panel(closes)
    weekly = panel.groupby(week_monday(pd.DatetimeIndex(panel.index)), sort=True).last()
    weekly.index.name = "date"
    return weekly


def _names(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def sector_members(
    universe: pd.DataFrame,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """The constituents of the ``include`` sectors (none given: all) minus the ``exclude``.

    A sector the universe does not have is a ValueError naming the known ones, so a typo
    never quietly selects nothing.
    """
    validate_universe(universe)
    included, excluded = _names(include), _names(exclude)
    known = sorted(set(universe["sector"]))
    unknown = [name for name in (*included, *excluded) if name not in known]
    if unknown:
        raise ValueError(f"unknown sector {unknown[0]!r}; expected one of: {', '.join(known)}")
    selected = universe
    if included:
        selected = selected.loc[selected["sector"].isin(included)]
    if excluded:
        selected = selected.loc[~selected["sector"].isin(excluded)]
    return selected.drop_duplicates("ticker").reset_index(drop=True)
