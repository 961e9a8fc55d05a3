"""Background refresh on Celery with a real Redis and a real worker process (no network).

One worker is ``celery -A hosting.celery_app`` on the demo market: the refresh task stores
demo tickers into the demo store and reports its progress in the result backend. The other
runs the page's background callback, sent by the web side's CeleryManager through Dash's
callback endpoint, on a slow fake live source; the test follows its progress as the page
would. Every process started here is stopped by its pid.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from dash import CeleryManager

from app import create_app
from components import ids
from hosting.background import background_manager
from hosting.celery_app import (
    PROGRESS_STATE,
    REFRESH_TASK,
    create_celery,
)
from market.demo import DEMO_BENCHMARK, DEMO_INDEX, DemoProvider
from market.sources import store_for
from settings import Settings
from tests.dash_payloads import REFRESH_CALLBACK
from tests.refresh_fakes import MEMBERS, PRESTORED, SOURCE_LABEL, fake_services
from tests.servers import ROOT, redis_server, stop_process
from tests.store_fakes import stored_bars

pytestmark = pytest.mark.slow

DASH_CONFIG = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)


@contextmanager
def celery_worker(app: str, env: Mapping[str, str], log: Path) -> Iterator[Celery]:
    """``python -m celery -A app worker`` until it answers a ping; then stopped.

    One process (solo pool) that neither gossips, syncs with nor beats to other workers:
    none of that is tested here, and each costs start-up time."""
    settings = Settings(**{"redis_url": env["R2K_REDIS_URL"], "cache_dir": env["R2K_CACHE_DIR"]})
    client = create_celery(settings)
    name = f"r2k-test-{uuid.uuid4().hex[:8]}@localhost"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=solo", "-n", name,
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 40
            while not client.control.ping(destination=[name], timeout=0.5, limit=1):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            yield client
        finally:
            stop_process(process)
            client.close()


def test_celery_needs_redis_and_schedules_a_weekday_refresh():
    with pytest.raises(ValueError, match="R2K_REDIS_URL"):
        create_celery(Settings())
    celery = create_celery(Settings(redis_url="redis://127.0.0.1:1/0", refresh_at="21:05"))
    entry = celery.conf.beat_schedule["daily-refresh"]
    assert entry["task"] == REFRESH_TASK
    schedule = entry["schedule"]
    assert schedule.hour == {21}
    assert schedule.minute == {5}
    assert schedule.day_of_week == {1, 2, 3, 4, 5}
    assert REFRESH_TASK in celery.tasks


def _worker_env(redis_url: str, cache: Path, **extra: str) -> dict[str, str]:
    return {"R2K_REDIS_URL": redis_url, "R2K_CACHE_DIR": str(cache), **extra}


def test_refresh_task_runs_on_the_worker_and_reports_progress(tmp_path):
    cache = tmp_path / "cache"
    tickers = [DEMO_INDEX, DEMO_BENCHMARK, *DemoProvider().universe()["ticker"][:40]]
    with redis_server(tmp_path) as redis_url:
        assert isinstance(background_manager(Settings(redis_url=redis_url)), CeleryManager)
        env = _worker_env(redis_url, cache, R2K_SOURCE="demo", R2K_BATCH_SIZE="1")
        with celery_worker("hosting.celery_app", env, tmp_path / "worker.log") as client:
            registered = client.control.inspect(timeout=2, limit=1).registered() or {}
            names = [task for tasks in registered.values() for task in tasks]
            assert REFRESH_TASK in names
            assert any(n.startswith("background_callback_") for n in names), names

            result = client.send_task(REFRESH_TASK, kwargs={"source": "demo", "tickers": tickers})
            seen: list[dict[str, Any]] = []
            deadline = time.monotonic() + 30
            while not result.ready() and time.monotonic() < deadline:
                if result.state == PROGRESS_STATE and result.info not in seen:
                    seen.append(result.info)
                time.sleep(0.01)
            summary = result.get(timeout=5)

    assert summary["fetched"] == len(tickers)
    assert summary["error"] is None and summary["failed"] == {}
    assert summary["source"] == "Simulated demo market"
    assert summary["summary"].startswith(f"fetched {len(tickers)}, already fresh 0")
    assert seen, "no progress was reported"
    assert all(step["total"] == len(tickers) and step["failures"] == 0 for step in seen)
    assert any(0 < step["done"] < len(tickers) for step in seen), seen
    demo_store = store_for(Settings(cache_dir=cache), "demo")
    assert demo_store.tickers() == sorted(tickers)
    assert (
        stored_bars(demo_store, DEMO_INDEX).index[-1]
        == DemoProvider().bars([DEMO_INDEX]).bars[DEMO_INDEX].index[-1]
    )


def _end_id(web) -> str:
    """The id the page's Dash config gives this app instance (background callbacks name it)."""
    config = DASH_CONFIG.search(web.get("/").get_data(as_text=True))
    assert config is not None
    return json.loads(config.group(1))["end_id"]


