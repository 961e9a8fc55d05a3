"""Access control, security headers and the session key for the Flask server behind Dash.

``protect`` is called by ``create_app``; ``check_serving`` by every path that opens a port
(``r2k serve`` and ``python app.py``), so the app factory itself stays usable in tests.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dash import Dash
from flask import Response

from hosting.auth import access_mode, load_users, require_login
from settings import Settings

SECRET_KEY_FILE = "secret_key"

# Plotly and AG Grid set inline styles; AG Grid's icon font is a data: URI. Dash's config
# block is JSON (never executed), and its renderer bootstrap and clientside callbacks are
# allowed by hash, computed from the running app.
_POLICY = {
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ServingRefused(RuntimeError):
    """The settings would expose the dashboard unsafely (or are broken): do not open a port."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_serving(settings: Settings) -> None:
    """Raise ``ServingRefused`` unless the settings are safe to serve with.

    A non-loopback address without authentication would show the dashboard (and its refresh
    button) to anyone who can reach it, so it needs an explicit ``R2K_PUBLIC=1``; debug mode
    (an interactive debugger) is never served beyond loopback. Broken auth settings (an
    unreadable users file, a plain password) are refused here too, before any worker starts.
    """
    try:
        mode = access_mode(settings)
        if mode == "basic" and settings.auth_users:
            load_users(settings.auth_users)
    except ValueError as error:
        raise ServingRefused(str(error)) from error
    if settings.debug and not is_loopback(settings.host):
        raise ServingRefused(
            f"refusing to serve on {settings.host}:{settings.port} in debug mode: the debugger"
            " runs code sent from the browser. Unset R2K_DEBUG, or use `r2k serve`, which never"
            " runs in debug mode."
        )
    if mode != "open" or settings.public or is_loopback(settings.host):
        return
    raise ServingRefused(
        f"refusing to serve on {settings.host}:{settings.port} without authentication: anyone"
        " who can reach that address would see the dashboard and could start refreshes."
        " Set R2K_AUTH_USERS (user:hash pairs; `r2k hash-password` makes a hash) or the"
        " R2K_OIDC_METADATA_URL, R2K_OIDC_CLIENT_ID and R2K_OIDC_CLIENT_SECRET settings;"
        " or bind to 127.0.0.1 behind a reverse proxy that authenticates;"
        " or set R2K_PUBLIC=1 to serve it openly on purpose."
    )


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The CSP header value: only same-origin scripts plus the inline ones with these hashes."""
    if any(not (h.startswith("'sha") and h.endswith("'")) for h in script_hashes):
        raise ValueError("expected CSP hash sources such as \"'sha256-...'\"")
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        **_POLICY,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def secret_key(settings: Settings) -> str:
    """``settings.secret_key``, else a random key made once in the cache dir (mode 0600).

    Workers on one host share the file, so a session signed by one is valid in the others;
    hosts behind one load balancer need ``R2K_SECRET_KEY``. The key is written to a private
    temporary file and linked into place, so concurrent first starts agree on one key.
    """
    if settings.secret_key:
        return settings.secret_key
    path = settings.cache_dir / SECRET_KEY_FILE
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path}: expected a random key of at least 32 characters; delete it")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def protect(app: Dash, settings: Settings) -> None:
    """Session key, login (when configured) and security headers on every response.

    The CSP is computed on the first response, after every clientside callback is
    registered (``create_app`` registers them after calling this).
    """
    key = secret_key(settings)
    app.server.secret_key = key
    app.server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    require_login(app, settings, key)
    policy = functools.cache(lambda: content_security_policy(app.csp_hashes()))

    @app.server.after_request
    def _add_security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy()
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response
