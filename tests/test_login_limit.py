"""Failed logins: a delay that grows per client address and per user name, answered 429
without a hash check; verified credentials remembered for a while, not hashed again."""

from __future__ import annotations

import base64
import logging
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis
from werkzeug.security import check_password_hash, generate_password_hash

import hosting.auth
from app import create_app
from hosting.auth import VERIFIED_LIMIT, PasswordCheck
from hosting.login_limit import (
    FIRST_DELAY,
    FORGET_AFTER,
    LoginThrottle,
    SharedLoginThrottle,
    login_throttle,
)
from settings import Settings
from tests.servers import demo_site_on_redis, redis_server, unreachable_redis_url

ALICE = generate_password_hash("wonderland", method="pbkdf2:sha256:1000")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_free_failures_then_a_delay_that_doubles_up_to_the_maximum():
    clock = Clock()
    throttle = LoginThrottle(free_failures=3, max_delay=5.0, clock=clock)
    delays = []
    for _ in range(8):
        assert throttle.wait("address a") == 0
        throttle.failed("address a")
        delays.append(throttle.wait("address a"))
        clock.now += delays[-1]
    assert delays == [0, 0, FIRST_DELAY, 2 * FIRST_DELAY, 4 * FIRST_DELAY, 5.0, 5.0, 5.0]


def test_a_blocked_key_blocks_a_request_that_names_it_alongside_a_free_one():
    clock = Clock()
    throttle = LoginThrottle(free_failures=1, clock=clock)
    throttle.failed("user alice")
    assert throttle.wait("address b", "user alice") == FIRST_DELAY
    assert throttle.wait("address b", "user bob") == 0
    clock.now += 0.25
    assert throttle.wait("user alice") == pytest.approx(FIRST_DELAY - 0.25)


def test_success_and_time_forget_failures():
    clock = Clock()
    throttle = LoginThrottle(free_failures=1, clock=clock)
    for key in ("address a", "address b"):
        throttle.failed(key)
    throttle.succeeded("address a")
    assert throttle.wait("address a") == 0
    assert throttle.wait("address b") > 0
    clock.now += FORGET_AFTER + 1
    assert throttle.wait("address b") == 0
    throttle = LoginThrottle(free_failures=2, clock=clock)
    throttle.failed("address c")
    clock.now += FORGET_AFTER + 1
    throttle.failed("address c")
    assert throttle.wait("address c") == 0, "counting starts again from zero"


def test_the_throttle_remembers_a_bounded_number_of_keys():
    throttle = LoginThrottle(free_failures=1, clock=Clock(), max_keys=3)
    for number in range(5):
        throttle.failed(f"address {number}")
    assert throttle.wait("address 0") == 0 and throttle.wait("address 1") == 0
    assert all(throttle.wait(f"address {n}") > 0 for n in (2, 3, 4))


@pytest.mark.parametrize("args", [(0, 1.0), (1, 0.0), (1, -1.0)])
def test_the_throttle_refuses_nonsense_limits(args):
    with pytest.raises(ValueError, match="free_failures"):
        LoginThrottle(*args)


def test_a_verified_pair_is_hashed_again_once_it_expires(monkeypatch):
    calls = []

    def counting(stored: str, password: str) -> bool:
        calls.append(password)
        return check_password_hash(stored, password)

    monkeypatch.setattr(hosting.auth, "check_password_hash", counting)
    clock = Clock()
    check = PasswordCheck({"alice": ALICE}, remember_for=60, clock=clock)
    assert check("alice", "wonderland") and check.remembers("alice", "wonderland")
    clock.now += 59
    assert check("alice", "wonderland") and len(calls) == 1
    clock.now += 2
    assert not check.remembers("alice", "wonderland")
    assert check("alice", "wonderland") and len(calls) == 2
    assert not check.remembers("alice", "guess")


def test_the_verified_pairs_are_bounded_oldest_forgotten_first(monkeypatch):
    monkeypatch.setattr(hosting.auth, "check_password_hash", lambda stored, password: True)
    users = {f"user{n}": ALICE for n in range(VERIFIED_LIMIT + 2)}
    check = PasswordCheck(users, clock=Clock())
    for user in users:
        assert check(user, "any")
    assert not check.remembers("user0", "any") and not check.remembers("user1", "any")
    assert check.remembers("user2", "any") and check.remembers(f"user{VERIFIED_LIMIT + 1}", "any")


@pytest.fixture
def client(tmp_path):
    settings = Settings(
        source="demo",
        cache_dir=tmp_path / "cache",
        auth_users=f"alice:{ALICE}",
        login_free_failures=3,
    )
    return create_app(settings).server.test_client()


def _get(client, user: str, password: str, address: str):
    return client.get(
        "/_dash-layout", headers=_basic(user, password), environ_base={"REMOTE_ADDR": address}
    )


def test_guesses_from_one_address_get_429_without_a_hash_check(client, monkeypatch):
    assert _get(client, "alice", "wonderland", "10.0.0.1").status_code == 200
    calls = []
    real = hosting.auth.check_password_hash
    monkeypatch.setattr(
        hosting.auth, "check_password_hash", lambda h, p: calls.append(p) or real(h, p)
    )

    answers = [_get(client, f"guess{n}", "nope", "10.0.0.66") for n in range(10)]

    assert [a.status_code for a in answers] == [401] * 3 + [429] * 7
    assert len(calls) == 3, "a blocked address costs no hash check"
    blocked = answers[-1]
    assert int(blocked.headers["Retry-After"]) >= 1
    assert blocked.mimetype == "text/plain" and "try again in" in blocked.get_data(as_text=True)
    assert "WWW-Authenticate" not in blocked.headers
    assert _get(client, "alice", "wonderland", "10.0.0.66").status_code == 200, "remembered"
    assert _get(client, "alice", "wonderland", "10.0.0.2").status_code == 200


