"""The cap on background jobs: a worker forks at most so many job processes at once, in all
and per user, and answers 429 beyond that, however fast the posts come."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import diskcache
import flask
import pytest
from werkzeug.exceptions import TooManyRequests

from app import create_app
from components import ids
from hosting.background import CappedDiskcacheManager, background_manager
from settings import Settings

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
    body = {
        "output": f"..{ids.REFRESH_STATUS}.children...{ids.SOURCE_BADGE}.children..",
        "outputs": [
            {"id": ids.REFRESH_STATUS, "property": "children"},
            {"id": ids.SOURCE_BADGE, "property": "children"},
        ],
        "inputs": [{"id": ids.REFRESH_BUTTON, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{ids.REFRESH_BUTTON}.n_clicks"],
        "state": [],
    }
    try:
        statuses = [
            client.post(
                "/_dash-update-component",
                data=json.dumps(body),
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
