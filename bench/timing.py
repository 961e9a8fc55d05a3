"""Timing helpers: the measured code and its floor run alternately, so noise hits both."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def seconds(function: Callable[[], Any]) -> float:
    """Wall time of one call, in seconds."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def paired(
    measured: Callable[[], Any], floor: Callable[[], Any], repeat: int, warmup: int = 2
) -> tuple[float, float]:
    """Median seconds of ``measured`` and of ``floor``, run in alternation ``repeat`` times."""
    for _ in range(warmup):
        measured()
        floor()
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(repeat):
        gc.collect()
        ours.append(seconds(measured))
        gc.collect()
        bare.append(seconds(floor))
    return statistics.median(ours), statistics.median(bare)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank; NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]
