"""How often a client address or a user name may fail to log in: a delay that grows.

A wrong password costs a deliberately slow hash check, so unlimited guessing slows every
user of the worker. The ``free_failures``-th failure of one key (an address, a user name)
blocks that key for a second, and each further failure for twice as long as the last (2 s,
4 s, ... up to ``max_delay``). A blocked key is answered at once (429 with Retry-After)
without hashing, so nothing sleeps in a worker. The counts are forgotten after an hour
without failures or at the next success. ``LoginThrottle`` keeps them in one worker's memory,
bounded in size; ``SharedLoginThrottle`` in Redis, so that every worker (and host) sharing it
blocks a key at the same count, falling back to its own ``LoginThrottle`` while Redis fails.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from hosting.redis_fallback import SharedOrLocal, connect
from settings import Settings

FIRST_DELAY = 1.0
"""Seconds a key is blocked after its first failure beyond the free ones."""
FORGET_AFTER = 3600.0
"""Seconds without a failure after which a key starts again from zero."""
MAX_KEYS = 10_000
"""Keys remembered at once; the least recently failed is forgotten first."""
REDIS_PREFIX = "r2k:login:"
"""Starts the Redis keys of failed logins: ``fails:`` counts, ``blocked:`` waits."""

_FAILED_SCRIPT = """
for i = 1, #KEYS, 2 do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  local beyond = count - tonumber(ARGV[2])
  if beyond >= 0 then
    local delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[4]) * 2 ^ math.min(beyond, 60))
    redis.call('SET', KEYS[i + 1], '1', 'PX', math.ceil(delay * 1000))
  end
end
"""
"""Counts a failure of each key and blocks those over the free ones, in one step for all
workers (KEYS: each key's count and block, in pairs; ARGV: seconds until a count is
forgotten, free failures, longest and first delay in seconds)."""


@dataclass
class _Failures:
    count: int
    last: float
    blocked_until: float


class LoginThrottle:
    """Counts failed logins per key and says how long a key must still wait."""

    def __init__(
        self,
        free_failures: int = 5,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if free_failures < 1 or max_delay <= 0 or max_keys < 1:
            raise ValueError(
                "expected free_failures >= 1, max_delay > 0 and max_keys >= 1, got "
                f"{free_failures!r}, {max_delay!r}, {max_keys!r}"
            )
        self.free_failures = free_failures
        self.max_delay = max_delay
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, *keys: str) -> float:
        """Seconds until every one of ``keys`` may try again (0: it may now)."""
        now = self._clock()
        waits = [entry.blocked_until - now for key in keys if (entry := self._current(key, now))]
        return max([0.0, *waits])

    def failed(self, *keys: str) -> None:
        """Count a failed login against each of ``keys``, blocking those over the free ones."""
        now = self._clock()
        for key in keys:
            entry = self._current(key, now) or _Failures(0, now, now)
            entry.count += 1
            entry.last = now
            beyond = entry.count - self.free_failures
            if beyond >= 0:
                delay = min(self.max_delay, FIRST_DELAY * 2.0 ** min(beyond, 60))
                entry.blocked_until = now + delay
            self._failures[key] = entry
            self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys``: the right password was given."""
        for key in keys:
            self._failures.pop(key, None)

    def _current(self, key: str, now: float) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last > FORGET_AFTER:
            del self._failures[key]
            return None
        return entry


class Throttle(Protocol):
    """What the login check asks of a throttle, kept in memory or in Redis."""

    def wait(self, *keys: str) -> float: ...

    def failed(self, *keys: str) -> None: ...

    def succeeded(self, *keys: str) -> None: ...


class SharedLoginThrottle:
    """``LoginThrottle``'s counts kept in Redis: a key is blocked at the same count whichever
    worker or host its tries reach. Blocks expire in Redis itself (``PX``), so no clock of
    ours is compared with another's. While Redis fails, ``local`` counts alone (logged once):
    a Redis outage never blocks a login nor makes it fail.
    """

    def __init__(self, client: redis.Redis, local: LoginThrottle) -> None:
        self._client = client
        self._local = local
        self._failed_script = client.register_script(_FAILED_SCRIPT)
        self._redis = SharedOrLocal("shared login limit", "counting failed logins per worker")

    def wait(self, *keys: str) -> float:
        """Seconds until every one of ``keys`` may try again (0: it may now)."""

        def shared() -> float:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.pttl(_redis_keys(key)[1])
            return max([0.0, *(ms / 1000.0 for ms in pipe.execute() if ms > 0)])

        return self._redis.run(shared, lambda: self._local.wait(*keys))

    def failed(self, *keys: str) -> None:
        """Count a failed login against each of ``keys``, blocking those over the free ones."""
        limits = (int(FORGET_AFTER), self._local.free_failures, self._local.max_delay, FIRST_DELAY)
        self._redis.run(
            lambda: self._failed_script(
                keys=[n for key in keys for n in _redis_keys(key)], args=limits
            ),
            lambda: self._local.failed(*keys),
        )

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys``: the right password was given."""
        names = [name for key in keys for name in _redis_keys(key)]
        self._redis.run(lambda: self._client.delete(*names), lambda: self._local.succeeded(*keys))


def _redis_keys(key: str) -> tuple[str, str]:
    """The Redis names of ``key``'s failure count and block, of fixed length (a user name is
    the client's to choose)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{REDIS_PREFIX}fails:{digest}", f"{REDIS_PREFIX}blocked:{digest}"


def login_throttle(settings: Settings) -> Throttle:
    """In Redis when ``settings.redis_url`` is set (shared by every worker), else per worker."""
    local = LoginThrottle(settings.login_free_failures, settings.login_max_delay)
    if not settings.redis_url:
        return local
    return SharedLoginThrottle(connect(settings.redis_url, "r2k-login-limit"), local)
