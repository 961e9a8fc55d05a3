"""Figure 8: gunicorn with the default worker count, 20 simulated users, on loopback.

Measured: ``bench.load``'s users, run in this process against the server given. Floor: as
many threads on the same server asking only for ``/_dash-dependencies`` (a small constant
JSON answer), which is what gunicorn, Flask and this driver cost per request by themselves.
"""

from __future__ import annotations

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


def rows(result: LoadResult, floor_rps: float, floor_latencies: list[float]) -> list[Row]:
    """The figure's rows from a load run and its floor run."""
    note = (
        f"{result.users} users, {result.seconds:.0f} s, {len(result.exchanges):,} requests, "
        f"{result.actions:,} actions"
    )
    table = [
        Row(
            FIGURE,
            "requests/s",
            result.requests_per_second,
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
                result.latency_ms(fraction),
                "ms",
                percentile(floor_latencies, fraction) * 1e3,
                goal_value=GOAL_P95_MS if fraction == 0.95 else None,
            )
        )
    errors = result.errors
    table.append(
        Row(FIGURE, "errors", float(len(errors)), COUNT, goal_value=0.0, note="; ".join(errors[:2]))
    )
    return table


def measure(
    url: str, users: int = 20, seconds: float = 60.0, floor_seconds: float = 10.0
) -> list[Row]:
    """The load run, then its floor, on the same running server."""
    result = run_load(url, users, seconds)
    floor_rps, floor_latencies = floor_load(url, users, floor_seconds)
    return rows(result, floor_rps, floor_latencies)
