"""The one settings object of r2k-dash, read from ``R2K_*`` environment variables.

Command-line flags of ``r2k`` override these by constructing ``Settings(**overrides)``.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IWM_HOLDINGS_URL = (
    "https://www.ishares.com/us/products/239710/ishares-russell-2000-etf/"
    "1467271812596.ajax?fileType=csv&fileName=IWM_holdings&dataType=fund"
)

SOURCE_KINDS = ("auto", "yahoo", "demo")


def default_cache_dir() -> Path:
    """The user's cache directory for r2k-dash (e.g. ``~/.cache/r2k-dash`` on Linux)."""
    return Path(platformdirs.user_cache_dir("r2k-dash"))


class Settings(BaseSettings):
    """Everything r2k-dash can be configured with; each field is ``R2K_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="R2K_", extra="ignore")

    source: str = Field(
        default="auto",
        description="Where data comes from: auto, yahoo, demo or csv:DIR.",
    )
    cache_dir: Path = Field(default_factory=default_cache_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8050, ge=1, le=65535)
    debug: bool = False
    ticker: str | None = Field(
        default=None,
        description="The ticker the page opens on; by default the source's index (IWM, DEMO-R2K).",
    )
    holdings_url: str = IWM_HOLDINGS_URL
    batch_size: int = Field(default=100, ge=1, le=500)
    requests_per_second: float = Field(
        default=1.0, gt=0, description="At most this many batch requests to Yahoo per second."
    )
    request_timeout: float = Field(default=10.0, gt=0, description="Seconds per HTTP request.")
    fetch_deadline: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a whole batch download may take (below gunicorn's worker timeout).",
    )
    max_retries: int = Field(default=4, ge=0, le=10)
    probe_timeout: float = Field(
        default=3.0, gt=0, description="Seconds to wait for the connectivity probe."
    )
    probe_address: str = Field(
        default="query2.finance.yahoo.com:443",
        pattern=r"^[A-Za-z0-9.\-]+:\d{1,5}$",
        description="HOST:PORT whose TCP answer tells that Yahoo is reachable (yfinance's "
        "bars host).",
    )
    history_years: int = Field(
        default=12, ge=1, le=40, description="Years of daily history of the index and charts."
    )
    universe_years: int = Field(
        default=2,
        ge=1,
        le=40,
        description="Years of daily history a new constituent is fetched with (for movers).",
    )
    fill_on_start: bool = Field(
        default=True,
        description="With a live source and no stored universe, fetch it when the server starts.",
    )

    # Hosting
    workers: int = Field(default=2, ge=1, le=64, description="gunicorn worker processes.")
    public: bool = Field(
        default=False,
        description="Allow binding to a non-loopback address without authentication.",
    )
    auth_users: str | None = Field(
        default=None,
        description="Basic-auth users: 'user:hash,user2:hash' or '@/path/to/file' (one per line).",
    )
    oidc_metadata_url: str | None = Field(
        default=None, description="OpenID Connect discovery URL; turns on single sign-on."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    secret_key: str | None = Field(
        default=None,
        description="Flask session key; by default one is made once and kept in the cache dir.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://... : shared cache and Celery background work across hosts.",
    )
    refresh_min_interval: float = Field(
        default=300.0, ge=0, description="Seconds before the page may start another refresh."
    )
    refresh_at: time = Field(
        default=time(22, 30),
        description="UTC time (HH:MM) of the scheduled refresh, Monday to Friday (Celery beat).",
    )
    cache_timeout: int = Field(
        default=3600, ge=0, description="Seconds a computed result stays in the shared cache."
    )
    header_timeout: int = Field(
        default=10,
        ge=1,
        le=300,
        description="Seconds a client has to send a request's headers (and an idle kept-alive"
        " connection stays open).",
    )
    body_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds a client may stall sending a body."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (else 413)."
    )
    max_background_jobs: int = Field(
        default=4, ge=1, le=64, description="Background jobs (refreshes) running per worker."
    )
    max_background_jobs_per_user: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Background jobs one user may have running (a finished job's process may"
        " take a moment to exit).",
    )
    login_free_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed logins per client address or user before each try must wait.",
    )
    login_max_delay: float = Field(
        default=300.0, gt=0, description="Longest wait (seconds) imposed after failed logins."
    )

    @field_validator("source")
    @classmethod
    def _check_source(cls, value: str) -> str:
        value = value.strip()
        if value in SOURCE_KINDS or (value.startswith("csv:") and len(value) > 4):
            return value
        raise ValueError(f"R2K_SOURCE must be one of auto, yahoo, demo or csv:DIR, not {value!r}")