def test_guesses_for_one_user_from_many_addresses_block_that_user_name(client):
    answers = [_get(client, "alice", "nope", f"10.0.1.{n}") for n in range(5)]
    assert [a.status_code for a in answers] == [401] * 3 + [429] * 2
    assert _get(client, "alice", "wonderland", "10.0.2.1").status_code == 429
    assert _get(client, "bob", "nope", "10.0.2.1").status_code == 401


def test_a_success_clears_the_failures(client):
    for _ in range(2):
        assert _get(client, "alice", "nope", "10.0.3.1").status_code == 401
    assert _get(client, "alice", "wonderland", "10.0.3.1").status_code == 200
    for _ in range(2):
        assert _get(client, "alice", "nope", "10.0.3.1").status_code == 401


def test_throttles_of_two_workers_on_one_redis_block_a_key_at_the_same_count(tmp_path: Path):
    with redis_server(tmp_path) as url:
        settings = Settings(redis_url=url, login_free_failures=3, login_max_delay=5.0)
        first, second = login_throttle(settings), login_throttle(settings)
        assert isinstance(first, SharedLoginThrottle)
        for throttle in (first, second):
            assert throttle.wait("address a") == 0
            throttle.failed("address a")
        assert first.wait("address a") == second.wait("address a") == 0
        second.failed("address a", "user alice")
        for throttle in (first, second):
            assert throttle.wait("address a") == pytest.approx(FIRST_DELAY, abs=0.1)
            assert throttle.wait("user alice") == 0, "one failure of three for this user"
            assert throttle.wait("address b", "address a") > 0
        first.failed("address a")
        assert second.wait("address a") == pytest.approx(2 * FIRST_DELAY, abs=0.1)
        for _ in range(5):
            second.failed("address a")
        assert first.wait("address a") == pytest.approx(5.0, abs=0.1), "up to the maximum"
        first.succeeded("address a")
        assert second.wait("address a") == 0
        second.failed("address a")
        assert first.wait("address a") == 0, "a success starts the count again"
        ttl = redis.Redis.from_url(url).ttl
        keys = redis.Redis.from_url(url).keys("r2k:login:fails:*")
        assert keys and all(0 < ttl(key) <= FORGET_AFTER for key in keys)


def test_a_redis_that_is_down_limits_per_worker_and_logs_once(caplog):
    nothing_there = redis.Redis.from_url(unreachable_redis_url(), socket_connect_timeout=0.5)
    throttle = SharedLoginThrottle(nothing_there, LoginThrottle(free_failures=2))
    with caplog.at_level(logging.WARNING, logger="hosting.redis_fallback"):
        assert throttle.wait("address a") == 0
        throttle.failed("address a")
        assert throttle.wait("address a") == 0
        throttle.failed("address a")
        assert throttle.wait("address a") == pytest.approx(FIRST_DELAY, abs=0.1)
        throttle.succeeded("address a")
        assert throttle.wait("address a") == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "shared login limit unavailable" in warnings[0]


@pytest.mark.slow
def test_guesses_spread_over_two_gunicorn_workers_are_limited_as_by_one(tmp_path: Path):
    """Each guess on a new connection; gunicorn's access log names the worker that answered.

    Counted per worker, each worker would answer its own 4 free guesses with 401.
    """
    log = tmp_path / "access.log"
    site = demo_site_on_redis(
        tmp_path,
        *("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s"),
        R2K_AUTH_USERS=f"alice:{ALICE}",
        R2K_LOGIN_FREE_FAILURES="4",
    )
    with site as (base, _):
        statuses, sent, answered = [], [], []
        # The kernel, not gunicorn, spreads new connections over the workers, sometimes
        # 14 to 2: guess until each worker has answered at least 4 (the free guesses).
        while len(statuses) < 64 and (len(statuses) < 16 or not _spread(_by_worker(log))):
            sent.append(time.monotonic())
            with httpx.Client(base_url=base, timeout=30) as fresh:
                statuses.append(fresh.get("/", auth=("alice", "guess")).status_code)
            answered.append(time.monotonic())
    # The 4th failure blocks for FIRST_DELAY from a moment after the 4th guess was sent:
    # a guess answered before that much time has passed was refused by the block.
    blocked = [s for s, t in zip(statuses, answered, strict=True) if t - sent[3] < FIRST_DELAY]
    assert blocked[:4] == [401] * 4 and set(blocked[4:]) <= {429}, statuses
    assert statuses.count(401) < 8, "not the 4 free guesses of each worker"
    assert _spread(_by_worker(log)), _by_worker(log)


def _by_worker(log: Path) -> Counter[str]:
    """How many requests each worker answered, from gunicorn's access log (pid first)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(line.split()[0] for line in lines if line.strip())


def _spread(per_worker: Counter[str]) -> bool:
    return len(per_worker) == 2 and min(per_worker.values()) >= 4


def test_with_redis_down_logins_still_work_and_guesses_are_limited_per_worker(tmp_path):
    settings = Settings(
        source="demo",
        cache_dir=tmp_path / "cache",
        auth_users=f"alice:{ALICE}",
        login_free_failures=2,
        redis_url=unreachable_redis_url(),
        cache_timeout=0,
    )
    client = create_app(settings).server.test_client()
    answers = [_get(client, "alice", "nope", "10.0.4.1").status_code for _ in range(4)]
    assert answers == [401, 401, 429, 429]
    assert _get(client, "alice", "wonderland", "10.0.4.2").status_code == 429, "user blocked"
    assert _get(client, "bob", "nope", "10.0.4.3").status_code == 401
