"""Login: users and hashes from R2K_AUTH_USERS, basic auth on every route, OIDC wiring,
and ``r2k hash-password``. No network: the OIDC provider's metadata is given, not fetched.
"""

from __future__ import annotations

import base64
import io
import time
from urllib.parse import parse_qs, urlparse

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

import cli
import hosting.auth
from app import create_app
from hosting.auth import (
    OIDC_PROVIDER,
    PasswordCheck,
    access_mode,
    hash_password,
    load_users,
    parse_users,
)
from settings import Settings
from tests.dash_payloads import EXPORT_CALLBACK, TOP_TABLE_KEY

# Cheap hashes keep the tests fast; the format is what users paste from `r2k hash-password`.
ALICE = generate_password_hash("wonderland", method="pbkdf2:sha256:1000")
BOB = generate_password_hash("builder", method="pbkdf2:sha256:1000")
OIDC = {
    "oidc_metadata_url": "https://idp.example/.well-known/openid-configuration",
    "oidc_client_id": "r2k-dash",
    "oidc_client_secret": "s3cret",
}
GET_ROUTES = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/r2k.css", "/_favicon.ico"]


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def protected_client(tmp_path_factory):
    cache = tmp_path_factory.mktemp("auth-cache")
    settings = Settings(source="demo", cache_dir=cache, auth_users=f"alice:{ALICE},bob:{BOB}")
    return create_app(settings).server.test_client()


def _component_suite_path(client) -> str:
    html = client.get("/", headers=_basic("alice", "wonderland")).get_data(as_text=True)
    start = html.index("/_dash-component-suites/")
    return html[start : html.index('"', start)]


def test_parse_inline_users():
    assert parse_users(f" alice:{ALICE} , bob:{BOB},") == {"alice": ALICE, "bob": BOB}


def test_users_file_one_per_line_with_comments(tmp_path):
    path = tmp_path / "users"
    path.write_text(f"# team\nalice:{ALICE}\n\nbob:{BOB}\n")
    assert load_users(f"@{path}") == {"alice": ALICE, "bob": BOB}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("alice:wonderland", "not a plain password"),
        (f"alice:{ALICE},alice:{BOB}", "listed twice"),
        (f":{ALICE}", "no user name"),
        ("alice", "no user name"),
        (" , ", "names no user"),
        ("alice:md5:abc$def$0123", "not a plain password"),
        ("alice:scrypt:32768:8:1$$", "not a plain password"),
        ("@/nonexistent/r2k-users", "cannot read"),
    ],
)
def test_bad_user_specs_are_refused_with_the_expected_shape(spec, message):
    with pytest.raises(ValueError, match=message):
        load_users(spec)


def test_password_check_accepts_only_the_right_pair():
    check = PasswordCheck({"alice": ALICE, "bob": BOB})
    assert check("alice", "wonderland")
    assert check("bob", "builder")
    assert not check("alice", "builder")
    assert not check("bob", "wonderland")
    assert not check("carol", "wonderland")
    assert not check("alice", "")


def test_password_check_hashes_once_per_verified_pair_and_always_for_failures(monkeypatch):
    calls = []

    def counting(stored: str, password: str) -> bool:
        calls.append(password)
        return check_password_hash(stored, password)

    monkeypatch.setattr(hosting.auth, "check_password_hash", counting)
    check = PasswordCheck({"alice": ALICE})
    assert all(check("alice", "wonderland") for _ in range(5))
    assert len(calls) == 1
    assert not any(check("alice", "guess") for _ in range(3))
    assert not check("mallory", "wonderland")  # unknown users still cost a hash check
    assert len(calls) == 5


def test_hash_password_makes_a_werkzeug_hash_that_parse_users_accepts():
    hashed = hash_password("correct horse")
    assert hashed.startswith("scrypt:")
    assert check_password_hash(hashed, "correct horse")
    assert parse_users(f"alice:{hashed}") == {"alice": hashed}
    with pytest.raises(ValueError, match="non-empty"):
        hash_password("")


def test_access_mode():
    assert access_mode(Settings()) == "open"
    assert access_mode(Settings(auth_users=f"alice:{ALICE}")) == "basic"
    assert access_mode(Settings(**OIDC)) == "oidc"
    with pytest.raises(ValueError, match="R2K_OIDC_CLIENT_SECRET"):
        access_mode(Settings(**{**OIDC, "oidc_client_secret": None}))
    with pytest.raises(ValueError, match="not both"):
        access_mode(Settings(auth_users=f"alice:{ALICE}", **OIDC))


def test_every_route_refuses_anonymous_requests(protected_client):
    suite = _component_suite_path(protected_client)
    responses = [protected_client.get(path) for path in [*GET_ROUTES, suite]]
    responses.append(protected_client.post("/_dash-update-component", json=EXPORT_CALLBACK))
    for response in responses:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert b"Dash" not in response.data


