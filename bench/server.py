"""gunicorn serving the app on the demo market, on a loopback port, stopped by its pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bench.timing import ROOT

BOOT_SECONDS = 90.0


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and its master process id."""

    url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (gunicorn's children)."""
        return [child.pid for child in psutil.Process(self.pid).children()]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/_dash-layout", timeout=5.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not serve {url} within {BOOT_SECONDS:.0f} s")


def _stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)


@contextmanager
def demo_server(workers: int, directory: Path) -> Iterator[Server]:
    """``gunicorn -w workers app:server`` with R2K_SOURCE=demo and its cache in ``directory``.

    Yields once a worker answers, and (with several workers, which boot side by side) after
    half as long again, so the others are up too.
    """
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "gunicorn.log"
    env = {
        **os.environ,
        "R2K_SOURCE": "demo",
        "R2K_CACHE_DIR": str(directory / "cache"),
        "XDG_CACHE_HOME": str(directory / "xdg"),
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "--timeout",
                "120",
                "--config",
                "python:hosting.preload",
                "app:server",
            ],
            cwd=ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_serving(url, process, log)
            if workers > 1:
                time.sleep(min(10.0, time.monotonic() - started) * 0.5)
            yield Server(url, process.pid)
        finally:
            _stop(process)
