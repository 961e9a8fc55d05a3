"""The Celery app for hosting on more than one machine: background callbacks and a schedule.

With ``R2K_REDIS_URL`` set (Redis is both broker and result backend)::

    celery -A hosting.celery_app worker      # runs the page's refreshes and the refresh task
    celery -A hosting.celery_app beat        # starts the daily refresh

Both read the same ``R2K_*`` settings as the web processes. The worker builds the Dash app
(Dash turns each background callback into a Celery task of every ``CeleryManager`` in the
process, including ones made later), so it knows the callbacks the web processes send it.
The app is built when Celery asks for ``app``, not on import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import task_postrun, task_revoked
from dash import CeleryManager

from app import create_app
from callbacks.services import Services
from hosting.job_slots import JobSlots
from hosting.redis_fallback import connect
from market.refresh import RefreshProgress, refresh
from market.sources import resolve_source
from settings import Settings

REFRESH_TASK = "r2k.refresh"
"""The name of the task that refreshes a source's store (what the schedule runs)."""
TASK_LOCK_WAIT_SECONDS = 5.0
"""A scheduled refresh gives up this soon when another refresh holds the store."""
PROGRESS_STATE = "PROGRESS"
BACKEND_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5}
"""How the Redis result backend retries a lost connection: about 1.5 s (Celery's: 20 s)."""
RUNNING_STATES = frozenset({"PENDING", "RECEIVED", "STARTED", "RETRY", PROGRESS_STATE})
"""States of a task not yet ended (Dash's CeleryManager counts the same as running)."""


def create_celery(settings: Settings) -> Celery:
    """A Celery app on ``settings.redis_url`` with the refresh task and its daily schedule."""
    if not settings.redis_url:
        raise ValueError("Celery needs R2K_REDIS_URL (redis://host:port/db); it is not set")
    celery = Celery("r2k", broker=settings.redis_url, backend=settings.redis_url)
    celery.conf.update(
        timezone="UTC",
        enable_utc=True,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        # A page's click waits while the result backend retries: a few tries, not 20 s.
        result_backend_transport_options={"retry_policy": BACKEND_RETRY_POLICY},
        beat_schedule={
            "daily-refresh": {
                "task": REFRESH_TASK,
                "schedule": crontab(
                    hour=settings.refresh_at.hour,
                    minute=settings.refresh_at.minute,
                    day_of_week="mon-fri",
                ),
            }
        },
    )

    def refresh_task(
        task: Task, source: str | None = None, tickers: Sequence[str] | None = None
    ) -> dict[str, Any]:
        def report(step: RefreshProgress) -> None:
            meta = {"done": step.done, "total": step.total, "failures": step.failures}
            task.update_state(state=PROGRESS_STATE, meta=meta)

        return run_refresh(settings, report, source=source, tickers=tickers)

    celery.task(name=REFRESH_TASK, bind=True)(refresh_task)
    return celery


def run_refresh(
    settings: Settings,
    report: Callable[[RefreshProgress], None] | None = None,
    *,
    source: str | None = None,
    tickers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Refresh ``source`` (default: the configured one) into its store; a JSON-able summary.

    Unlike the page, this refreshes any source, the demo market included (into its own
    store), and keeps no minimum interval: it is for schedules and operators.
    """
    chosen = settings if source is None else Settings(**{**settings.model_dump(), "source": source})
    resolved = resolve_source(chosen)
    summary = refresh(
        resolved.provider,
        resolved.store,
        list(tickers) if tickers is not None else None,
        progress=report,
        history_years=settings.history_years,
        universe_years=settings.universe_years,
        chunk_size=settings.batch_size,
        lock_timeout=TASK_LOCK_WAIT_SECONDS,
    )
    return {
        "source": resolved.label,
        "fetched": summary.fetched,
        "fresh": summary.fresh,
        "missing": list(summary.missing),
        "failed": dict(summary.failed),
        "error": summary.error,
        "summary": summary.describe(),
    }


def create_worker(settings: Settings | None = None, services: Services | None = None) -> Celery:
    """The Celery app a worker runs: the refresh task and the page's background callbacks.

    ``services`` replaces the ones built from settings, for tests that run a worker on a
    fake source. A page's job frees its slot (``hosting.job_slots``) when it ends here.
    """
    settings = settings or Settings()
    create_app(settings, services)
    celery = create_celery(settings)
    CeleryManager(celery)
    slots = job_slots(settings, celery)

    def free_slot(task_id: str | None = None, request: Any = None, **_: Any) -> None:
        slots.release(task_id or request.id)

    task_postrun.connect(free_slot, weak=False, dispatch_uid="r2k-free-job-slot-run")
    task_revoked.connect(free_slot, weak=False, dispatch_uid="r2k-free-job-slot-revoked")
    return celery


def job_slots(settings: Settings, celery: Celery) -> JobSlots:
    """The caps on background jobs of ``settings``, counted in its Redis for every worker."""
    if not settings.redis_url:
        raise ValueError("job slots are counted in Redis: R2K_REDIS_URL is not set")
    return JobSlots(
        connect(settings.redis_url, "r2k-job-slots"),
        settings.max_background_jobs,
        settings.max_background_jobs_per_user,
        still_running=lambda job: celery.AsyncResult(job).state in RUNNING_STATES,
    )


def __getattr__(name: str) -> Any:
    """``celery -A hosting.celery_app`` looks up ``app``: the worker's app, built then."""
    if name == "app":
        return create_worker()
    raise AttributeError(name)
