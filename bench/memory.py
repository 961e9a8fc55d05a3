"""Figure 7: memory of the server, with the demo universe loaded and after 1,000 mixed
requests (the load driver's actions, one user, one after the other).

What a host pays is the proportional set size (PSS) of the master and its workers together:
pages shared between them (libraries imported before the fork, files both map) count once.
It is taken when the server has booted (before any request loads the universe), once the
universe is loaded, and after the requests; with one worker and with two, so the cost of
each added worker shows. RSS of one worker is given too, beside its floor: a plain Python
process that builds the same app and loads the same data (services, app, the universe's
closes, one ticker's bars) and serves nothing.
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
ONE_WORKER_LOADED = "PSS master + 1 worker, universe loaded"
TWO_WORKERS_GOAL_MB = 500.0
ADDED_WORKER_GOAL_MB = 120.0

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


def server_pss(server: Server) -> float:
    """PSS in bytes of the master and all its workers together."""
    pids = [server.pid, *server.worker_pids()]
    return float(sum(psutil.Process(pid).memory_full_info().pss for pid in pids))


def load_page(server: Server) -> None:
    """One page load with its tables, on every worker: the universe is loaded everywhere."""
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        for _ in range(4 * len(server.worker_pids())):
            DashPage(client, lambda _: None, drawn=PAGE_DRAWN).load()


def two_worker_rows(booted: float, loaded: float, one_worker_loaded: float) -> list[Row]:
    """PSS of master + 2 workers when booted and with the universe loaded; per added worker."""
    return [
        Row(
            FIGURE,
            "PSS master + 2 workers, booted",
            booted / MB,
            "MB",
            note="before any request loads the universe",
        ),
        Row(
            FIGURE,
            "PSS master + 2 workers, universe loaded",
            loaded / MB,
            "MB",
            goal_value=TWO_WORKERS_GOAL_MB,
        ),
        Row(
            FIGURE,
            "PSS of the second worker",
            (loaded - one_worker_loaded) / MB,
            "MB",
            goal_value=ADDED_WORKER_GOAL_MB,
            note="master + 2 workers minus master + 1 worker, universe loaded",
        ),
    ]


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
    booted_pss = server_pss(server)
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        page = DashPage(client, record, drawn=PAGE_DRAWN)
        page.load()
        loaded = worker.memory_info().rss
        loaded_pss = server_pss(server)
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
    final_pss = server_pss(server)
    half = min(samples, key=lambda sample: abs(sample[0] - requests // 2))
    trail = ", ".join(f"{n}: {rss / MB:.0f}" for n, rss in samples[1::2])
    return [
        Row(
            FIGURE,
            "PSS master + 1 worker, booted",
            booted_pss / MB,
            "MB",
            note="before any request loads the universe",
        ),
        Row(FIGURE, ONE_WORKER_LOADED, loaded_pss / MB, "MB"),
        Row(
            FIGURE,
            f"PSS master + 1 worker after {count:,} requests",
            final_pss / MB,
            "MB",
            loaded_pss / MB,
            goal_ratio=1.1,
        ),
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
