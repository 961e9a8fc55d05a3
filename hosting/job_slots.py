"""Slots for background jobs sent to Celery: at most so many running in all and per user,
counted in Redis by every web worker and host, and freed by the Celery worker that ran the job.

A web worker takes a slot before it sends a job (``reserve``) and the Celery worker frees it
when the job ends, fails or is revoked (``release``, from Celery's signals). A slot whose
release never came (a Celery worker killed mid-job) lapses after ``lease_seconds``. While
Redis fails, each web worker counts the jobs it sent itself, still running as far as
``still_running`` can tell (an error there counts as ended): never a lock-out.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import redis

from hosting.redis_fallback import SharedOrLocal

REDIS_PREFIX = "r2k:jobs:"
"""Starts the Redis keys of job slots: ``all``, ``user:<hash>`` and ``owner:<job>``."""
LEASE_SECONDS = 3600.0
"""A slot not released within this long is free again: longer than any page refresh."""

_RESERVE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1e6
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - lease)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - lease)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2])
    or redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('SET', KEYS[3], KEYS[2], 'EX', math.ceil(lease))
redis.call('EXPIRE', KEYS[1], math.ceil(lease))
redis.call('EXPIRE', KEYS[2], math.ceil(lease))
return 1
"""
"""Takes a slot for a job if both caps allow it, in one step for all workers (KEYS: the jobs
of all users, of this user, the job's owner; ARGV: job, cap in all, cap per user, lease)."""

_RELEASE_SCRIPT = """
local user = redis.call('GET', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if user then
  redis.call('ZREM', user, ARGV[1])
  redis.call('DEL', KEYS[2])
end
"""
"""Frees a job's slot (KEYS: the jobs of all users, the job's owner; ARGV: job)."""


class JobSlots:
    """At most ``max_jobs`` jobs running in all and ``max_per_user`` for one user."""

    def __init__(
        self,
        client: redis.Redis,
        max_jobs: int,
        max_per_user: int,
        still_running: Callable[[str], bool],
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        if max_jobs < 1 or max_per_user < 1 or lease_seconds <= 0:
            raise ValueError(
                "expected at least one job in all and per user and a positive lease, got "
                f"{max_jobs!r}, {max_per_user!r}, {lease_seconds!r}"
            )
        self._max_jobs = max_jobs
        self._max_per_user = max_per_user
        self._lease = lease_seconds
        self._still_running = still_running
        self._reserve = client.register_script(_RESERVE_SCRIPT)
        self._release = client.register_script(_RELEASE_SCRIPT)
        self._redis = SharedOrLocal("shared job caps", "counting jobs per worker")
        self._sent_here: dict[str, tuple[str, float]] = {}

    def reserve(self, job: str, user: str) -> bool:
        """Take a slot for ``job`` of ``user``; False when a cap is reached."""
        keys = [f"{REDIS_PREFIX}all", _user_key(user), f"{REDIS_PREFIX}owner:{job}"]
        args: list[str | int | float] = [job, self._max_jobs, self._max_per_user, self._lease]
        return self._redis.run(
            lambda: bool(self._reserve(keys=keys, args=args)),
            lambda: self._reserve_here(job, user),
        )

    def release(self, job: str) -> None:
        """Free ``job``'s slot (nothing when it holds none)."""
        self._sent_here.pop(job, None)
        keys = [f"{REDIS_PREFIX}all", f"{REDIS_PREFIX}owner:{job}"]
        self._redis.run(lambda: self._release(keys=keys, args=[job]), lambda: None)

    def _reserve_here(self, job: str, user: str) -> bool:
        """This worker's own count of the jobs it sent, while Redis fails."""
        now = time.monotonic()
        for sent, (_, started) in list(self._sent_here.items()):
            if now - started > self._lease or not self._running(sent):
                del self._sent_here[sent]
        owners = [owner for owner, _ in self._sent_here.values()]
        if len(owners) >= self._max_jobs or owners.count(user) >= self._max_per_user:
            return False
        self._sent_here[job] = (user, now)
        return True

    def _running(self, job: str) -> bool:
        try:
            return self._still_running(job)
        except Exception:  # the result backend is Redis too: an unknown state has ended
            return False


def _user_key(user: str) -> str:
    """The Redis name of ``user``'s jobs, of fixed length (a user name is the client's)."""
    digest = hashlib.blake2b(user.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{REDIS_PREFIX}user:{digest}"
