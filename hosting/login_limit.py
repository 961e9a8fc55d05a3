"""How often a client address or a user name may fail to log in: a delay that grows.

A wrong password costs a deliberately slow hash check, so unlimited guessing slows every
user of the worker. The ``free_failures``-th failure of one key (an address, a user name)
blocks that key for a second, and each further failure for twice as long as the last (2 s,
4 s, ... up to ``max_delay``). A blocked key is answered at once (429 with Retry-After)
without hashing, so nothing sleeps in a worker. The counts live in each worker's memory,
bounded in size, and are forgotten after an hour without failures or at the next success.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FIRST_DELAY = 1.0
"""Seconds a key is blocked after its first failure beyond the free ones."""
FORGET_AFTER = 3600.0
"""Seconds without a failure after which a key starts again from zero."""
MAX_KEYS = 10_000
"""Keys remembered at once; the least recently failed is forgotten first."""


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
        self._free = free_failures
        self._max_delay = max_delay
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
            beyond = entry.count - self._free
            if beyond >= 0:
                delay = min(self._max_delay, FIRST_DELAY * 2.0 ** min(beyond, 60))
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
