"""Market breadth of a universe: how many constituents take part in a move, date by date.

Computed at once over a closes panel (session dates x tickers, NaN where a ticker has no
close). At each date a measure counts only the constituents with a close that day and a full
window behind it (its ``*_count`` column says how many), so a ticker listed mid-period joins
a line once it has the history, and one that stopped trading leaves it:

- ``above_sma50w_pct``: share above their 50-week average of weekly closes (by more than
  rounding: a close at its average is not above), the weeks being the chart's (Monday-labelled,
  closed by the week's last close; on a mid-week day the unfinished week's close is that
  day's close, as the chart's last bar);
- ``above_sma200d_pct``: share above their 200-session average of daily closes;
- ``new_highs_52w`` / ``new_lows_52w``: closes that are the highest / lowest of the last 252
  sessions (a tie with the earlier high counts as a new high);
- ``advancers`` / ``decliners``: up / down since the previous row (unchanged is neither),
  ``ad_line`` their difference accumulated from the first row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.panel import cut_panel, weekly_panel
from analysis.read import SMA_WEEKS
from analysis.rolling import rolling_mean
from analysis.weekly import week_monday
from analysis.window_counts import weekly_average_counts, window_counts

SMA_DAYS = 200
HIGH_LOW_SESSIONS = 252

BREADTH_COLUMNS: tuple[str, ...] = (
    "above_sma50w_pct",
    "sma50w_count",
    "above_sma200d_pct",
    "sma200d_count",
    "new_highs_52w",
    "new_lows_52w",
    "net_highs_52w",
    "highs_lows_count",
    "advancers",
    "decliners",
    "ad_count",
    "ad_line",
)

Interval = Literal["1d", "1wk"]

_REL_TOL = 1e-9
_SNAPSHOT_SESSIONS = 320
"""Sessions a one-day snapshot needs: 252 for the highs, 64 weeks' worth for 50 weeks."""


@dataclass(frozen=True)
class BreadthSnapshot:
    """Breadth on one session (the last on or before the as-of date).

    ``constituents`` counts the tickers with a close that session; each measure also says
    how many of them had the history it needs.
    """

    as_of: pd.Timestamp
    constituents: int
    above_sma50w_pct: float | None
    sma50w_count: int
    above_sma200d_pct: float | None
    sma200d_count: int
    new_highs_52w: int
    new_lows_52w: int
    highs_lows_count: int
    advancers: int
    decliners: int
    ad_count: int

    def to_dict(self) -> dict[str, Any]:
        """The ``r2k breadth --json`` object (``counts``: constituents behind each measure)."""
        return {
            "as_of": self.as_of.date().isoformat(),
            "constituents": self.constituents,
            "above_sma50w_pct": self.above_sma50w_pct,
            "above_sma200d_pct": self.above_sma200d_pct,
            "new_highs_52w": self.new_highs_52w,
            "new_lows_52w": self.new_lows_52w,
            "advancers": self.advancers,
            "decliners": self.decliners,
            "counts": {
                "sma50w": self.sma50w_count,
                "sma200d": self.sma200d_count,
                "highs_lows_52w": self.highs_lows_count,
                "advance_decline": self.ad_count,
            },
        }


def _share(hits: np.ndarray, counted: np.ndarray) -> np.ndarray:
    total = counted.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * (hits & counted).sum(axis=1) / total, np.nan)


def _above(values: np.ndarray, average: np.ndarray) -> np.ndarray:
    """Closes above their average by more than rounding (a close at it is not above)."""
    with np.errstate(invalid="ignore"):
        return values > average + _REL_TOL * np.abs(average)


