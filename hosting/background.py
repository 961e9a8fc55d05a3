"""Background work of the page: the manager that runs it, and the rules of a page refresh.

Dash's background callbacks run on ``DiskcacheManager`` (a process per job, results on disk
under ``cache_dir/background``) unless ``R2K_REDIS_URL`` is set: then on Celery workers with
Redis as broker and result backend, so that several hosts share the work. Either way a
user and the site may run only so many jobs at once: counted by each worker process on
diskcache, by all of them together in Redis with Celery (``hosting.job_slots``).

A refresh started from the page keeps two rules that every worker process must agree on,
so both live in the store's directory rather than in memory: one refresh at a time (the
store's lock, which ``r2k refresh`` and the scheduled refresh also take) and no new start
within ``refresh_min_interval`` seconds of the last (the modification time of a stamp file).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import diskcache
import filelock
import flask
from dash import CeleryManager, DiskcacheManager
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from hosting.first_fill import lock_held
from hosting.job_slots import JobSlots
from market.refresh import RefreshProgress, RefreshSummary, refresh
from market.sources import DIRECT, ResolvedSource
from market.store import Store
from settings import Settings

REFRESH_STAMP = ".page-refresh-started"
"""In the store's directory: its modification time is when the page last started a refresh."""
GATE_LOCK = ".page-refresh.lock"
"""Held for a moment while a click checks the rules and writes the stamp."""
LOCK_WAIT_SECONDS = 1.0
"""How long a click waits for the store's lock before saying another refresh is running."""
BUSY_MESSAGE = "Another refresh is running; try again when it has finished."
TOO_MANY_JOBS = "Too many background jobs are running; try again when one has finished."
NOT_SENT = "Background work is unavailable right now; try again later."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRefresh:
    """What a click on the refresh button came to, in words for the page."""

    message: str
    started: bool = False
    summary: RefreshSummary | None = None


class CappedDiskcacheManager(DiskcacheManager):
    """Dash's diskcache manager, starting at most ``max_jobs`` job processes at once in this
    worker and ``max_per_user`` for one user (the login name, else the client's address).

    Dash forks a process for every background request, and a client can post them faster
    than they finish (200 refresh posts forked 200 processes). One more than allowed is
    answered 429; the processes this worker started are reaped as they end.
    """

    def __init__(self, cache: diskcache.Cache, max_jobs: int, max_per_user: int) -> None:
        if max_jobs < 1 or max_per_user < 1:
            raise ValueError(
                f"expected at least one job in all and per user, got {max_jobs!r}, {max_per_user!r}"
            )
        super().__init__(cache)
        self._max_jobs = max_jobs
        self._max_per_user = max_per_user
        self._running: dict[int, tuple[Any, str]] = {}

    def running_jobs(self, user: str | None = None) -> int:
        """Job processes of this worker still running, in all or for ``user``."""
        for pid, (process, _) in list(self._running.items()):
            if not process.is_alive():
                process.join()
                del self._running[pid]
        return sum(1 for _, owner in self._running.values() if user is None or owner == user)

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> int:
        """Start the job in a process of its own, unless a cap is reached (429)."""
        from multiprocess import Process  # as Dash's own manager does

        user = _requester()
        if self.running_jobs() >= self._max_jobs or self.running_jobs(user) >= self._max_per_user:
            raise TooManyRequests(TOO_MANY_JOBS)
        process = Process(
            target=_run_job, args=(job_fn, key, self._make_progress_key(key), args, context)
        )
        process.start()
        self._running[process.pid] = (process, user)
        return int(process.pid)


class CappedCeleryManager(CeleryManager):
    """Dash's Celery manager, sending a job only when ``slots`` has room for it (else 429).

    The slots are counted in Redis, so the caps hold across web workers and hosts; the
    Celery worker frees a job's slot when it ends (see ``hosting.celery_app.create_worker``).
    A job that cannot be sent (the broker is down) frees its slot and is answered 503.
    """

    def __init__(self, celery_app: Any, slots: JobSlots) -> None:
        super().__init__(celery_app)
        self._slots = slots

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> str:
        """Send the job to Celery under an id of ours, unless a cap is reached (429)."""
        job = uuid.uuid4().hex
        if not self._slots.reserve(job, _requester()):
            raise TooManyRequests(TOO_MANY_JOBS)
        try:
            job_fn.apply_async(
                args=(key, self._make_progress_key(key), args, context), task_id=job, retry=False
            )
        except Exception as error:
            self._slots.release(job)
            log.warning("background job not sent to Celery: %s", error)
            raise ServiceUnavailable(NOT_SENT) from error
        return job