def test_every_route_serves_an_authorised_user(protected_client):
    headers = _basic("alice", "wonderland")
    suite = _component_suite_path(protected_client)
    for path in [*GET_ROUTES, suite]:
        assert protected_client.get(path, headers=headers).status_code == 200, path
    update = protected_client.post("/_dash-update-component", json=EXPORT_CALLBACK, headers=headers)
    assert update.status_code == 200
    assert update.json["response"][TOP_TABLE_KEY]["exportDataAsCsv"] is True


@pytest.mark.parametrize(
    "headers",
    [
        _basic("alice", "builder"),
        _basic("carol", "wonderland"),
        _basic("alice", ""),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
        {"Authorization": "Bearer abc.def.ghi"},
        {"Authorization": ""},
    ],
    ids=[
        "wrong-password",
        "unknown-user",
        "empty",
        "garbage",
        "no-colon",
        "bad-utf8",
        "bearer",
        "",
    ],
)
def test_wrong_or_malformed_credentials_get_401(protected_client, headers):
    assert protected_client.get("/_dash-layout", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "text/plain"),
        ("{", "application/json"),
        ("[]", "application/json"),
        ("{}", "application/json"),
        ('{"output": 1, "inputs": 2}', "application/json"),
    ],
)
def test_malformed_anonymous_callback_posts_get_401_not_an_error(
    protected_client, data, content_type
):
    response = protected_client.post(
        "/_dash-update-component", data=data, content_type=content_type
    )
    assert response.status_code == 401


@pytest.fixture
def sso_app(tmp_path):
    app = create_app(Settings(source="demo", cache_dir=tmp_path, **OIDC))
    oauth = app.server.extensions["authlib.integrations.flask_client"]
    client = oauth.create_client(OIDC_PROVIDER)
    # Given instead of fetched: authlib skips the download once "_loaded_at" is set.
    client.server_metadata.update(
        {"authorization_endpoint": "https://idp.example/authorize", "_loaded_at": time.time()}
    )
    return app


def test_oidc_is_wired_to_the_configured_provider(sso_app):
    oauth = sso_app.server.extensions["authlib.integrations.flask_client"]
    client = oauth.create_client(OIDC_PROVIDER)
    assert client.client_id == "r2k-dash"
    assert client.client_secret == "s3cret"
    assert client._server_metadata_url == OIDC["oidc_metadata_url"]
    rules = {rule.rule for rule in sso_app.server.url_map.iter_rules()}
    assert {"/oidc/<idp>/login", "/oidc/<idp>/callback", "/oidc/logout"} <= rules


def test_oidc_sends_anonymous_users_to_the_provider(sso_app):
    http = sso_app.server.test_client()
    for path in ["/", "/_dash-layout", "/assets/r2k.css"]:
        response = http.get(path)
        assert response.status_code == 302
        target = urlparse(response.headers["Location"])
        assert target.netloc == "idp.example"
        query = parse_qs(target.query)
        assert query["client_id"] == ["r2k-dash"]
        assert query["redirect_uri"] == [f"http://localhost/oidc/{OIDC_PROVIDER}/callback"]


def test_oidc_session_user_sees_the_page(sso_app):
    http = sso_app.server.test_client()
    with http.session_transaction() as session:
        session["user"] = {"email": "alice@example.org"}
    assert http.get("/_dash-layout").status_code == 200
    assert http.get("/oidc/logout").status_code == 200
    assert http.get("/_dash-layout").status_code == 302


def _run_cli(monkeypatch, capsys, stdin: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = cli.main(["hash-password", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_hash_password_command_reads_stdin(monkeypatch, capsys):
    status, out, _ = _run_cli(monkeypatch, capsys, "pa:ss wörd\nignored\n")
    assert status == 0
    hashed = out.strip()
    assert check_password_hash(hashed, "pa:ss wörd")
    assert parse_users(f"alice:{hashed}")


def test_hash_password_command_prints_a_users_file_line(monkeypatch, capsys, tmp_path):
    status, out, _ = _run_cli(monkeypatch, capsys, "wonderland\n", "--user", "alice")
    assert status == 0
    (tmp_path / "users").write_text(out)
    users = load_users(f"@{tmp_path / 'users'}")
    assert PasswordCheck(users)("alice", "wonderland")


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [("\n", (), "non-empty"), ("pw\n", ("--user", "a:b"), "user name")],
)
def test_hash_password_command_refuses_bad_input(monkeypatch, capsys, stdin, args, message):
    status, out, err = _run_cli(monkeypatch, capsys, stdin, *args)
    assert status != 0
    assert out == ""
    assert message in err
