"""The cap on background jobs: a worker forks at most so many job processes at once, in all
and per user, and answers 429 beyond that, however fast the posts come; with Redis, every
worker counts the jobs it sends to Celery together (the Celery side: test_celery_refresh)."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

import diskcache
import flask
import pytest
import redis
from werkzeug.exceptions import TooManyRequests

from app import create_app
from hosting.background import CappedCeleryManager, CappedDiskcacheManager, background_manager
from hosting.job_slots import JobSlots
from settings import Settings
from tests.dash_payloads import REFRESH_CALLBACK
from tests.servers import redis_server, unreachable_redis_url

pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)


def _wait_for(release: str, *_args: object) -> None:
    """A job that runs until the file ``release`` exists (its first argument is Dash's key)."""
    import os
    import time

    while not os.path.exists(release):
        time.sleep(0.05)


def _basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}


@pytest.fixture
def manager(tmp_path: Path):
    manager = CappedDiskcacheManager(diskcache.Cache(str(tmp_path / "jobs")), 3, 2)
    yield manager
    (tmp_path / "release").touch()
    for process, _ in list(manager._running.values()):
        process.join(timeout=30)


def _start(manager, tmp_path: Path, user: str) -> int:
    app = flask.Flask(__name__)
    with app.test_request_context(headers=_basic(user)):
        return manager.call_job_fn(str(tmp_path / "release"), _wait_for, (), {})


def test_jobs_are_capped_per_user_and_in_all_until_one_ends(manager, tmp_path):
    _start(manager, tmp_path, "alice")
    _start(manager, tmp_path, "alice")
    with pytest.raises(TooManyRequests):
        _start(manager, tmp_path, "alice")
    _start(manager, tmp_path, "bob")
    with pytest.raises(TooManyRequests):
        _start(manager, tmp_path, "carol")
    assert manager.running_jobs() == 3 and manager.running_jobs("user alice") == 2

    (tmp_path / "release").touch()
    for process, _ in list(manager._running.values()):
        process.join(timeout=30)

    assert manager.running_jobs() == 0
    (tmp_path / "release").unlink()
    _start(manager, tmp_path, "carol")
    assert manager.running_jobs("user carol") == 1


def test_the_settings_choose_the_caps(tmp_path):
    manager = background_manager(
        Settings(cache_dir=tmp_path, max_background_jobs=7, max_background_jobs_per_user=2)
    )
    assert isinstance(manager, CappedDiskcacheManager)
    assert (manager._max_jobs, manager._max_per_user) == (7, 2)
    with pytest.raises(ValueError, match="at least one job"):
        CappedDiskcacheManager(diskcache.Cache(str(tmp_path / "x")), 0, 1)


def test_many_refresh_posts_fork_no_more_than_the_cap(tmp_path, monkeypatch):
    """Posts of the refresh button's callback, faster than the jobs end: 429 beyond the cap."""
    app = create_app(Settings(source="demo", cache_dir=tmp_path / "cache", max_background_jobs=2))
    manager = app._background_manager
    release = tmp_path / "release"
    real = manager.call_job_fn
    monkeypatch.setattr(
        manager,
        "call_job_fn",
        lambda key, job_fn, args, context: real(str(release), _wait_for, (), {}),
    )
    client = app.server.test_client()
    try:
        statuses = [
            client.post(
                "/_dash-update-component",
                data=json.dumps(REFRESH_CALLBACK),
                content_type="application/json",
                environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
            ).status_code
            for n in range(20)
        ]
        assert statuses[:2] == [200, 200]
        assert statuses[2:] == [429] * 18
        assert manager.running_jobs() == 2
    finally:
        release.touch()
        for process, _ in list(manager._running.values()):
            process.join(timeout=30)


def test_job_slots_on_one_redis_cap_every_worker_together(tmp_path):
    with redis_server(tmp_path) as url:
        client = redis.Redis.from_url(url)
        first, second = (JobSlots(client, 3, 2, still_running=_never_asked) for _ in range(2))
        assert first.reserve("job1", "user alice") and second.reserve("job2", "user alice")
        assert not first.reserve("job3", "user alice"), "two per user, across workers"
        assert second.reserve("job3", "user bob")
        assert not first.reserve("job4", "user carol"), "three in all"
        second.release("job1")  # as the Celery worker does when a job ends
        assert first.reserve("job4", "user carol")
        assert not second.reserve("job5", "user dave")
        first.release("job1")  # a second release changes nothing
        assert not second.reserve("job5", "user dave")
        for job in ("job2", "job3", "job4"):
            first.release(job)
        assert client.zcard("r2k:jobs:all") == 0 and not client.keys("r2k:jobs:owner:*")


def test_a_slot_never_released_lapses_after_its_lease(tmp_path):
    with redis_server(tmp_path) as url:
        slots = JobSlots(redis.Redis.from_url(url), 1, 1, _never_asked, lease_seconds=0.5)
        assert slots.reserve("lost", "user alice")
        assert not slots.reserve("next", "user bob")
        time.sleep(0.6)
        assert slots.reserve("next", "user bob")


def test_a_redis_that_is_down_caps_the_jobs_this_worker_sent_and_logs_once(caplog):
    running = {"a1": True, "a2": True, "b1": True}
    nothing_there = redis.Redis.from_url(unreachable_redis_url(), socket_connect_timeout=0.5)
    slots = JobSlots(nothing_there, 2, 1, still_running=lambda job: running[job])
    with caplog.at_level(logging.WARNING, logger="hosting.redis_fallback"):
        assert slots.reserve("a1", "user alice")
        assert not slots.reserve("a2", "user alice")
        assert slots.reserve("b1", "user bob")
        running["a1"] = False
        assert slots.reserve("a2", "user alice"), "a job that ended frees its slot"
        slots.release("b1")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "shared job caps unavailable" in warnings[0]


def test_with_redis_the_page_sends_jobs_to_celery_through_the_caps(tmp_path):
    manager = background_manager(
        Settings(cache_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", max_background_jobs=5)
    )
    assert isinstance(manager, CappedCeleryManager)
    assert manager._slots._max_jobs == 5


def _never_asked(job: str) -> bool:
    raise AssertionError(f"asked whether {job} runs while Redis answers")


def test_a_job_that_cannot_reach_celery_is_answered_503_and_frees_its_slot(tmp_path):
    settings = Settings(
        source="demo",
        cache_dir=tmp_path / "cache",
        redis_url=unreachable_redis_url(),
        cache_timeout=0,
        max_background_jobs=1,
    )
    app = create_app(settings)
    client = app.server.test_client()
    for _ in range(2):  # the first one's slot is free again: 503 twice, never 429 or 500
        answer = client.post("/_dash-update-component", json=REFRESH_CALLBACK)
        assert answer.status_code == 503
        assert "Background work is unavailable" in answer.get_data(as_text=True)
