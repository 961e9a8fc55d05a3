"""Who moved the index: each constituent's contribution to the index's return over a period.

The holdings file gives today's weights, so a constituent's weight at the period start is
its holdings weight scaled back by its own price change: ``weight x start price / price on
the weights' date`` (the last close of the panel, the holdings' date), renormalised over the
constituents ranked. Its contribution, in percentage points, is that start weight times its
return; for a fund holding fixed shares the contributions add up to the fund's own return,
so their sum beside the index's return shows how well the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analysis.movers import Movers, last_closes_in, period_start

CONTRIBUTION_COLUMNS: tuple[str, ...] = (
    "ticker",
    "name",
    "sector",
    "weight",
    "last_price",
    "return_pct",
    "start_weight",
    "contribution_pct",
)


@dataclass(frozen=True, eq=False)
class Contributions:
    """Every ranked constituent (columns ``CONTRIBUTION_COLUMNS``, largest contribution
    first, ties by ticker), their sum in percentage points, and the tickers left out."""

    period: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    rows: pd.DataFrame
    total_pct: float
    left_out: int

    def ranked(self, descending: bool, n: int) -> pd.DataFrame:
        """The ``n`` largest (or, with ``descending=False``, smallest) contributions."""
        ordered = self.rows.sort_values(
            ["contribution_pct", "ticker"], ascending=[not descending, True], kind="mergesort"
        )
        return ordered.head(n).reset_index(drop=True)


def _weights_date_prices(closes: pd.DataFrame, tickers: pd.Series) -> np.ndarray:
    """Each ticker's last close in the whole panel: its price on the holdings' date."""
    columns = closes.columns.get_indexer(pd.Index(tickers))
    prices = np.full(len(columns), np.nan)
    present = columns >= 0
    if present.any():
        prices[present] = last_closes_in(closes.to_numpy(), columns[present], 0, len(closes))
    return prices


def contributions(closes: pd.DataFrame, ranking: Movers) -> Contributions:
    """Contributions of the constituents ``ranking`` ranked, from the ``closes`` it ranked.

    Takes the ranking the caller already made (the page ranks once per view) rather than
    ranking again; it must hold every ranked constituent (``movers(..., n=len(universe))``),
    or the start weights would be renormalised over part of them.
    """
    if len(ranking.top) != ranking.considered:
        raise ValueError(
            f"ranking must hold every ranked constituent: {len(ranking.top)} rows of "
            f"{ranking.considered} ranked (rank with n=len(universe))"
        )
    rows = ranking.top.copy()
    base = rows["last_price"].to_numpy() / (1.0 + rows["return_pct"].to_numpy() / 100.0)
    today = _weights_date_prices(closes, rows["ticker"])
    raw = rows["weight"].to_numpy(dtype="float64") * base / today
    raw = np.where(np.isfinite(raw) & (raw > 0), raw, 0.0)
    total_weight = raw.sum()
    rows["start_weight"] = raw / total_weight if total_weight > 0 else np.nan
    rows["contribution_pct"] = rows["start_weight"] * rows["return_pct"]
    rows = rows.sort_values(
        ["contribution_pct", "ticker"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    return Contributions(
        period=ranking.period,
        start=ranking.start,
        as_of=ranking.as_of,
        rows=rows.loc[:, list(CONTRIBUTION_COLUMNS)],
        total_pct=float(rows["contribution_pct"].sum()) if total_weight > 0 else float("nan"),
        left_out=ranking.missing_start + ranking.missing_end + ranking.below_min_price,
    )


def index_return_pct(
    index_closes: pd.Series, period: str, as_of: date | str | pd.Timestamp | None = None
) -> float | None:
    """The index's own return over ``period`` (the movers' rule), None without both ends."""
    if not isinstance(index_closes, pd.Series) or not isinstance(
        index_closes.index, pd.DatetimeIndex
    ):
        raise ValueError("index_closes must be a Series of closes indexed by date")
    series = index_closes.dropna().astype("float64")
    end = pd.Timestamp(as_of).normalize() if as_of is not None else None
    if end is None:
        if series.empty:
            return None
        end = pd.Timestamp(series.index[-1])
    start = period_start(period, end)
    before = series.loc[series.index <= start]
    after = series.loc[(series.index > start) & (series.index <= end)]
    if before.empty or after.empty or before.iloc[-1] <= 0:
        return None
    return float(100.0 * (after.iloc[-1] / before.iloc[-1] - 1.0))
