"""Make a dead or hanging network fail in seconds: a connectivity probe and a deadline.

yfinance's ``timeout`` does not cover its cookie, crumb and timezone requests, so a network
that accepts connections and never answers can hang a download for minutes. Everything
that talks to Yahoo goes through these two guards.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Callable

from market.provider import SourceUnavailableError

YAHOO_HOST = "query2.finance.yahoo.com"
"""The host yfinance asks for bars (its chart API); the crumb comes from query1."""
YAHOO_PORT = 443


def run_with_deadline[T](fn: Callable[[], T], seconds: float, what: str = "the request") -> T:
    """Return ``fn()``, or raise ``SourceUnavailableError`` if it takes over ``seconds``.

    ``fn`` runs in a daemon thread, so a call that never returns is abandoned (it cannot be
    killed) without keeping the process alive at exit. Exceptions of ``fn`` are re-raised.
    """
    if seconds <= 0:
        raise ValueError(f"a deadline must be a positive number of seconds, not {seconds!r}")
    outcome: dict[str, T] = {}
    error: list[BaseException] = []

    def call() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            error.append(exc)

    if threads_are_greenlets():
        finished = _run_in_os_thread(call, seconds)
    else:
        worker = threading.Thread(target=call, name=f"deadline: {what}", daemon=True)
        worker.start()
        worker.join(seconds)
        finished = not worker.is_alive()
    if not finished:
        raise SourceUnavailableError(f"{what} did not finish within {seconds:g} s")
    if error:
        raise error[0]
    return outcome["value"]


def threads_are_greenlets() -> bool:
    """True in a gevent worker of ``r2k serve``, where ``threading`` is monkey-patched."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def _run_in_os_thread(call: Callable[[], None], seconds: float) -> bool:
    """Run ``call`` in one of gevent's real OS threads; True when it ended within ``seconds``.

    A greenlet could not be abandoned: curl blocks the whole worker while it waits, so the
    deadline would never fire and every other client of the worker would wait too.
    """
    import gevent

    task = gevent.get_hub().threadpool.spawn(call)
    try:
        task.get(timeout=seconds)
    except gevent.Timeout:
        return False
    return True


def probe(host: str = YAHOO_HOST, port: int = YAHOO_PORT, timeout: float = 3.0) -> bool:
    """True if ``host:port`` accepts a connection and answers a TLS hello within ``timeout``.

    A network that accepts connections and then never answers (a captive portal, a dead
    proxy) fails here in seconds instead of hanging yfinance for minutes. Any answer counts,
    even one that is not TLS: the point is that something is alive there. The name lookup
    is covered by the deadline too: a resolver that never answers would otherwise wait far
    longer than the socket timeout.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def connect() -> None:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            contextlib.suppress(ssl.SSLError),  # it answered, if not with TLS
        ):
            context.wrap_socket(sock, server_hostname=host).close()

    try:
        run_with_deadline(connect, timeout, f"connecting to {host}:{port}")
    except (OSError, SourceUnavailableError):
        return False
    return True
