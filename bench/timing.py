"""Timing helpers: the measured code and its floor run alternately, so noise hits both.

In-process figures can be timed in CPU seconds of this process (``time.process_time``):
on a shared machine other processes stretch wall time but not CPU time, and the code
measured there runs on one thread.
"""

from __future__ import annotations

import gc
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

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


def run_script_for_json(script: str, env: dict[str, str], *args: str) -> Any:
    """Run ``python -c script args`` in a fresh process; the JSON of its last output line."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
