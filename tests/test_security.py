"""Security headers, the CSP the page works under, the session key and the bind check."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import time

import pytest
from selenium.webdriver.common.by import By

from app import create_app
from hosting.security import (
    SECRET_KEY_FILE,
    ServingRefused,
    check_serving,
    content_security_policy,
    is_loopback,
    protect,
    secret_key,
)
from settings import Settings

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    cache = tmp_path_factory.mktemp("security-cache")
    return create_app(Settings(source="demo", cache_dir=cache))


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def _inline_executable_scripts(html: str) -> list[str]:
    """Inline scripts a browser would run: no src, not JSON, not inside an HTML comment."""
    return [
        match["body"]
        for match in SCRIPT.finditer(COMMENT.sub("", html))
        if "src=" not in match["attrs"] and "application/json" not in match["attrs"]
    ]


def _sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
        ("localhost.example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_public_bind_without_auth_is_refused_with_the_way_out(tmp_path):
    with pytest.raises(ServingRefused) as refused:
        check_serving(Settings(host="0.0.0.0", cache_dir=tmp_path))
    message = str(refused.value)
    assert "0.0.0.0" in message and "without authentication" in message
    for way_out in ("R2K_AUTH_USERS", "r2k hash-password", "R2K_OIDC_METADATA_URL", "R2K_PUBLIC=1"):
        assert way_out in message


def test_loopback_auth_or_explicit_public_may_serve(tmp_path):
    hashed = "pbkdf2:sha256:1000$salt$" + "ab" * 32
    check_serving(Settings(host="127.0.0.1"))
    check_serving(Settings(host="::1"))
    check_serving(Settings(host="0.0.0.0", public=True))
    check_serving(Settings(host="0.0.0.0", auth_users=f"alice:{hashed}"))
    check_serving(
        Settings(
            host="0.0.0.0",
            oidc_metadata_url="https://idp.example/.well-known/openid-configuration",
            oidc_client_id="r2k",
            oidc_client_secret="s3cret",
        )
    )


def test_debug_mode_is_never_served_beyond_loopback():
    hashed = "pbkdf2:sha256:1000$salt$" + "ab" * 32
    with pytest.raises(ServingRefused, match="debug"):
        check_serving(Settings(host="0.0.0.0", debug=True, auth_users=f"alice:{hashed}"))
    check_serving(Settings(host="127.0.0.1", debug=True))


@pytest.mark.parametrize(
    "settings",
    [
        {"auth_users": "alice:plain-password"},
        {"auth_users": "@/nonexistent/r2k-users"},
        {"oidc_metadata_url": "https://idp.example/.well-known/openid-configuration"},
    ],
    ids=["plain-password", "missing-file", "half-oidc"],
)
def test_broken_auth_settings_are_refused_even_on_loopback(settings):
    with pytest.raises(ServingRefused):
        check_serving(Settings(host="127.0.0.1", **settings))


def test_create_app_does_not_check_the_bind(tmp_path):
    app = create_app(Settings(source="demo", host="0.0.0.0", cache_dir=tmp_path))
    assert app.server.test_client().get("/").status_code == 200


def test_policy_allows_only_own_and_hashed_scripts():
    directives = _directives(content_security_policy(["'sha256-abc='"]))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "'sha256-abc='"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert not any("unsafe" in v for v in directives["script-src"])
    with pytest.raises(ValueError, match="sha256"):
        content_security_policy(["'unsafe-inline'"])


def test_every_response_carries_the_headers(demo_app):
    client = demo_app.server.test_client()
    responses = [
        client.get("/"),
        client.get("/_dash-layout"),
        client.get("/_dash-dependencies"),
        client.get("/assets/r2k.css"),
        client.get("/_favicon.ico"),
        client.get("/no/such/page.txt"),
        client.post("/_dash-update-component", json={"output": "nothing.children"}),
    ]
    for response in responses:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers[name] == value
        directives = _directives(response.headers["Content-Security-Policy"])
        assert directives["frame-ancestors"] == ["'none'"]


def test_the_policy_hashes_every_inline_script_the_page_runs(demo_app):
    response = demo_app.server.test_client().get("/")
    html = response.get_data(as_text=True)
    scripts = _inline_executable_scripts(html)
    assert any("new DashRenderer" in script for script in scripts)
    assert any("dash_clientside" in script for script in scripts)
    allowed = _directives(response.headers["Content-Security-Policy"])["script-src"]
    assert sorted(allowed[1:]) == sorted({_sha256_source(s) for s in scripts})
    assert '<script id="_dash-config" type="application/json">' in html


LEAKS = ("Traceback", 'File "', ".py", "CallbackException", "output_spec", "ZeroDivision")


def test_a_callback_that_does_not_match_answers_400_without_a_traceback(demo_app):
    response = demo_app.server.test_client().post(
        "/_dash-update-component",
        json={"output": "price-chart.figure", "outputs": [], "inputs": [], "changedPropIds": []},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert body.startswith("Malformed callback request")
    for leak in LEAKS:
        assert leak not in body


def test_a_failing_route_answers_500_without_a_traceback(tmp_path):
    app = create_app(Settings(source="demo", cache_dir=tmp_path / "cache"))
    app.server.add_url_rule("/fails", "fails", lambda: str(1 / 0))

    response = app.server.test_client().get("/fails")

    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Internal Server Error" in body
    for leak in LEAKS:
        assert leak not in body


def test_secret_key_is_made_once_private_and_shared(tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    first = secret_key(settings)
    path = tmp_path / "cache" / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert secret_key(Settings(cache_dir=tmp_path / "cache")) == first
    assert secret_key(Settings(cache_dir=tmp_path / "other")) != first
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [SECRET_KEY_FILE]


def test_configured_secret_key_wins_and_reaches_flask(tmp_path):
    settings = Settings(source="demo", cache_dir=tmp_path, secret_key="k" * 40)
    assert secret_key(settings) == "k" * 40
    app = create_app(settings)
    assert app.server.secret_key == "k" * 40
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_a_truncated_key_file_is_refused(tmp_path):
    (tmp_path / SECRET_KEY_FILE).write_text("short")
    with pytest.raises(ValueError, match="delete it"):
        secret_key(Settings(cache_dir=tmp_path))


def test_protect_keeps_headers_the_app_set_itself(tmp_path):
    from dash import Dash, html

    app = Dash(__name__)
    app.layout = html.Div("x")
    protect(app, Settings(cache_dir=tmp_path))

    @app.server.route("/framed")
    def _framed():
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN"}

    response = app.server.test_client().get("/framed")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _wait(condition, timeout=30.0, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the DOM is re-rendered under us: try again
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


@pytest.mark.browser
def test_page_renders_under_the_policy_with_no_console_errors(dash_duo, tmp_path):
    app = create_app(Settings(source="demo", cache_dir=tmp_path))
    dash_duo.start_server(app)
    driver = dash_duo.driver

    def count(selector: str) -> int:
        return len(driver.find_elements(By.CSS_SELECTOR, selector))

    _wait(lambda: count("#price-chart .boxlayer .trace") > 0, message="the candlesticks")
    _wait(lambda: count("#movers-slot .ag-center-cols-container .ag-row") >= 10, message="movers")
    _wait(lambda: count("#laggards-slot .ag-center-cols-container .ag-row") >= 10, message="lags")
    _wait(lambda: count("#sector-chart .bars .point path") == 11, message="the sector bars")
    assert count("#price-chart .scatterlayer .trace") > 0
    logs = dash_duo.get_logs()
    assert logs == [], logs

    # The policy is enforced, not just sent: an injected inline script does not run.
    driver.execute_script(
        "const s = document.createElement('script');"
        "s.textContent = 'window.__injected = true;';"
        "document.body.appendChild(s);"
    )
    time.sleep(0.3)
    assert driver.execute_script("return window.__injected === true;") is False
    assert any("Content Security Policy" in entry["message"] for entry in dash_duo.get_logs())