def _run_job(job_fn: Callable[..., None], *args: Any) -> None:
    """In the job's process, forked from a worker: stop accepting connections, then the job.

    Forked from a gevent worker, the process inherits the worker's event loop, which still
    watches the listening socket: whenever the job waited on I/O, the loop would accept a
    client's connection in the job's process and drop it when the job ended.
    """
    baseserver = sys.modules.get("gevent.baseserver")
    if baseserver is not None:
        for thing in gc.get_objects():
            if isinstance(thing, baseserver.BaseServer) and thing.started:
                thing.stop_accepting()
    job_fn(*args)


def _requester() -> str:
    """Who asks, for the per-user cap: the login name, else the client's address."""
    if not flask.has_request_context():
        return ""
    credentials = flask.request.authorization
    if credentials is not None and credentials.username:
        return f"user {credentials.username}"
    return f"address {flask.request.remote_addr}"


def background_manager(settings: Settings) -> DiskcacheManager | CeleryManager:
    """Celery with Redis when ``settings.redis_url`` is set, otherwise diskcache on disk."""
    if settings.redis_url:
        from hosting.celery_app import create_celery, job_slots  # celery only where used

        celery = create_celery(settings)
        return CappedCeleryManager(celery, job_slots(settings, celery))
    cache = diskcache.Cache(str(Path(settings.cache_dir) / "background"))
    return CappedDiskcacheManager(
        cache, settings.max_background_jobs, settings.max_background_jobs_per_user
    )


def next_refresh_allowed(store: Store, min_interval: float) -> datetime | None:
    """When the page may start the next refresh (UTC); None when no start was recorded."""
    try:
        started = (store.root / REFRESH_STAMP).stat().st_mtime
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(started + min_interval, tz=UTC)


def run_page_refresh(
    source: ResolvedSource,
    settings: Settings,
    progress: Callable[[RefreshProgress], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> PageRefresh:
    """Refresh the universe and index of ``source`` if the rules allow it now.

    Refused, with the reason, for sources read directly (demo, CSV), while another refresh
    holds the store's lock, and within ``settings.refresh_min_interval`` of the last start.
    The start is recorded only when the refresh is about to run, so a refused click does
    not push the next allowed time back.
    """
    if source.mode == DIRECT:
        return PageRefresh(f"Nothing to refresh: {source.label} is read directly.")
    store = source.store
    store.root.mkdir(parents=True, exist_ok=True)
    now = clock()
    try:
        with filelock.FileLock(store.root / GATE_LOCK, timeout=LOCK_WAIT_SECONDS):
            allowed = next_refresh_allowed(store, settings.refresh_min_interval)
            if allowed is not None and now < allowed.timestamp():
                return PageRefresh(
                    "A refresh was started less than "
                    f"{_duration(settings.refresh_min_interval)} ago; the next one is allowed "
                    f"at {allowed:%H:%M:%S} UTC."
                )
            if lock_held(store.lock(0)):
                return PageRefresh(BUSY_MESSAGE)
            _stamp(store, now)
    except filelock.Timeout:
        return PageRefresh(BUSY_MESSAGE)
    summary = refresh(
        source.provider,
        store,
        progress=progress,
        history_years=settings.history_years,
        universe_years=settings.universe_years,
        chunk_size=settings.batch_size,
        lock_timeout=LOCK_WAIT_SECONDS,
    )
    return PageRefresh(_describe(summary, store, settings), started=True, summary=summary)


def _stamp(store: Store, now: float) -> None:
    path = store.root / REFRESH_STAMP
    path.touch()
    os.utime(path, (now, now))


def _describe(summary: RefreshSummary, store: Store, settings: Settings) -> str:
    if summary.error and not summary.useful and summary.error.startswith("another refresh"):
        return BUSY_MESSAGE
    if summary.complete:
        result = f"Refreshed: {summary.describe()}."
    elif summary.useful:
        result = f"Refreshed in part: {summary.describe()}; {summary.reason()}."
    else:
        result = f"Refresh failed: {summary.reason()}."
    allowed = next_refresh_allowed(store, settings.refresh_min_interval)
    if allowed is None or settings.refresh_min_interval <= 0:
        return result
    return f"{result} Next refresh allowed at {allowed:%H:%M:%S} UTC."


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
