"""``r2k serve``: the dashboard under gunicorn, one app built per worker at its start.

Each worker builds its own app before taking requests (``load`` runs in the worker, the app
is not preloaded in the master), so the data source is resolved and pandas-ta's numba code
is warmed up at start, never in a user's request, and no worker inherits another's state.
Debug is off whatever ``R2K_DEBUG`` says: no debugger, no tracebacks in responses. The
workers are gevent's (``hosting.worker``), so slow clients cost greenlets, not workers, and
gunicorn's limits on request lines and headers answer 414 and 431.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from dash import Dash
from gunicorn.app.base import BaseApplication

from hosting.preload import on_starting
from hosting.security import check_serving
from hosting.worker import timed_worker
from settings import Settings

WORKER_TIMEOUT = 120
"""Seconds a worker may be silent (including building its app) before gunicorn restarts it."""
WORKER_CONNECTIONS = 1000
"""Connections one worker holds at once (open, slow or idle); each costs a greenlet."""
LIMIT_REQUEST_LINE = 4094
"""Longest request line (method, path and query), else 414."""
LIMIT_REQUEST_FIELDS = 50
"""Most header fields in a request, else 431."""
LIMIT_REQUEST_FIELD_SIZE = 8190
"""Longest header field, else 431."""


def production_settings(settings: Settings) -> Settings:
    """``settings`` with debug forced off."""
    return settings.model_copy(update={"debug": False})


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """gunicorn's settings for serving: bind address, gevent workers, timeouts and limits.

    Headers must arrive within ``header_timeout`` seconds in all (gunicorn's gevent worker
    bounds them by ``keepalive``), and a body may not stall for ``body_timeout`` seconds.
    """
    host = settings.host.strip("[]")
    bind = f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"
    return {
        "bind": [bind],
        "workers": settings.workers,
        "worker_class": timed_worker(settings.body_timeout),
        "worker_connections": WORKER_CONNECTIONS,
        "keepalive": settings.header_timeout,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "timeout": WORKER_TIMEOUT,
        "control_socket_disable": True,
        "preload_app": False,
        "proc_name": "r2k-dash",
        "accesslog": "-",
        "on_starting": on_starting,  # libraries imported once, shared by the workers
    }


class DashServer(BaseApplication):
    """gunicorn running the Flask server of the app that ``build`` makes, in each worker."""

    def __init__(self, options: Mapping[str, Any], build: Callable[[], Dash]) -> None:
        self._options = dict(options)
        self._build = build
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """Runs in each worker before it takes a request: build the app, debug off."""
        started = time.monotonic()
        server = self._build().server
        server.debug = False
        server.config["PROPAGATE_EXCEPTIONS"] = False
        logging.getLogger("gunicorn.error").info(
            "r2k-dash: worker %d built the app in %.1f s", os.getpid(), time.monotonic() - started
        )
        return server


def serve(settings: Settings, create_app: Callable[[Settings], Dash]) -> None:
    """Check the settings, then serve ``create_app(settings)`` under gunicorn until stopped.

    Raises ``ServingRefused`` before opening any port when the settings are unsafe.
    """
    settings = production_settings(settings)
    check_serving(settings)
    DashServer(gunicorn_options(settings), lambda: create_app(settings)).run()
