"""Timing helpers: the measured code and its floor run alternately, so noise hits both.

In-process figures can be timed in CPU seconds of this process (``time.process_time``):
on a shared machine other processes stretch wall time but not CPU time, and the code
measured there runs on one thread.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

Clock = Callable[[], float]
WALL: Clock = time.perf_counter
CPU: Clock = time.process_time


def seconds(function: Callable[[], Any], clock: Clock = WALL) -> float:
    """Seconds one call takes on ``clock`` (wall time by default)."""
    start = clock()
    function()
    return clock() - start


def paired(
    measured: Callable[[], Any],
    floor: Callable[[], Any],
    repeat: int,
    warmup: int = 2,
    clock: Clock = WALL,
) -> tuple[float, float]:
    """Median seconds of ``measured`` and of ``floor``, run in alternation ``repeat`` times."""
    for _ in range(warmup):
        measured()
        floor()
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(repeat):
        gc.collect()
        ours.append(seconds(measured, clock))
        gc.collect()
        bare.append(seconds(floor, clock))
    return statistics.median(ours), statistics.median(bare)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank; NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]
