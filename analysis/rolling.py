"""Trailing-window statistics down the columns of a 2-D array, a few passes over the data.

pandas' ``rolling`` walks each column in turn, which takes a third of a second for ten years
of 2,000 constituents; these take a few hundredths. A window's result is NaN unless all of
its ``window`` values are present, so a ticker counts only once it has the full history.
"""

from __future__ import annotations

import numpy as np


def _check(values: np.ndarray, window: int) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows are dates), got {array.ndim} dimensions")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    return array


def _full(present: np.ndarray, window: int) -> np.ndarray:
    """Whether the window ending at each row holds ``window`` present values."""
    counts = np.cumsum(present, axis=0, dtype=np.int64)
    full = np.zeros(present.shape, dtype=bool)
    if present.shape[0] >= window:
        previous = np.vstack([np.zeros((1, present.shape[1]), np.int64), counts[:-window]])
        full[window - 1 :] = counts[window - 1 :] - previous == window
    return full


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of each trailing window of ``window`` rows (NaN unless all are present)."""
    array = _check(values, window)
    present = ~np.isnan(array)
    sums = np.cumsum(np.where(present, array, 0.0), axis=0)
    result = np.full(array.shape, np.nan)
    if array.shape[0] >= window:
        previous = np.vstack([np.zeros((1, array.shape[1])), sums[:-window]])
        result[window - 1 :] = (sums[window - 1 :] - previous) / window
    result[~_full(present, window)] = np.nan
    return result


def _rolling_extreme(values: np.ndarray, window: int, largest: bool) -> np.ndarray:
    """The van Herk / Gil-Werman method: block prefix and suffix extremes, then one max."""
    array = _check(values, window)
    present = ~np.isnan(array)
    rows, columns = array.shape
    result = np.full(array.shape, np.nan)
    if rows < window:
        return result
    ufunc = np.maximum if largest else np.minimum
    filler = -np.inf if largest else np.inf
    blocks = -(-rows // window)
    padded = np.full((blocks * window, columns), filler)
    padded[:rows] = np.where(present, array, filler)
    shaped = padded.reshape(blocks, window, columns)
    prefix = ufunc.accumulate(shaped, axis=1).reshape(-1, columns)
    suffix = ufunc.accumulate(shaped[:, ::-1], axis=1)[:, ::-1].reshape(-1, columns)
    result[window - 1 :] = ufunc(suffix[: rows - window + 1], prefix[window - 1 : rows])
    result[~_full(present, window)] = np.nan
    return result


def rolling_max(values: np.ndarray, window: int) -> np.ndarray:
    """Largest value of each trailing window of ``window`` rows (NaN unless all present)."""
    return _rolling_extreme(values, window, largest=True)


def rolling_min(values: np.ndarray, window: int) -> np.ndarray:
    """Smallest value of each trailing window of ``window`` rows (NaN unless all present)."""
    return _rolling_extreme(values, window, largest=False)


def rolling_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Sum of each trailing window of ``window`` rows (NaN unless all are present)."""
    return rolling_mean(values, window) * window


def shifted(values: np.ndarray, rows: int = 1) -> np.ndarray:
    """``values`` moved down ``rows`` rows, NaN above (pandas' ``shift`` on an array)."""
    array = np.asarray(values, dtype="float64")
    result = np.full(array.shape, np.nan)
    if rows < array.shape[0]:
        result[rows:] = array[: array.shape[0] - rows]
    return result
