"""Figure 8: gunicorn with the default worker count, 20 simulated users, on loopback.

Measured: ``bench.load``'s users, run in this process against the server given, in several
runs (each figure is the median of the runs; the note gives their spread). Floor: as
many threads on the same server asking only for ``/_dash-dependencies`` (a small constant
JSON answer), which is what gunicorn, Flask and this driver cost per request by themselves.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from bench.load import LoadResult, run_load
from bench.report import COUNT, Row
from bench.timing import percentile

FIGURE = "8 Throughput"
GOAL_REQUESTS_PER_SECOND = 150.0
GOAL_P95_MS = 250.0


def floor_load(url: str, users: int, seconds: float) -> tuple[float, list[float]]:
    """Requests per second and latencies of the cheapest request, same users and server."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user() -> None:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                client.get("/_dash-dependencies").raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies


def rows(results: list[LoadResult], floor_rps: float, floor_latencies: list[float]) -> list[Row]:
    """The figure's rows from load runs (medians of the runs) and a floor run."""
    rates = [result.requests_per_second for result in results]
    p95s = [result.latency_ms(0.95) for result in results]
    first = results[0]
    note = (
        f"median of {len(results)} runs of {first.users} users for {first.seconds:.0f} s "
        f"({sum(len(r.exchanges) for r in results):,} requests, "
        f"{sum(r.actions for r in results):,} actions): {min(rates):.0f}-{max(rates):.0f} req/s, "
        f"p95 {min(p95s):.0f}-{max(p95s):.0f} ms"
    )
    table = [
        Row(
            FIGURE,
            "requests/s",
            statistics.median(rates),
            "req/s",
            floor_rps,
            note=note,
            goal_min=GOAL_REQUESTS_PER_SECOND,
        )
    ]
    for fraction in (0.5, 0.95, 0.99):
        table.append(
            Row(
                FIGURE,
                f"latency p{int(fraction * 100)}",
                statistics.median(result.latency_ms(fraction) for result in results),
                "ms",
                percentile(floor_latencies, fraction) * 1e3,
                goal_value=GOAL_P95_MS if fraction == 0.95 else None,
            )
        )
    errors = [error for result in results for error in result.errors]
    table.append(
        Row(FIGURE, "errors", float(len(errors)), COUNT, goal_value=0.0, note="; ".join(errors[:2]))
    )
    return table


def measure(
    url: str, users: int = 20, seconds: float = 60.0, floor_seconds: float = 10.0, runs: int = 3
) -> list[Row]:
    """``runs`` load runs of ``seconds`` / ``runs`` each, then the floor, on the same server."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    results = [run_load(url, users, seconds / runs) for _ in range(runs)]
    floor_rps, floor_latencies = floor_load(url, users, floor_seconds)
    return rows(results, floor_rps, floor_latencies)
