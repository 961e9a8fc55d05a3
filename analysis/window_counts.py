"""Per-date counts of a closes panel's trailing-window tests, in compiled passes.

Breadth needs, at every session, how many constituents have a full 200-session window and
close above its average, how many have a full 252-session window and close at its highest
or lowest, and how many are above their 50-week average. Whole-panel numpy takes several
passes over ten years of 2,000 columns (0.7 s for the first two, 75 ms for the third); here
each column is walked once per function and only the per-date counts are kept.
``window_counts`` keeps a running sum and block-wise running extremes (van Herk /
Gil-Werman: the extreme of any window is that of the suffix of one block and the prefix of
the next): a few comparisons a value and no branch that depends on the prices, where
monotonic queues took twice the time.
``weekly_average_counts`` keeps the last weeks' closes in a ring with their running sum.
Compiled with numba (installed with pandas-ta) and cached on disk, so the compilation
happens once per machine.
"""

from __future__ import annotations

import numba
import numpy as np

COUNT_COLUMNS: tuple[str, ...] = (
    "sma_count",
    "above_sma",
    "high_low_count",
    "new_highs",
    "new_lows",
)
REL_TOL = 1e-9
"""A close within this fraction of its average is at it, not above."""


@numba.njit(cache=True)
def _block_extremes(
    column: np.ndarray, window: int, highest: np.ndarray, lowest: np.ndarray, forward: bool
) -> None:
    """Running max and min of ``column`` within blocks of ``window`` rows, from each block's
    start (``forward``) or from each block's end; a missing value is neither."""
    rows = column.shape[0]
    for step in range(rows):
        row = step if forward else rows - 1 - step
        value = column[row]
        missing = np.isnan(value)
        high = -np.inf if missing else value
        low = np.inf if missing else value
        restart = row % window == 0 if forward else row % window == window - 1 or row == rows - 1
        if not restart:
            neighbour = row - 1 if forward else row + 1
            high = max(high, highest[neighbour])
            low = min(low, lowest[neighbour])
        highest[row] = high
        lowest[row] = low


@numba.njit(cache=True)
def _counts(values: np.ndarray, sma_window: int, extreme_window: int) -> np.ndarray:
    rows, columns = values.shape
    out = np.zeros((rows, 5), dtype=np.int64)
    prefix_high = np.empty(rows)
    prefix_low = np.empty(rows)
    suffix_high = np.empty(rows)
    suffix_low = np.empty(rows)
    for index in range(columns):
        column = values[:, index]
        _block_extremes(column, extreme_window, prefix_high, prefix_low, True)
        _block_extremes(column, extreme_window, suffix_high, suffix_low, False)
        total = 0.0
        sma_present = 0
        extreme_present = 0
        for row in range(rows):
            value = column[row]
            present = not np.isnan(value)
            if present:
                total += value
                sma_present += 1
                extreme_present += 1
            if row >= sma_window:
                leaving = column[row - sma_window]
                if not np.isnan(leaving):
                    total -= leaving
                    sma_present -= 1
            if row >= extreme_window and not np.isnan(column[row - extreme_window]):
                extreme_present -= 1
            if not present:
                continue
            if sma_present == sma_window:
                average = total / sma_window
                out[row, 0] += 1
                if value > average + REL_TOL * abs(average):
                    out[row, 1] += 1
            if extreme_present == extreme_window:
                # Every value of the window is present: its extremes are the blocks' ones.
                start = row - extreme_window + 1
                out[row, 2] += 1
                if value >= max(suffix_high[start], prefix_high[row]):
                    out[row, 3] += 1
                if value <= min(suffix_low[start], prefix_low[row]):
                    out[row, 4] += 1
    return out


@numba.njit(cache=True)
def _weekly_counts(values: np.ndarray, weeks: np.ndarray, window: int) -> np.ndarray:
    rows, columns = values.shape
    out = np.zeros((rows, 2), dtype=np.int64)
    earlier = np.empty(window - 1)  # the last ``window - 1`` weeks' closes, by week number
    for index in range(columns):
        column = values[:, index]
        total = 0.0
        filled = 0
        present = 0
        week_close = np.nan
        for row in range(rows):
            if row > 0 and weeks[row] != weeks[row - 1]:
                # The week before closed: it takes the place of the oldest in the ring.
                slot = weeks[row - 1] % (window - 1)
                if filled == window - 1 and not np.isnan(earlier[slot]):
                    total -= earlier[slot]
                    present -= 1
                filled = min(filled + 1, window - 1)
                earlier[slot] = week_close
                if not np.isnan(week_close):
                    total += week_close
                    present += 1
                week_close = np.nan
            value = column[row]
            if np.isnan(value):
                continue
            week_close = value
            if present == window - 1:
                average = (total + value) / window
                out[row, 0] += 1
                if value > average + REL_TOL * abs(average):
                    out[row, 1] += 1
    return out


def weekly_average_counts(values: np.ndarray, weeks: np.ndarray, window: int) -> np.ndarray:
    """Per row: columns whose weekly average is known, and those above it (two columns).

    A row's average is that of the ``window - 1`` weeks before its week (each week's last
    close, all present) and the row's own close as its unfinished week's: the chart's
    weekly average on that day. ``weeks`` numbers each row's week: 0, then the same or one
    more from row to row. A running sum over a ring of weeks, compiled like ``window_counts``.
    """
    array = np.asfortranarray(values, dtype=np.float64)
    numbers = np.asarray(weeks, dtype=np.int64)
    if array.ndim != 2 or numbers.shape != (array.shape[0],):
        raise ValueError("expected a 2-D array (rows are dates) and one week number per row")
    steps = np.diff(numbers)
    if len(numbers) and (numbers[0] != 0 or np.any((steps != 0) & (steps != 1))):
        raise ValueError("week numbers must start at 0 and grow by 0 or 1 from row to row")
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValueError(f"window must be an integer of at least 2, got {window!r}")
    return np.asarray(_weekly_counts(array, numbers, window))


def window_counts(values: np.ndarray, sma_window: int, extreme_window: int) -> np.ndarray:
    """Per row: columns with a full ``sma_window`` and a close above its mean, columns with
    a full ``extreme_window`` and a close at its highest / lowest (``COUNT_COLUMNS``)."""
    # Column after column: Fortran order keeps each column's rows together in memory.
    array = np.asfortranarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows are dates), got {array.ndim} dimensions")
    for name, window in (("sma_window", sma_window), ("extreme_window", extreme_window)):
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"{name} must be a positive integer, got {window!r}")
    return np.asarray(_counts(array, sma_window, extreme_window))
