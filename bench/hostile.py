"""Figure 10: ``r2k serve`` (basic auth, default workers) under 50 slow-header clients and 20
password guessers, each guesser from its own loopback address, all guessing the user's name.

Measured: the logged-in user's latency for ``/_dash-dependencies`` (a small request, so that
the figure shows what the attack costs rather than what the page costs) while it runs. Floor: the
same user and request on the same server before the attack. The goal (p95 under 0.5 s) is
the bar of issue 14; the guessers' answers (401 checked, 429 refused unhashed) are counted.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx
import psutil
from werkzeug.security import generate_password_hash

from bench.report import COUNT, Row
from bench.server import BOOT_SECONDS, ROOT, free_port
from bench.timing import percentile

FIGURE = "10 Hostile clients"
PASSWORD = "correct horse battery"
SLOW_CLIENTS = 50
GUESSERS = 20
GOAL_P95_MS = 500.0


class SlowClients:
    """Connections that each send a request's headers one line every ``interval`` seconds,
    never finishing them; a connection the server closes is opened again (and counted)."""

    def __init__(self, port: int, count: int, interval: float = 2.0) -> None:
        self.port = port
        self.interval = interval
        self.sockets = [self._open() for _ in range(count)]
        self.cut = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for position, sock in enumerate(self.sockets):
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    sock.close()
                    self.cut += 1
                    self.sockets[position] = self._open()

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        for sock in self.sockets:
            sock.close()


@contextmanager
def protected_server(directory: Path) -> Iterator[tuple[str, int]]:
    """``r2k serve`` on the demo market with one basic-auth user (a real scrypt hash); yields
    its URL and its master's process id."""
    directory.mkdir(parents=True, exist_ok=True)
    users = directory / "users"
    users.write_text(f"alice:{generate_password_hash(PASSWORD)}\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2K_")}
    env |= {
        "R2K_SOURCE": "demo",
        "R2K_CACHE_DIR": str(directory / "cache"),
        "R2K_AUTH_USERS": f"@{users}",
        "XDG_CACHE_HOME": str(directory / "xdg"),
    }
    log = directory / "serve.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + BOOT_SECONDS
        while log.read_text(errors="replace").count("built the app") < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"r2k serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _user_latencies(url: str, seconds: float) -> tuple[list[float], int]:
    """The user's latencies (a new connection each time, so both workers serve) and errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            answer = httpx.get(url + "/_dash-dependencies", auth=("alice", PASSWORD), timeout=30)
            ok = answer.is_success
        except httpx.HTTPError:
            ok = False
        latencies.append(time.perf_counter() - started)
        errors += not ok
        time.sleep(0.05)
    return latencies, errors


def _guess(url: str, number: int, stop: threading.Event, answers: Counter[int]) -> None:
    transport = httpx.HTTPTransport(local_address=f"127.0.1.{number + 1}")
    with httpx.Client(transport=transport, timeout=30) as client:
        attempt = 0
        while not stop.is_set():
            attempt += 1
            try:
                status = client.get(url + "/", auth=("alice", f"guess-{attempt}")).status_code
            except httpx.HTTPError:
                status = 0
            answers[status] += 1


def _attack(
    url: str, seconds: float, results: multiprocessing.Queue[tuple[int, Counter[int]]]
) -> None:
    """The slow clients and the guessers, for ``seconds``; puts (cut, answers) on ``results``.

    Runs in a process of its own at the lowest priority: real attackers spend their own
    machines' CPU, not the server's, and their threads would otherwise also slow the
    measuring client (sharing its interpreter lock).
    """
    os.nice(19)
    answers: Counter[int] = Counter()
    stop = threading.Event()
    guessers = [
        threading.Thread(target=_guess, args=(url, n, stop, answers), daemon=True)
        for n in range(GUESSERS)
    ]
    with SlowClients(int(url.rsplit(":", 1)[1]), SLOW_CLIENTS) as slow:
        for guesser in guessers:
            guesser.start()
        time.sleep(seconds)
        stop.set()
        for guesser in guessers:
            guesser.join(timeout=60)
    results.put((slow.cut, answers))


def measure(directory: Path, seconds: float = 30.0) -> list[Row]:
    """The user's latency before and during the attack, on one ``r2k serve``."""
    with protected_server(directory) as (url, pid):
        _user_latencies(url, 3.0)  # both workers verify the user once and remember it
        quiet, _ = _user_latencies(url, seconds / 3)
        workers = psutil.Process(pid).children()
        cpu_before = sum(sum(worker.cpu_times()[:2]) for worker in workers)
        started = time.monotonic()
        results: multiprocessing.Queue[tuple[int, Counter[int]]] = multiprocessing.Queue()
        attack = multiprocessing.Process(target=_attack, args=(url, seconds + 4, results))
        attack.start()
        time.sleep(2)  # the slow clients are connected and the guessing has begun
        attacked, errors = _user_latencies(url, seconds)
        cut, answers = results.get(timeout=120)
        cpu = sum(sum(worker.cpu_times()[:2]) for worker in workers) - cpu_before
        cpu_share = cpu / (time.monotonic() - started) / (os.cpu_count() or 1)
        attack.join(timeout=60)
    note = (
        f"{SLOW_CLIENTS} slow-header clients ({cut} cut and reopened), {GUESSERS} guessers:"
        f" {answers[401]} checked (401), {answers[429]} refused unhashed (429),"
        f" {sum(answers.values()) - answers[401] - answers[429]} other; the workers used"
        f" {cpu_share:.0%} of the machine's CPU meanwhile"
    )
    table = [
        Row(
            FIGURE,
            f"user latency p{int(fraction * 100)}",
            percentile(attacked, fraction) * 1e3,
            "ms",
            percentile(quiet, fraction) * 1e3,
            goal_value=GOAL_P95_MS if fraction == 0.95 else None,
            note=note if fraction == 0.5 else "",
        )
        for fraction in (0.5, 0.95)
    ]
    table.append(Row(FIGURE, "user errors", float(errors), COUNT, goal_value=0.0))
    return table
