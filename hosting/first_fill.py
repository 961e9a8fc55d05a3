"""The first run fills itself: a live source with nothing stored fetches its universe at start.

Without it, a new server's movers would stay empty until someone ran ``r2k refresh``. The
app factory of every worker (of every host sharing the store) calls ``start_first_fill``;
a lock file in the store's directory, held for the whole fill, lets one of them run it and
the others see it running. The fill is an ordinary refresh (the store's lock, the universe's
shorter ``R2K_UNIVERSE_YEARS`` of history), run in a thread of the worker (a native one
under gevent) so that the worker keeps answering. Its progress goes to a JSON file beside
the data, which any worker reads to show the movers area's progress, on a reload too.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import filelock

from market.network import threads_are_greenlets
from market.refresh import RefreshProgress, refresh
from market.sources import LIVE, ResolvedSource
from market.store import Store
from settings import Settings

FILL_LOCK = ".first-fill.lock"
"""In the store's directory: held by the process running the first fill, for all of it."""
FILL_PROGRESS = ".first-fill.json"
"""In the store's directory: how far the first fill is (see ``FillProgress``)."""
START_WAIT_SECONDS = 1.0
"""How long a worker waits for the fill lock before taking another worker's fill as running."""

RUNNING = "running"
DONE = "done"
FAILED = "failed"
INTERRUPTED = "interrupted"
"""Read back only: the file says running but no process holds the fill lock any more."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FillProgress:
    """The first fill's state, tickers done of total, and its times (epoch seconds)."""

    state: str
    done: int = 0
    total: int = 0
    started: float = 0.0
    updated: float = 0.0
    message: str = ""

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def seconds_left(self) -> float | None:
        """Time left at the pace so far; None before the first ticker is done."""
        if not self.running or self.done <= 0 or self.total <= 0:
            return None
        elapsed = max(self.updated - self.started, 0.0)
        return elapsed / self.done * max(self.total - self.done, 0)


def needs_fill(source: ResolvedSource) -> bool:
    """True for a live source whose store has no universe or no closes file yet."""
    if source.mode != LIVE:
        return False
    store = source.store
    return store.read_universe() is None or not store.closes_path.exists()


def read_fill_progress(store: Store) -> FillProgress | None:
    """The first fill's progress as any worker sees it; None when no fill was ever started.

    A file left saying ``running`` by a process that died reads as ``INTERRUPTED``.
    """
    try:
        fields = json.loads((store.root / FILL_PROGRESS).read_text(encoding="utf-8"))
        progress = FillProgress(**fields)
    except (OSError, ValueError, TypeError):
        return None
    if progress.running and not lock_held(filelock.FileLock(store.root / FILL_LOCK)):
        return FillProgress(**{**asdict(progress), "state": INTERRUPTED})
    return progress


def start_first_fill(
    source: ResolvedSource, settings: Settings, clock: Callable[[], float] = time.time
) -> threading.Thread | None:
    """Start the first fill in a thread when ``source`` needs one; the thread, else None.

    The thread runs ``run_first_fill``; a worker that finds another one filling returns
    from it at once.
    """
    if not needs_fill(source):
        return None
    thread = threading.Thread(
        target=_fill_off_the_hub,
        args=(source, settings, clock),
        name="r2k-first-fill",
        daemon=True,
    )
    thread.start()
    return thread


def _fill_off_the_hub(
    source: ResolvedSource, settings: Settings, clock: Callable[[], float]
) -> None:
    """``run_first_fill``, in one of gevent's native threads under ``r2k serve``.

    There a thread is a greenlet: the fill's pandas work between downloads would hold the
    worker's event loop, and every other client of the worker would wait for it. The
    greenlet waits for the native thread without holding the loop.
    """
    if not threads_are_greenlets():
        run_first_fill(source, settings, clock)
        return
    import gevent

    gevent.get_hub().threadpool.apply(run_first_fill, (source, settings, clock))


def run_first_fill(
    source: ResolvedSource, settings: Settings, clock: Callable[[], float] = time.time
) -> FillProgress | None:
    """Fetch the universe into the store unless another process is at it or it is there.

    Returns the final progress written, or None when this process did not fill. Failures
    are written to the progress file (and logged), never raised: the server stays up.
    """
    store = source.store
    store.root.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(store.root / FILL_LOCK, timeout=START_WAIT_SECONDS)
    try:
        lock.acquire()
    except filelock.Timeout:
        return None
    try:
        if not needs_fill(source):
            return None
        started = clock()
        _write(store, FillProgress(RUNNING, started=started, updated=started))
        steps = [RefreshProgress(0, 0, 0)]

        def report(step: RefreshProgress) -> None:
            steps.append(step)
            _write(store, FillProgress(RUNNING, step.done, step.total, started, clock()))

        final = _fill(source, settings, report)
        last = steps[-1]
        final = FillProgress(final.state, last.done, last.total, started, clock(), final.message)
        _write(store, final)
        log.info("r2k-dash: first fetch of the universe %s: %s", final.state, final.message)
        return final
    finally:
        lock.release()


def _fill(
    source: ResolvedSource, settings: Settings, report: Callable[[RefreshProgress], None]
) -> FillProgress:
    """Refresh the whole universe; DONE with the summary, or FAILED with why."""
    try:
        summary = refresh(
            source.provider,
            source.store,
            progress=report,
            history_years=settings.history_years,
            universe_years=settings.universe_years,
            chunk_size=settings.batch_size,
        )
    except Exception as error:  # the server stays up and the page says why
        log.exception("r2k-dash: the first fetch of the universe failed")
        return FillProgress(FAILED, message=f"{type(error).__name__}: {error}")
    if summary.useful and not needs_fill(source):
        return FillProgress(DONE, message=summary.describe())
    if not summary.useful:
        return FillProgress(FAILED, message=summary.reason())
    return FillProgress(FAILED, message="; ".join(summary.warnings) or "no universe was stored")


def lock_held(lock: filelock.BaseFileLock) -> bool:
    """Whether another process (or thread) holds ``lock`` right now; never waits."""
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    lock.release()
    return False


def _write(store: Store, progress: FillProgress) -> None:
    """Replace the progress file in one step, so a reader never sees half of it."""
    path = store.root / FILL_PROGRESS
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(json.dumps(asdict(progress)), encoding="utf-8")
    partial.replace(path)
