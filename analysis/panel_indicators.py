"""RSI, MACD and the regression channel of every column of a weekly panel at once.

Each column is a ticker's weekly closes *packed to the bottom* (its missing weeks removed and
its history right-aligned, leading NaN above), so a column is exactly the series the read
gives ``analysis.indicators`` and ``analysis.channel`` for that ticker. The recursions follow
TA-Lib (and so the read): RSI is Wilder's smoothing seeded with the mean of the first 14
changes; an EMA is seeded with the mean of its first ``length`` values; MACD starts both
averages at the slow one's first value, the fast one seeded with the mean of the 12 closes
up to it, as TA-Lib does. Rows are walked once with numpy over all columns, not per ticker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.channel import BAND_SIGMAS, LOOKBACK_WEEKS
from analysis.rolling import rolling_mean

CHANNEL_REL_TOL = 1e-9
"""As in ``analysis.channel``: a close within this fraction of the middle is on its band."""


def pack(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's present values moved to the bottom, in order; and their source rows."""
    array = np.asarray(values, dtype="float64")
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows are weeks), got {array.ndim} dimensions")
    order = np.argsort(~np.isnan(array), axis=0, kind="stable")
    return np.take_along_axis(array, order, axis=0), order


def _first_rows(packed: np.ndarray) -> np.ndarray:
    """The row of each column's first value (the row count for an empty column)."""
    return packed.shape[0] - (~np.isnan(packed)).sum(axis=0)


def _window_mean(packed: np.ndarray, first: np.ndarray, length: int) -> np.ndarray:
    """Mean of rows ``first .. first + length - 1`` of each column (NaN when too short)."""
    sums = np.vstack([np.zeros((1, packed.shape[1])), np.cumsum(np.nan_to_num(packed), axis=0)])
    rows = packed.shape[0]
    ends = first + length
    ok = ends <= rows
    columns = np.arange(packed.shape[1])
    safe_ends, safe_first = np.where(ok, ends, rows), np.where(ok, first, 0)
    means = (sums[safe_ends, columns] - sums[safe_first, columns]) / length
    return np.where(ok, means, np.nan)


def _recurse(
    inputs: np.ndarray, seed_rows: np.ndarray, seeds: np.ndarray, alpha: float
) -> np.ndarray:
    """``state = (1 - alpha) * state + alpha * input`` after each column's seed row."""
    result = np.full(inputs.shape, np.nan)
    state = np.full(inputs.shape[1], np.nan)
    for row in range(inputs.shape[0]):
        state = np.where(seed_rows == row, seeds, (1.0 - alpha) * state + alpha * inputs[row])
        result[row] = state
    return result


def ema(packed: np.ndarray, length: int, start: np.ndarray | None = None) -> np.ndarray:
    """TA-Lib's EMA of each column: seeded with the mean of ``length`` values ending at the
    seed row (by default ``length - 1`` rows after the column's first value)."""
    first = _first_rows(packed)
    seed_rows = first + length - 1 if start is None else start
    seeds = _window_mean(packed, seed_rows - length + 1, length)
    return _recurse(packed, seed_rows, seeds, 2.0 / (length + 1))


def rsi(packed: np.ndarray, length: int = 14) -> np.ndarray:
    """TA-Lib's RSI of each column (0 when a window holds no change at all)."""
    changes = np.vstack([np.full((1, packed.shape[1]), np.nan), np.diff(packed, axis=0)])
    gains, losses = np.clip(changes, 0.0, None), np.clip(-changes, 0.0, None)
    first = _first_rows(packed) + 1
    seed_rows = first + length - 1
    average_gain = _recurse(gains, seed_rows, _window_mean(gains, first, length), 1.0 / length)
    average_loss = _recurse(losses, seed_rows, _window_mean(losses, first, length), 1.0 / length)
    total = average_gain + average_loss
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * average_gain / total, np.where(total == 0, 0.0, np.nan))


def macd(
    packed: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray]:
    """TA-Lib's MACD line and signal line of each column (both from the signal's first)."""
    slow_start = _first_rows(packed) + slow - 1
    line = ema(packed, fast, slow_start) - ema(packed, slow, slow_start)
    signal_line = ema(line, signal)
    return np.where(np.isnan(signal_line), np.nan, line), signal_line


def sma(packed: np.ndarray, length: int) -> np.ndarray:
    """Simple average of the last ``length`` values of each column."""
    return rolling_mean(packed, length)


@dataclass(frozen=True, eq=False)
class PanelChannel:
    """Per column: the bands at the last row, the side of the last close (+1 above the upper
    band, -1 below the lower, 0 inside or no channel) and the row where the current run of
    closes outside began (-1 while inside)."""

    upper: np.ndarray
    lower: np.ndarray
    side: np.ndarray
    exit_row: np.ndarray


def channel(
    packed: np.ndarray, lookback: int = LOOKBACK_WEEKS, k: float = BAND_SIGMAS
) -> PanelChannel:
    """The read's regression channel over the last ``lookback`` values of each column."""
    rows = packed.shape[0]
    window = min(lookback, rows)
    offset = rows - window
    y = packed[offset:]
    valid = ~np.isnan(y)
    n = valid.sum(axis=0).astype("float64")
    fitted = n >= 3
    position = np.arange(window, dtype="float64")[:, None] - (window - n)[None, :]
    x = np.where(valid, position, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_dev = x - (n - 1.0) / 2.0
        y_mean = np.nansum(y, axis=0) / n
        y_dev = y - y_mean
        slope = np.nansum(x_dev * y_dev, axis=0) / np.nansum(x_dev * x_dev, axis=0)
        intercept = y_mean - slope * (n - 1.0) / 2.0
        middle = intercept + slope * position
        residuals = np.where(valid, y - middle, 0.0)
        deviation = np.sqrt((residuals * residuals).sum(axis=0) / (n - 1.0))
        upper = middle + k * deviation
        lower = middle - k * deviation
        tol = CHANNEL_REL_TOL * np.abs(middle)
        sides = np.where(y > upper + tol, 1, np.where(y < lower - tol, -1, 0))
    sides = np.where(valid & fitted, sides, 0)
    last_side = sides[-1]
    differs = (sides != last_side) & valid
    last_other = window - 1 - np.argmax(differs[::-1], axis=0)
    fit_start = window - n.astype(int)
    run_start = np.where(differs.any(axis=0), last_other + 1, fit_start)
    return PanelChannel(
        upper=np.where(fitted, upper[-1], np.nan),
        lower=np.where(fitted, lower[-1], np.nan),
        side=last_side,
        exit_row=np.where(last_side != 0, run_start + offset, -1),
    )
