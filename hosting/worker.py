"""The gunicorn worker of ``r2k serve``: gevent, so a slow client costs a greenlet, not a worker.

A sync worker gives each connection the whole worker while it reads the headers, so two
clients that send a header line every few seconds stop the site before any login is checked.
Under gevent a connection waits cooperatively; gunicorn's gevent worker bounds the reading of
the headers by ``keepalive`` seconds in all (``r2k serve`` sets it to ``R2K_HEADER_TIMEOUT``).
This worker also bounds each read of a body (and each write of a response) by
``body_timeout`` seconds, so a client that stalls mid-body is dropped too.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.ggevent import GeventWorker


class TimedGeventWorker(GeventWorker):
    """gunicorn's gevent worker with a socket timeout on every client connection."""

    body_timeout: float = 30.0

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        client.settimeout(self.body_timeout)
        super(GeventWorker, self).handle(listener, client, addr)


def timed_worker(body_timeout: float) -> type[TimedGeventWorker]:
    """A ``TimedGeventWorker`` class whose connections time out after ``body_timeout`` s."""
    if body_timeout <= 0:
        raise ValueError(f"expected a positive body timeout in seconds, got {body_timeout!r}")
    return type("TimedGeventWorker", (TimedGeventWorker,), {"body_timeout": body_timeout})
