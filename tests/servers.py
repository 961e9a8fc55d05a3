"""Real servers for tests on loopback ports, as child processes stopped and reaped: Redis, gunicorn.

A missing ``redis-server`` skips the test (``make test`` installs it as root), except under
``CI=true``, where it is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    """Block until something accepts connections on ``port`` (or fail the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def require_tool(name: str) -> str:
    """The path of ``name``; skip the test without it (fail under CI=true)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway Redis on a loopback port, logging into ``directory``; yields its URL.

    Redis runs as this process's child, not daemonized, so that stopping it ends with our
    ``wait``: a daemon's exit is seen only once the system's init reaps it (here up to 2 s
    after Redis has finished)."""
    binary = require_tool("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--logfile",
            str(directory / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process, timeout=10)


@contextmanager
def gunicorn_server(
    env: Mapping[str, str],
    workers: int = 2,
    app: str = "app:server",
    timeout: float = 60.0,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """``gunicorn -w N [args]`` serving ``app`` on a loopback port; yields its base URL."""
    port = free_port()
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
            *args,
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM (gunicorn's and Celery's graceful stop), reaped by ``wait``; SIGKILL if it
    hangs past ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def demo_site_on_redis(directory: Path, *args: str, **env: str) -> Iterator[tuple[str, str]]:
    """A throwaway Redis and two gunicorn workers sharing it, serving the demo market with
    its cache under ``directory`` (``args``: gunicorn's, ``env``: more R2K_ settings);
    yields the site's base URL and the Redis URL."""
    with redis_server(directory) as redis_url:
        settings = {"R2K_SOURCE": "demo", "R2K_CACHE_DIR": str(directory / "cache")}
        env = {**settings, "R2K_REDIS_URL": redis_url, **env}
        with gunicorn_server(env, workers=2, args=args) as base:
            yield base, redis_url


def unreachable_redis_url() -> str:
    """The URL of a Redis that is down: a loopback port nothing listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"
