"""``r2k serve`` against slow and hostile clients, for real: gunicorn on a loopback port.

Fifty connections that send a header line every two seconds (slowloris) do not keep an
authorised user from being answered; headers that take too long are cut; oversized request
lines, headers and bodies get 414, 431 and 413; a stalled body is dropped; password guessing
from another address meets 429 while the user is served; crafted callback bodies get 4xx.
Timing is measured in ``make bench`` (``bench/hostile.py``), not asserted here.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from werkzeug.security import generate_password_hash

from bench.hostile import SlowClients
from tests.dash_payloads import EXPORT_CALLBACK, REFRESH_CALLBACK
from tests.servers import free_port
from tests.test_serve import _environment, _log, _serving, _wait_for_log

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
HEADER_TIMEOUT = 3
MAX_BODY = 65_536
SLOW_CLIENTS = 50


@pytest.fixture(scope="module")
def server_directory(tmp_path_factory) -> Path:
    """Where the server keeps its cache, users file and log (``cache.log``)."""
    return tmp_path_factory.mktemp("serve-limits")


@pytest.fixture(scope="module")
def server(server_directory: Path) -> Iterator[str]:
    directory = server_directory
    users = directory / "users"
    users.write_text(f"alice:{generate_password_hash(PASSWORD)}\n")
    env = _environment(
        directory / "cache",
        R2K_AUTH_USERS=f"@{users}",
        R2K_WORKERS="2",
        R2K_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        R2K_BODY_TIMEOUT="3",
        R2K_MAX_BODY_BYTES=str(MAX_BODY),
        R2K_LOGIN_FREE_FAILURES="3",
    )
    with _serving(env, port=free_port()) as url:
        _wait_for_log(_log(env), "built the app", count=2)
        yield url


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except (TimeoutError, ConnectionResetError):
        return False
    return True


def test_fifty_slow_header_clients_do_not_keep_an_authorised_user_waiting(server):
    answered = []
    with SlowClients(_port(server), SLOW_CLIENTS), httpx.Client(timeout=20) as http:
        for _ in range(10):
            answered.append(http.get(server + "/", auth=("alice", PASSWORD)).status_code)
            update = http.post(
                server + "/_dash-update-component", json=EXPORT_CALLBACK, auth=("alice", PASSWORD)
            )
            answered.append(update.status_code)
            time.sleep(0.5)
    assert answered == [200] * 20


def test_headers_that_never_finish_are_cut_after_the_header_timeout(server):
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=5)
    with sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
        assert _closed_by_server(sock, within=HEADER_TIMEOUT + 20)


def test_a_body_that_stops_arriving_is_dropped(server):
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=5)
    with sock:
        sock.sendall(
            b"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Basic " + _token() + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"output":'
        )
        sock.settimeout(30)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 408")), answer[:200]


def _token() -> bytes:
    import base64

    return base64.b64encode(f"alice:{PASSWORD}".encode())


def test_a_long_request_line_gets_414(server):
    response = httpx.get(server + "/?" + "a=1&" * 3000, auth=("alice", PASSWORD), timeout=20)
    assert response.status_code == 414


@pytest.mark.parametrize(
    "headers",
    [{f"X-Many-{n}": "1" for n in range(60)}, {"X-Long": "a" * 10_000}],
    ids=["too-many", "too-long"],
)
def test_too_many_or_too_long_headers_get_431(server, headers):
    response = httpx.get(server + "/", headers=headers, auth=("alice", PASSWORD), timeout=20)
    assert response.status_code == 431


@pytest.mark.parametrize("user", ["alice", None], ids=["authorised", "anonymous"])
def test_a_body_over_the_limit_gets_413_in_plain_text(server, user):
    auth = ("alice", PASSWORD) if user else None
    response = httpx.post(
        server + "/_dash-update-component",
        content=b"{" + b" " * (MAX_BODY + 10) + b"}",
        headers={"Content-Type": "application/json"},
        auth=auth,
        timeout=20,
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/plain")
    assert f"at most {MAX_BODY} bytes" in response.text


def test_a_chunked_body_over_the_limit_gets_413(server):
    def chunks() -> Iterator[bytes]:
        yield b'{"output": "'
        for _ in range(MAX_BODY // 1000 + 10):
            yield b"x" * 1000
        yield b'"}'

    response = httpx.post(
        server + "/_dash-update-component",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        auth=("alice", PASSWORD),
        timeout=20,
    )
    assert response.status_code == 413
    assert "Request body too large" in response.text


def test_password_guessing_meets_429_while_the_user_is_served(server):
    guesser = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=20)
    with guesser, httpx.Client(timeout=20) as user:
        statuses = []
        for number in range(12):
            response = guesser.get(server + "/_dash-layout", auth=(f"guess{number}", "nope"))
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
            assert user.get(server + "/_dash-layout", auth=("alice", PASSWORD)).status_code == 200
    # Each worker counts the failures it saw: at most 3 each before it answers 429.
    assert statuses.count(401) <= 6
    assert statuses[-1] == 429


CRAFTED = [
    {"output": "x" * 20_000, "outputs": {"id": "x", "property": "y"}, "inputs": []},
    [],
    {"output": EXPORT_CALLBACK["output"], "outputs": [[None]], "inputs": []},
    {**EXPORT_CALLBACK, "outputs": [{"id": {"type": "movers-table", "side": "up"}}]},
    {
        **EXPORT_CALLBACK,
        "inputs": [{"id": "movers-export", "property": "n_clicks", "value": 10**400}],
    },
]


def test_crafted_bodies_get_4xx_and_unknown_assets_404(server):
    with httpx.Client(timeout=20, auth=("alice", PASSWORD)) as http:
        for body in CRAFTED:
            response = http.post(server + "/_dash-update-component", json=body)
            assert 200 <= response.status_code < 500, (response.status_code, str(body)[:200])
        for path in ("/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/x.js"):
            assert http.get(server + path).status_code == 404


def test_a_flood_of_refresh_posts_forks_only_up_to_the_cap_and_drops_no_connection(
    server, server_directory
):
    """Job processes forked from a gevent worker must not accept the worker's connections."""

    def post(_: int) -> int:
        with httpx.Client(timeout=30, auth=("alice", PASSWORD)) as http:
            return http.post(server + "/_dash-update-component", json=REFRESH_CALLBACK).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(post, range(60)))

    log = (server_directory / "cache.log").read_text(errors="replace")
    assert set(statuses) <= {200, 429}, (statuses, log[-6000:])
    assert statuses.count(429) > 0
    assert statuses.count(200) < 60
