"""The regression channel traders know as TradingView's Regression Trend.

A least-squares line of closes on bar number over a fit window (``lookback`` bars ending at
the last bar, or at the last bar on or before an anchor date), with parallel bands at plus and
minus ``k`` standard deviations of the residuals. As in TradingView, the deviation divides
the sum of squared residuals by n - 1, and time is the bar number, so a missing week does not
bend the line. An anchored channel is projected forward to the last bar. Works on any bars
(weekly or daily): slope and exit are per bar of the series given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

Position = Literal["above", "inside", "below"]

LINE_COLUMNS: tuple[str, ...] = ("upper", "middle", "lower", "projected")
LOOKBACK_WEEKS = 104
"""The fit window by default, in bars: two years of the weekly bars the read, the screen and
the page fit it to."""
BAND_SIGMAS = 2.0
"""``k`` by default: the bands at plus and minus two standard deviations of the residuals."""

_MIN_BARS = 3
_REL_TOL = 1e-9
"""Closes within this fraction of the middle value of a band count as on it (inside)."""


@dataclass(frozen=True, eq=False)
class Channel:
    """A fitted regression channel and where the last close stands against it.

    ``lookback`` is the number of bars actually fitted: the requested lookback, or fewer when
    the series holds fewer bars up to the fit end. ``slope_pct_per_bar`` is the slope per
    bar as a percentage of the middle line's value at ``fit_end`` (NaN if that value is not
    positive); on weekly bars it is the slope in % per week. ``r`` is Pearson's correlation
    of close with bar number over the fit window (negative for a falling channel; TradingView
    shows its absolute value; 0 when undefined, as there). ``exit_date`` is the first bar of
    the current run of closes outside the channel on the last close's side (None while the
    last close is inside); the run is looked for from ``fit_start`` on. ``lines`` holds
    ``upper, middle, lower`` for every bar from ``fit_start`` to the last bar and
    ``projected`` (True after ``fit_end``).
    """

    lookback: int
    k: float
    fit_start: pd.Timestamp
    fit_end: pd.Timestamp
    last_date: pd.Timestamp
    slope: float
    slope_pct_per_bar: float
    r: float
    deviation: float
    ascending: bool
    upper: float
    middle: float
    lower: float
    last_close: float
    position: Position
    exit_date: pd.Timestamp | None
    lines: pd.DataFrame

    @property
    def anchored(self) -> bool:
        """Whether the fit window ends before the last bar (the lines are projected)."""
        return bool(self.fit_end < self.last_date)


def _validate(close: pd.Series, lookback: int, k: float) -> None:
    if not isinstance(close, pd.Series) or not isinstance(close.index, pd.DatetimeIndex):
        raise ValueError("regression_channel needs a Series of closes indexed by date")
    if not close.index.is_monotonic_increasing or not close.index.is_unique:
        raise ValueError("the closes must be indexed by unique dates in ascending order")
    if isinstance(lookback, bool) or not isinstance(lookback, int | np.integer):
        raise ValueError(f"lookback must be an integer number of bars, got {lookback!r}")
    if lookback < _MIN_BARS:
        raise ValueError(f"lookback must be at least {_MIN_BARS} bars, got {lookback}")
    if not isinstance(k, int | float | np.number) or not np.isfinite(k) or k < 0:
        raise ValueError(f"k must be a finite number of standard deviations >= 0, got {k!r}")


def _sides(close: np.ndarray, upper: np.ndarray, lower: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """+1 where a close is above the upper band, -1 below the lower band, 0 inside."""
    return np.where(close > upper + tol, 1, np.where(close < lower - tol, -1, 0))


def regression_channel(
    close: pd.Series,
    lookback: int = LOOKBACK_WEEKS,
    k: float = BAND_SIGMAS,
    anchor: date | str | pd.Timestamp | None = None,
) -> Channel:
    """Fit the regression channel to ``close`` (see the module docstring).

    Raises ValueError for a malformed series or arguments, for NaN closes, for an anchor
    before the first bar, and when the fit window holds fewer than 3 bars.
    """
    _validate(close, lookback, k)
    values = close.to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise ValueError("the closes contain NaN; drop missing bars before fitting a channel")
    dates = pd.DatetimeIndex(close.index)
    fit_end_pos = len(values) - 1
    if anchor is not None:
        fit_end_pos = int(dates.searchsorted(pd.Timestamp(anchor), side="right")) - 1
        if fit_end_pos < 0:
            raise ValueError(f"anchor {anchor} is before the first bar ({dates[0].date()})")
    fit_start_pos = max(0, fit_end_pos - int(lookback) + 1)
    n = fit_end_pos - fit_start_pos + 1
    if n < _MIN_BARS:
        raise ValueError(f"a channel needs at least {_MIN_BARS} bars in its window, got {n}")

    y = values[fit_start_pos : fit_end_pos + 1]
    x = np.arange(n, dtype="float64")
    x_dev = x - x.mean()
    y_dev = y - y.mean()
    slope = float(x_dev @ y_dev / (x_dev @ x_dev))
    intercept = float(y.mean() - slope * x.mean())
    residuals = y - (intercept + slope * x)
    deviation = float(np.sqrt(residuals @ residuals / (n - 1)))
    y_spread = float(np.sqrt(y_dev @ y_dev))
    r = float(x_dev @ y_dev / (np.sqrt(x_dev @ x_dev) * y_spread)) if y_spread > 0 else 0.0

    span = np.arange(len(values) - fit_start_pos, dtype="float64")
    middle = intercept + slope * span
    upper = middle + k * deviation
    lower = middle - k * deviation
    lines = pd.DataFrame(
        {
            "upper": upper,
            "middle": middle,
            "lower": lower,
            "projected": span > n - 1,
        },
        index=dates[fit_start_pos:],
    )

    observed = values[fit_start_pos:]
    sides = _sides(observed, upper, lower, _REL_TOL * np.abs(middle))
    last_side = int(sides[-1])
    exit_date: pd.Timestamp | None = None
    if last_side != 0:
        others = np.flatnonzero(sides != last_side)
        run_start = int(others[-1]) + 1 if others.size else 0
        exit_date = pd.Timestamp(lines.index[run_start])
    position: Position = "above" if last_side > 0 else "below" if last_side < 0 else "inside"

    middle_at_fit_end = float(middle[n - 1])
    slope_pct = 100.0 * slope / middle_at_fit_end if middle_at_fit_end > 0 else float("nan")
    return Channel(
        lookback=n,
        k=float(k),
        fit_start=pd.Timestamp(dates[fit_start_pos]),
        fit_end=pd.Timestamp(dates[fit_end_pos]),
        last_date=pd.Timestamp(dates[-1]),
        slope=slope,
        slope_pct_per_bar=slope_pct,
        r=r,
        deviation=deviation,
        ascending=slope > 0,
        upper=float(upper[-1]),
        middle=float(middle[-1]),
        lower=float(lower[-1]),
        last_close=float(values[-1]),
        position=position,
        exit_date=exit_date,
        lines=lines,
    )