def _post_refresh(web, end_id: str, address: str = "127.0.0.1", **handles: str):
    """The refresh button's post (``handles``: the started job's, to poll for its result)."""
    query = "&".join(f"{k}={v}" for k, v in {"endId": end_id, **handles}.items())
    return web.post(
        f"/_dash-update-component?{query}",
        json=REFRESH_CALLBACK,
        environ_base={"REMOTE_ADDR": address},
    )


def _dash_post(web, end_id: str, **handles: str) -> dict[str, Any]:
    response = _post_refresh(web, end_id, **handles)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def test_page_refresh_runs_through_celery_manager_on_a_worker(tmp_path):
    cache = tmp_path / "cache"
    with redis_server(tmp_path) as redis_url:
        settings = Settings(redis_url=redis_url, cache_dir=cache, batch_size=4)
        services = fake_services(settings, delay=0.0)
        app = create_app(settings, services)
        env = _worker_env(redis_url, cache, R2K_BATCH_SIZE="4")
        with celery_worker("tests.refresh_fakes", env, tmp_path / "worker.log"):
            web = app.server.test_client()
            end_id = _end_id(web)
            started = _dash_post(web, end_id)
            handles = {"cacheKey": started["cacheKey"], "job": started["job"]}
            progress: list[str] = []
            answer: dict[str, Any] = {}
            deadline = time.monotonic() + 30
            while "response" not in answer and time.monotonic() < deadline:
                time.sleep(0.1)
                answer = _dash_post(web, end_id, **handles)
                text = answer.get("progress", {}).get(f"{ids.REFRESH_PROGRESS_TEXT}.children")
                if text and text not in progress:
                    progress.append(text)

    assert "response" in answer, f"no result; progress seen: {progress}"
    status = answer["response"][ids.REFRESH_STATUS]["children"]
    total = len(MEMBERS) + 2
    fetched = total - len(PRESTORED)
    assert status.startswith(f"Refreshed: fetched {fetched}, already fresh {len(PRESTORED)}")
    badge = answer["response"][ids.SOURCE_BADGE]["children"]
    assert badge.startswith(f"{SOURCE_LABEL} · updated")
    counts = [t for t in progress if " of " in t]
    assert any(not t.startswith(("0 of", f"{total} of")) for t in counts), progress
    assert progress[-1] == f"{total} of {total} tickers, 0 failures"
    assert len(stored_bars(services.market.source.store, "M17")) > 100


def test_page_jobs_sent_to_celery_are_capped_across_web_workers_until_they_end(tmp_path):
    """Two web workers on one Redis; the Celery worker starts only after the posts, so the
    jobs sent are queued (and hold their slots) until it runs them and frees the slots."""
    cache = tmp_path / "cache"
    with redis_server(tmp_path) as redis_url:
        settings = Settings(
            redis_url=redis_url,
            cache_dir=cache,
            batch_size=8,
            max_background_jobs=2,
            max_background_jobs_per_user=1,
        )
        services = fake_services(settings, delay=0.0)
        first, second = (create_app(settings, services).server.test_client() for _ in range(2))
        end_ids = {web: _end_id(web) for web in (first, second)}

        def post(web, address: str):
            return _post_refresh(web, end_ids[web], address)

        alice = post(first, "10.0.0.1")
        assert alice.status_code == 200, alice.get_data(as_text=True)[:300]
        assert post(second, "10.0.0.1").status_code == 429, "one job per user, across workers"
        bob = post(second, "10.0.0.2")
        assert bob.status_code == 200
        refused = post(first, "10.0.0.3")
        assert refused.status_code == 429, "two jobs in all, across workers"
        assert "Too many background jobs" in refused.get_data(as_text=True)

        slots = redis.Redis.from_url(redis_url)
        assert slots.zcard("r2k:jobs:all") == 2

        env = _worker_env(redis_url, cache, R2K_BATCH_SIZE="8")
        with celery_worker("tests.refresh_fakes", env, tmp_path / "worker.log"):
            deadline = time.monotonic() + 60
            while slots.zcard("r2k:jobs:all") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert slots.zcard("r2k:jobs:all") == 0, "the worker freed both slots"
            assert post(second, "10.0.0.3").status_code == 200
    log = (tmp_path / "worker.log").read_text()  # complete once the worker stopped
    assert len(re.findall(r"background_callback_\w+\[\w+\] succeeded", log)) >= 2, log[-2000:]
