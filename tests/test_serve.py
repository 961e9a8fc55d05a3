"""``r2k serve`` for real: gunicorn on a loopback port with basic auth, the refusal to bind
publicly without auth, and an explicit public start (bound on 0.0.0.0, reached on 127.0.0.1).
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from werkzeug.security import generate_password_hash

from hosting.serve import WORKER_TIMEOUT, gunicorn_options, production_settings
from hosting.worker import TimedGeventWorker
from settings import Settings
from tests.dash_payloads import EXPORT_CALLBACK, TOP_TABLE_KEY
from tests.servers import ROOT, free_port, stop_process, wait_for_port

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
# Dash raises while dispatching this callback (no inputs for a callback that has some);
# the server answers 400 (the client's error) as plain text, in debug mode too.
FAILING_CALLBACK = {"output": EXPORT_CALLBACK["output"], "inputs": [], "changedPropIds": []}
TRACEBACK_MARKS = ("Traceback", 'File "', ".py", "CallbackException", "output_spec")


def _environment(cache: Path, **values: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("R2K_")}
    return {**base, "R2K_SOURCE": "demo", "R2K_CACHE_DIR": str(cache), **values}


def _log(env: Mapping[str, str]) -> Path:
    return Path(env["R2K_CACHE_DIR"]).with_suffix(".log")


@contextmanager
def _serving(env: Mapping[str, str], *args: str, port: int) -> Iterator[str]:
    with _log(env).open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def _wait_for_log(path: Path, text: str, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.read_text().count(text) >= count:
            return
        time.sleep(0.1)
    pytest.fail(f"{path} did not say {text!r} {count} times within {timeout} s")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def protected_server(tmp_path_factory) -> Iterator[str]:
    """``r2k serve`` with two workers and a users file; R2K_DEBUG=1 must not matter.

    Both workers build their app (and warm up) at start, before any request is made.
    """
    directory = tmp_path_factory.mktemp("serve")
    users = directory / "users"
    users.write_text(f"alice:{generate_password_hash(PASSWORD)}\n")
    env = _environment(
        directory / "cache", R2K_AUTH_USERS=f"@{users}", R2K_WORKERS="2", R2K_DEBUG="1"
    )
    with _serving(env, port=free_port()) as url:
        _wait_for_log(_log(env), "built the app", count=2)
        yield url


@pytest.fixture(scope="module")
def http(protected_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=protected_server, timeout=60) as client:
        yield client


def _routes(http: httpx.Client) -> list[str]:
    html = http.get("/", auth=("alice", PASSWORD)).text
    start = html.index("/_dash-component-suites/")
    suite = html[start : html.index('"', start)]
    return ["/", "/_dash-layout", "/_dash-dependencies", "/assets/r2k.css", "/_favicon.ico", suite]


def test_options_bind_settings_host_port_and_workers():
    options = gunicorn_options(Settings(host="0.0.0.0", port=9000, workers=3))
    assert options["bind"] == ["0.0.0.0:9000"]
    assert options["workers"] == 3
    assert options["control_socket_disable"] is True
    assert options["preload_app"] is False
    assert options["timeout"] == WORKER_TIMEOUT
    assert issubclass(options["worker_class"], TimedGeventWorker)
    assert options["worker_class"].body_timeout == Settings().body_timeout
    assert options["keepalive"] == Settings().header_timeout
    assert options["limit_request_line"] > 0 and options["limit_request_fields"] > 0
    assert gunicorn_options(Settings(host="::1", port=9000))["bind"] == ["[::1]:9000"]


def test_serve_patches_gevent_before_anything_imports_requests(tmp_path):
    """Patched after urllib3 imported ssl, requests' TLS would not cooperate with the
    workers' event loop; gevent says so at start with a MonkeyPatchWarning."""
    env = _environment(tmp_path / "cache")
    with _serving(env, port=free_port()):
        _wait_for_log(_log(env), "built the app", count=1)
    log = _log(env).read_text()
    assert "Booting worker" in log and "MonkeyPatchWarning" not in log


def test_production_settings_force_debug_off():
    assert production_settings(Settings(debug=True)).debug is False


def test_anonymous_requests_to_every_route_are_refused(http):
    for path in _routes(http):
        response = http.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert http.post("/_dash-update-component", json=EXPORT_CALLBACK).status_code == 401


def test_the_authorised_user_gets_every_route(http):
    for path in _routes(http):
        assert http.get(path, auth=("alice", PASSWORD)).status_code == 200, path
    update = http.post("/_dash-update-component", json=EXPORT_CALLBACK, auth=("alice", PASSWORD))
    assert update.status_code == 200
    assert update.json()["response"][TOP_TABLE_KEY]["exportDataAsCsv"] is True


def test_wrong_password_and_unknown_user_are_refused(http):
    assert http.get("/", headers=_basic("alice", "wrong")).status_code == 401
    assert http.get("/", headers=_basic("mallory", PASSWORD)).status_code == 401


def test_headers_on_refused_and_served_responses(http):
    for response in (http.get("/"), http.get("/", auth=("alice", PASSWORD))):
        for name, value in HEADERS.items():
            assert response.headers[name] == value
        assert "script-src 'self' 'sha256-" in response.headers["Content-Security-Policy"]


def test_a_callback_exception_shows_no_traceback_even_with_r2k_debug(http):
    response = http.post("/_dash-update-component", json=FAILING_CALLBACK, auth=("alice", PASSWORD))
    assert response.status_code == 400
    assert response.text.startswith("Malformed callback request")
    for mark in TRACEBACK_MARKS:
        assert mark not in response.text


@pytest.mark.parametrize(
    "command", [["-m", "cli", "serve", "--host", "0.0.0.0"], ["app.py"]], ids=["r2k", "app.py"]
)
def test_public_bind_without_auth_exits_before_binding(tmp_path, command):
    port = free_port()
    env = _environment(tmp_path / "cache", R2K_HOST="0.0.0.0", R2K_PORT=str(port))
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "without authentication" in result.stderr
    assert "R2K_PUBLIC=1" in result.stderr and "R2K_AUTH_USERS" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Listening at" not in result.stderr and "Running on" not in result.stdout
    assert not _listening(port)


def test_explicitly_public_server_starts_on_all_interfaces_with_debug_forced_off(tmp_path):
    port = free_port()
    env = _environment(tmp_path / "cache", R2K_PUBLIC="1", R2K_WORKERS="1", R2K_DEBUG="1")
    with _serving(env, "--host", "0.0.0.0", port=port) as url:
        response = httpx.get(url + "/_dash-layout", timeout=60)
        assert response.status_code == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        failing = httpx.post(url + "/_dash-update-component", json=FAILING_CALLBACK, timeout=60)
        assert failing.status_code == 400
        assert not any(mark in failing.text for mark in TRACEBACK_MARKS)
    assert "0.0.0.0:" in _log(env).read_text()
