"""Figure 7: resident memory of one gunicorn worker, with the demo universe loaded and after
1,000 mixed requests (the load driver's actions, one user, one after the other).

Floor: a plain Python process that builds the same app and loads the same data (services,
app, the universe's closes, one ticker's bars) and serves nothing: what a worker cannot
go below.
"""

from __future__ import annotations

import os
import random
import tempfile

import httpx
import psutil

from bench.dash_client import DashPage, Exchange
from bench.load import PAGE_DRAWN, next_action
from bench.report import Row
from bench.server import ROOT, Server
from bench.timing import run_script_for_json

FIGURE = "7 Memory"
MB = 1e6

_FLOOR_SCRIPT = """
import json, os, psutil
from app import create_app, create_services
from settings import Settings
settings = Settings(source="demo", cache_dir=os.environ["R2K_CACHE_DIR"])
services = create_services(settings)
app = create_app(settings, services)
services.market.closes()
services.market.universe()
services.market.daily_bars(services.default_ticker)
print(json.dumps({"rss": psutil.Process().memory_info().rss}))
"""


def floor_rss() -> float:
    """RSS in bytes of a process holding the app and the demo data, serving nothing."""
    with tempfile.TemporaryDirectory(prefix="r2k-bench-floor-") as directory:
        env = {**os.environ, "R2K_CACHE_DIR": directory, "PYTHONPATH": str(ROOT)}
        result = run_script_for_json(_FLOOR_SCRIPT, env)
    return float(result["rss"])


def measure(server: Server, requests: int = 1000, seed: int = 7) -> list[Row]:
    """RSS of the only worker after the first page load, then every tenth of ``requests``."""
    (pid,) = server.worker_pids()
    worker = psutil.Process(pid)
    rng = random.Random(seed)
    count = 0
    errors = 0

    def record(exchange: Exchange) -> None:
        nonlocal count, errors
        count += 1
        errors += exchange.error is not None

    samples: list[tuple[int, float]] = []
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        page = DashPage(client, record, drawn=PAGE_DRAWN)
        page.load()
        loaded = worker.memory_info().rss
        step = max(1, requests // 10)
        while count < requests:
            _, changes = next_action(page, rng)
            if changes is None:
                page.load(page.value("view-store", "data") or "")
            else:
                page.change(changes)
            if count // step > len(samples):
                samples.append((count, worker.memory_info().rss))
    final = worker.memory_info().rss
    half = min(samples, key=lambda sample: abs(sample[0] - requests // 2))
    trail = ", ".join(f"{n}: {rss / MB:.0f}" for n, rss in samples[1::2])
    return [
        Row(
            FIGURE,
            "RSS, universe loaded",
            loaded / MB,
            "MB",
            floor_rss() / MB,
            note="one worker after the first page load; floor: the same app and data, idle",
        ),
        Row(
            FIGURE,
            f"RSS after {count:,} requests",
            final / MB,
            "MB",
            loaded / MB,
            goal_ratio=1.1,
            note=f"MB by requests: {trail}; {errors} errors; "
            f"growth over the second half {(final - half[1]) / MB:+.0f} MB",
        ),
    ]
