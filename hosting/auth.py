"""Who may see the dashboard: basic auth against password hashes, or OpenID Connect.

Users come from ``R2K_AUTH_USERS``: ``user:hash,user2:hash`` or ``@/path/file`` with one
``user:hash`` per line. Hashes are werkzeug's ``generate_password_hash`` format (scrypt or
pbkdf2), made with ``r2k hash-password``; a plain password there is refused, not compared.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import flask
from dash import Dash
from dash_auth import BasicAuth, OIDCAuth
from werkzeug.security import check_password_hash, generate_password_hash

from hosting.login_limit import Throttle, login_throttle
from settings import Settings

AccessMode = Literal["open", "basic", "oidc"]

HASH_METHODS = ("scrypt", "pbkdf2")
OIDC_PROVIDER = "sso"
VERIFIED_LIMIT = 1024
"""Verified user and password pairs each worker remembers at once."""
VERIFIED_SECONDS = 900.0
"""How long a verified pair is remembered before its hash is checked again."""


def hash_password(password: str) -> str:
    """The werkzeug hash (scrypt) of ``password``, for ``R2K_AUTH_USERS``."""
    if not password:
        raise ValueError("expected a non-empty password")
    return generate_password_hash(password)


def _is_password_hash(text: str) -> bool:
    method, _, rest = text.partition(":")
    return method in HASH_METHODS and rest.count("$") == 2 and all(rest.split("$"))


def parse_users(text: str, separator: str = ",") -> dict[str, str]:
    """``user:hash`` entries split by ``separator`` into a user -> hash mapping.

    Blank entries and ``#`` comments are skipped; a user may appear only once.
    """
    users: dict[str, str] = {}
    for number, raw in enumerate(text.split(separator), start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        user, colon, password_hash = entry.partition(":")
        user = user.strip()
        if not colon or not user:
            raise ValueError(f"auth user entry {number}: expected 'user:hash', got no user name")
        if not _is_password_hash(password_hash.strip()):
            raise ValueError(
                f"auth user {user!r}: expected a password hash such as 'scrypt:32768:8:1$salt$hex'"
                " (make one with `r2k hash-password`), not a plain password"
            )
        if user in users:
            raise ValueError(f"auth user {user!r} is listed twice")
        users[user] = password_hash.strip()
    if not users:
        raise ValueError("R2K_AUTH_USERS is set but names no user: expected 'user:hash,...'")
    return users


def load_users(spec: str) -> dict[str, str]:
    """The users of ``R2K_AUTH_USERS``: inline ``user:hash,...`` or ``@/path`` to a file."""
    if not spec.startswith("@"):
        return parse_users(spec)
    path = Path(spec[1:]).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the auth users file {path}: {error.strerror}") from error
    return parse_users(text, separator="\n")


class PasswordCheck:
    """``check(user, password)`` against the stored hashes, remembering recent successes.

    A hash check costs about 0.1 s of CPU by design, and a browser sends the credentials with
    every request (a page load makes dozens), so a verified pair is remembered for
    ``remember_for`` seconds as an HMAC under a per-process key (never the password itself),
    at most ``VERIFIED_LIMIT`` of them (the oldest is forgotten first). Unknown users cost a
    hash check too, so timing does not tell which user names exist.
    """

    def __init__(
        self,
        users: dict[str, str],
        remember_for: float = VERIFIED_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not users:
            raise ValueError("expected at least one user")
        if remember_for <= 0:
            raise ValueError(f"expected a positive number of seconds, got {remember_for!r}")
        self._users = dict(users)
        self._decoy = next(iter(self._users.values()))
        self._key = secrets.token_bytes(32)
        self._remember_for = remember_for
        self._clock = clock
        self._verified: OrderedDict[bytes, float] = OrderedDict()

    def _digest(self, user: str, password: str) -> bytes:
        text = f"{user}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, text, hashlib.sha256).digest()

    def remembers(self, user: str, password: str) -> bool:
        """Whether this pair was verified within ``remember_for`` seconds (no hashing)."""
        digest = self._digest(user, password)
        expires = self._verified.get(digest)
        if expires is None:
            return False
        if self._clock() < expires:
            return True
        del self._verified[digest]
        return False

    def __call__(self, user: str, password: str) -> bool:
        if self.remembers(user, password):
            return True
        stored = self._users.get(user)
        matches = check_password_hash(stored or self._decoy, password)
        if not (matches and stored is not None):
            return False
        self._verified[self._digest(user, password)] = self._clock() + self._remember_for
        while len(self._verified) > VERIFIED_LIMIT:
            self._verified.popitem(last=False)
        return True


def access_mode(settings: Settings) -> AccessMode:
    """How the settings ask users to log in; a half-configured or doubled setup is refused."""
    oidc = {
        "R2K_OIDC_METADATA_URL": settings.oidc_metadata_url,
        "R2K_OIDC_CLIENT_ID": settings.oidc_client_id,
        "R2K_OIDC_CLIENT_SECRET": settings.oidc_client_secret,
    }
    given = [name for name, value in oidc.items() if value]
    if given and len(given) < len(oidc):
        missing = ", ".join(name for name in oidc if name not in given)
        raise ValueError(f"single sign-on needs all of the R2K_OIDC_* settings; missing {missing}")
    if given and settings.auth_users:
        raise ValueError("set either R2K_AUTH_USERS or the R2K_OIDC_* settings, not both")
    if given:
        return "oidc"
    return "basic" if settings.auth_users else "open"


class _HashedBasicAuth(BasicAuth):
    """dash-auth's BasicAuth with every route private, a tolerant header parser and a limit
    on failed logins.

    dash-auth 2.3 reads the JSON body of ``/_dash-update-component`` (for its public-callback
    list) before checking credentials, so a malformed anonymous POST there fails with 400,
    415 or 500 instead of 401; and a malformed ``Authorization`` header raises. Here nothing
    is public and werkzeug parses the header. Credentials verified recently pass without a
    hash check; others are checked only while neither the client's address nor the user name
    is blocked for failing (see ``hosting.login_limit``); a blocked one gets 429.
    """

    def __init__(
        self, app: Dash, check: PasswordCheck, throttle: Throttle, secret_key: str
    ) -> None:
        self._check = check
        self._throttle = throttle
        super().__init__(app, auth_func=check, secret_key=secret_key)

    def _protect(self) -> None:
        @self.app.server.before_request
        def _require_login() -> flask.Response | None:
            return self._login()

    def _login(self) -> flask.Response | None:
        credentials = flask.request.authorization
        if credentials is None or credentials.type != "basic":
            return self.login_request()
        user, password = credentials.username or "", credentials.password or ""
        if not self._check.remembers(user, password):
            keys = (f"address {flask.request.remote_addr}", f"user {user}")
            wait = self._throttle.wait(*keys)
            if wait > 0:
                return _too_many_failures(wait)
            if not self._check(user, password):
                self._throttle.failed(*keys)
                return self.login_request()
            self._throttle.succeeded(*keys)
        if flask.session.get("user", {}).get("email") != user:
            flask.session["user"] = {"email": user, "groups": []}
        return None

    def is_authorized(self) -> bool:
        return self._login() is None

    def login_request(self) -> flask.Response:
        return flask.Response(
            "Login required",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Basic realm="r2k-dash", charset="UTF-8"'},
        )


def _too_many_failures(wait: float) -> flask.Response:
    seconds = max(1, math.ceil(wait))
    return flask.Response(
        f"Too many failed logins from this address or for this user; try again in {seconds} s.",
        status=429,
        mimetype="text/plain",
        headers={"Retry-After": str(seconds)},
    )


class _SingleSignOn(OIDCAuth):
    """dash-auth's OIDCAuth with every route private (see ``_HashedBasicAuth``)."""

    def _protect(self) -> None:
        @self.app.server.before_request
        def _require_login() -> Any:
            return None if self.is_authorized() else self.login_request()


def require_login(app: Dash, settings: Settings, secret_key: str) -> AccessMode:
    """Put every route of ``app`` behind the login the settings ask for; returns which."""
    mode = access_mode(settings)
    if mode == "basic" and settings.auth_users:
        _HashedBasicAuth(
            app,
            PasswordCheck(load_users(settings.auth_users)),
            login_throttle(settings),
            secret_key,
        )
    elif mode == "oidc":
        sso = _SingleSignOn(app, secret_key=secret_key, secure_session=True)
        sso.register_provider(
            OIDC_PROVIDER,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_metadata_url,
        )
    return mode