def _frame(panel: pd.DataFrame) -> pd.DataFrame:
    values = panel.to_numpy()
    mondays = week_monday(pd.DatetimeIndex(panel.index))
    weeks = np.r_[0, np.cumsum(mondays[1:] != mondays[:-1])]
    counted50, above50 = weekly_average_counts(values, weeks, SMA_WEEKS).T
    counts = window_counts(values, SMA_DAYS, HIGH_LOW_SESSIONS)
    sma_count, above200, high_low_count, highs, lows = counts.T
    with np.errstate(invalid="ignore", divide="ignore"):
        share50 = np.where(counted50 > 0, 100.0 * above50 / counted50, np.nan)
        share200 = np.where(sma_count > 0, 100.0 * above200 / sma_count, np.nan)
    return pd.DataFrame(
        {
            "above_sma50w_pct": share50,
            "sma50w_count": counted50,
            "above_sma200d_pct": share200,
            "sma200d_count": sma_count,
            "new_highs_52w": highs,
            "new_lows_52w": lows,
            "net_highs_52w": highs - lows,
            "highs_lows_count": high_low_count,
            **_advances(values),
        },
        index=pd.DatetimeIndex(panel.index, name="date"),
    )


def _advances(values: np.ndarray) -> dict[str, np.ndarray]:
    """Up / down against the previous row (both present), and their running difference."""
    today, before = values[1:], values[:-1]
    with np.errstate(invalid="ignore"):
        up, down = today > before, today < before
    counted = ~(np.isnan(today) | np.isnan(before))
    advancers = np.r_[0, up.sum(axis=1)]
    decliners = np.r_[0, down.sum(axis=1)]
    return {
        "advancers": advancers,
        "decliners": decliners,
        "ad_count": np.r_[0, counted.sum(axis=1)],
        "ad_line": np.cumsum(advancers - decliners),
    }


def _weekly_rows(panel: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Daily breadth at each week's last session; the 50-week share and advances weekly."""
    weeks = week_monday(pd.DatetimeIndex(panel.index))
    last_rows = np.flatnonzero(np.r_[weeks[1:] != weeks[:-1], True])
    weekly = weekly_panel(panel)
    values = weekly.to_numpy()
    sma = rolling_mean(values, SMA_WEEKS)
    counted = ~np.isnan(sma)
    above = _above(values, sma)
    sampled = daily.iloc[last_rows].set_axis(pd.DatetimeIndex(weekly.index, name="date"))
    sampled["above_sma50w_pct"] = _share(above, counted)
    sampled["sma50w_count"] = counted.sum(axis=1)
    for column, series in _advances(values).items():
        sampled[column] = series
    return sampled


def breadth_series(
    closes: pd.DataFrame,
    as_of: date | str | pd.Timestamp | None = None,
    interval: Interval = "1d",
) -> pd.DataFrame:
    """Breadth (columns ``BREADTH_COLUMNS``) for every session, or every week, to ``as_of``.

    Weekly rows are labelled by the week's Monday: the 50-week share and the advances are
    taken on weekly closes, the other measures at the week's last session.
    """
    if interval not in ("1d", "1wk"):
        raise ValueError(f"interval must be '1d' or '1wk', got {interval!r}")
    panel = cut_panel(closes, as_of)
    daily = _frame(panel)
    return daily if interval == "1d" else _weekly_rows(panel, daily)


def breadth_at(
    closes: pd.DataFrame, as_of: date | str | pd.Timestamp | None = None
) -> BreadthSnapshot:
    """Breadth on the last session on or before ``as_of`` (default: the last session)."""
    panel = cut_panel(closes, as_of)
    row = _frame(panel.iloc[-_SNAPSHOT_SESSIONS:]).iloc[-1]
    share50, share200 = float(row["above_sma50w_pct"]), float(row["above_sma200d_pct"])
    return BreadthSnapshot(
        as_of=pd.Timestamp(panel.index[-1]),
        constituents=int(panel.iloc[-1].notna().sum()),
        above_sma50w_pct=None if np.isnan(share50) else share50,
        sma50w_count=int(row["sma50w_count"]),
        above_sma200d_pct=None if np.isnan(share200) else share200,
        sma200d_count=int(row["sma200d_count"]),
        new_highs_52w=int(row["new_highs_52w"]),
        new_lows_52w=int(row["new_lows_52w"]),
        highs_lows_count=int(row["highs_lows_count"]),
        advancers=int(row["advancers"]),
        decliners=int(row["decliners"]),
        ad_count=int(row["ad_count"]),
    )
