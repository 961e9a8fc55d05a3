"""What workers share in Redis, and what each does alone while Redis fails.

Redis only ever makes things shared (computed results, failed-login counts, running
background jobs); it must never take the site down with it. When Redis does not answer, a
worker does without it (computes, counts alone, as it would with no Redis configured), logs
that once, and asks Redis again after ``retry_seconds``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

T = TypeVar("T")

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 2.0
"""Seconds to connect to and hear from Redis before doing without it."""
RETRY_SECONDS = 30.0
"""After Redis fails, a worker does without it for this long, then asks it again."""

FAILURES = (redis.RedisError, OSError)
"""What an unreachable, slow or misconfigured Redis raises."""


def connect(url: str, client_name: str) -> redis.Redis:
    """A Redis client on ``url`` that gives up within ``REDIS_TIMEOUT`` seconds."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        client_name=client_name,
    )


class SharedOrLocal:
    """Runs an operation on Redis, or its per-worker twin while Redis is failing.

    ``what`` uses Redis and ``instead`` says what it does without, for the log.
    """

    def __init__(
        self,
        what: str,
        instead: str,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what = what
        self._instead = instead
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._down_until: float | None = None

    def run(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        """``shared()``, unless Redis failed within ``retry_seconds``: then ``local()``."""
        if self._down_until is not None and self._clock() < self._down_until:
            return local()
        try:
            result = shared()
        except FAILURES as error:
            if self._down_until is None:
                log.warning("%s unavailable, %s: %s", self._what, self._instead, error)
            self._down_until = self._clock() + self._retry_seconds
            return local()
        if self._down_until is not None:
            log.info("%s available again", self._what)
            self._down_until = None
        return result
