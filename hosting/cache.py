"""Computed results (reads, movers, figures) cached by request key.

Keys name everything a result depends on, the data version included, so a refresh that
changes the store makes new keys instead of deleting old ones; old entries expire.
Values are pickled by the backend: callers cache plain data (figure dicts, rows, reads),
not Plotly figure objects, which unpickle about a hundred times slower.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol, TypeVar

from flask_caching.backends import FileSystemCache, RedisCache
from flask_caching.backends.base import BaseCache

from hosting.redis_fallback import RETRY_SECONDS, SharedOrLocal, connect
from market.data import REFETCH_SECONDS, MarketData
from market.sources import LIVE
from settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

COMPUTED_KEY = "stat:computed"
"""A counter in the backend: how many results all workers computed (cache misses)."""
FILE_THRESHOLD = 1000
"""Entries the filesystem cache keeps before it prunes (a chart is about 60 kB)."""

REDIS_CLIENT_NAME = "r2k-results"
"""How the cache's connections appear in Redis' CLIENT LIST."""


class ResultCache(Protocol):
    """Returns the cached value for ``key``, computing and storing it when absent."""

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T: ...


class NoCache:
    """Computes every time: for tests and for a single local user."""

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        return compute()


def data_version(market: MarketData, now: Callable[[], float] = time.time) -> str:
    """What every cached result of ``market`` depends on besides the view.

    That is when the store last changed (constant for the demo and CSV sources). A live
    source also fetches a stale ticker when it is read, at most once per ``REFETCH_SECONDS``;
    the version moves on with that period, so a cached chart never stops those fetches (or
    keeps a failed one's message) for longer than the source itself would.
    """
    version = str(market.updated_at())
    if market.source.mode == LIVE:
        version += f"@{int(now() // REFETCH_SECONDS)}"
    return version


def result_key(area: str, *parts: object) -> str:
    """``area:`` and a short hash of the parts' reprs (query state, theme, source, version)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()
    return f"{area}:{digest}"


class SharedResultCache:
    """A flask-caching backend shared by every worker that points at the same place.

    The cache only ever saves work: a backend that is down or returns garbage makes
    ``get_or_compute`` compute the value (logging the outage once), never fail the page.
    ``None`` is the backend's "absent", so it is never a cached value. ``prefix`` starts
    every key, so that several apps or releases can share one backend.
    """

    def __init__(
        self,
        backend: BaseCache,
        timeout: int,
        prefix: str = "",
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
        self._backend = backend
        self._timeout = timeout
        self._prefix = prefix
        self._redis = SharedOrLocal(
            "result cache", "computing results without it", retry_seconds, clock
        )

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        cached = self._get(key)
        if cached is not None:
            return cached
        value = compute()
        self._put(key, value)
        return value

    def computed(self) -> int:
        """How many results were computed and offered to the backend, by all its users."""
        count = self._call(lambda: self._backend.get(self._prefix + COMPUTED_KEY))
        return int(count or 0)

    def _get(self, key: str) -> Any:
        try:
            return self._call(lambda: self._backend.get(self._prefix + key))
        except Exception as error:  # an entry pickled by other code: recompute, overwrite
            log.warning("result cache: ignoring unreadable entry %s (%s)", key, error)
            return None

    def _put(self, key: str, value: object) -> None:
        try:
            self._call(lambda: self._backend.set(self._prefix + key, value, timeout=self._timeout))
        except Exception as error:  # a value that does not pickle: served, just not kept
            log.warning("result cache: cannot store %s (%s)", key, error)
        self._call(lambda: self._backend.inc(self._prefix + COMPUTED_KEY))

    def _call(self, operation: Callable[[], Any]) -> Any:
        """Run a backend operation unless it is down; an outage turns it off for a while."""
        return self._redis.run(operation, lambda: None)


RESULT_CODE = ("analysis", "charts", "callbacks", "components", "market", "hosting")
"""The packages whose code shapes a cached result (rows, figures, reads)."""


def code_version(root: Path) -> str:
    """The package's version and a digest of the code under ``root`` that makes results.

    The version alone stays put between commits: a deploy of changed code sharing a Redis
    (or a cache directory) would read results of the old shape back. Read once per cache.
    """
    try:
        release = version("r2k-dash")
    except PackageNotFoundError:
        release = "dev"
    digest = hashlib.blake2b(digest_size=6)
    for package in RESULT_CODE:
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return f"{release}+{digest.hexdigest()}"


def result_cache(settings: Settings) -> ResultCache:
    """Redis when ``redis_url`` is set (shared across hosts), else files under the cache dir.

    A ``cache_timeout`` of 0 turns caching off. Keys carry the code version, so new
    code sharing a Redis never reads results pickled by the old one.
    """
    if settings.cache_timeout == 0:
        return NoCache()
    backend: BaseCache
    if settings.redis_url:
        backend = RedisCache(host=connect(settings.redis_url, REDIS_CLIENT_NAME))
    else:
        directory = Path(settings.cache_dir) / "results"
        backend = FileSystemCache(str(directory), threshold=FILE_THRESHOLD)
    prefix = f"r2k:{code_version(Path(__file__).resolve().parent.parent)}:results:"
    return SharedResultCache(backend, settings.cache_timeout, prefix=prefix)
