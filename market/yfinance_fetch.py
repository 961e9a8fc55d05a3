"""One batch of daily histories through yfinance, each ticker's outcome kept apart.

``yf.download`` catches every per-ticker exception and only logs it, in the same words for a
dead network as for an unknown ticker. Here each ticker is asked with ``Ticker.history``
under yfinance's ``debug.hide_exceptions = False`` (the switch its history code honours), and
what it raises is sorted by type: Yahoo said it has no data (*missing*), Yahoo rate limited
(retried by the caller), or no usable answer (*failed*, with the reason). Checked against
yfinance 1.7 (see pyproject.toml's pin and the README when Yahoo changes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import yfinance
import yfinance.data
from curl_cffi.requests import Response, Session
from curl_cffi.requests.exceptions import HTTPError, RequestException, Timeout
from yfinance.exceptions import (
    YFDataException,
    YFPricesMissingError,
    YFRateLimitError,
    YFTzMissingError,
)

from market.bars import to_bars

COOKIE_URL = "https://fc.yahoo.com"
"""Where yfinance gets its cookie (then its crumb, from query1), with a fixed 30 s timeout."""

WORKERS = 8
"""Tickers of a batch asked at once (yf.download's default on a 4-core machine)."""

_CURL_REASONS = {
    6: "DNS lookup failed (no network?)",
    7: "connection refused",
    28: "timed out",
    35: "TLS handshake failed",
    56: "connection reset",
}
"""curl error codes seen from a network that does not answer, in plain words."""


@dataclass(frozen=True)
class BatchAnswer:
    """What Yahoo answered for one batch, per ticker.

    ``bars`` holds Bars of the tickers that came back with data; ``missing`` those Yahoo said
    it has no data for; ``failed`` those without a usable answer, with why; ``rate_limited``
    those refused with HTTP 429; ``unreachable`` the failed ones whose connection failed.
    """

    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    rate_limited: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()

    @property
    def no_connection(self) -> bool:
        """True when no ticker got an answer because no connection could be made."""
        return (
            not self.bars
            and not self.missing
            and not self.rate_limited
            and bool(self.failed)
            and set(self.unreachable) == set(self.failed)
        )


class CountingSession(Session[Response]):
    """yfinance's own kind of session (curl_cffi, Chrome impersonation), counting requests."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(impersonate="chrome", **kwargs)
        self._count_lock = threading.Lock()
        self.count = 0

    def request(self, *args: Any, **kwargs: Any) -> Response:
        with self._count_lock:
            self.count += 1
        return super().request(*args, **kwargs)


def cookie_needed() -> bool:
    """True while yfinance has no crumb: its next request will first ask the cookie host.

    It asks with a fixed 30 s timeout under a process-wide lock, and again on every request
    while that fails, so a cookie host that never answers must be found out before.
    """
    instance = yfinance.data.SingletonMeta._instances.get(yfinance.data.YfData)
    return getattr(instance, "_crumb", None) is None


def check_cookie_host(session: Session[Response], timeout: float) -> str | None:
    """Why yfinance's cookie host would hold up every request (None when it answers).

    A host that refuses or cannot be resolved (blocked by an ad-blocking DNS) is no
    problem: yfinance gives up on it at once and gets its cookie another way.
    """
    try:
        session.get(COOKIE_URL, timeout=timeout, allow_redirects=True)
    except Timeout:
        return f"Yahoo's cookie host fc.yahoo.com did not answer within {timeout:g} s"
    except RequestException:
        return None
    return None


def fetch_batch(
    tickers: Sequence[str],
    start: date,
    end: date,
    timeout: float,
    session: Session[Response] | None = None,
) -> BatchAnswer:
    """Daily adjusted Bars of ``tickers`` from ``start`` to ``end`` (exclusive), by ticker."""
    yfinance.config.debug.hide_exceptions = False
    symbols = list(dict.fromkeys(tickers))
    if not symbols:
        return BatchAnswer()

    def one(ticker: str) -> pd.DataFrame | BaseException:
        try:
            history = yfinance.Ticker(ticker, session=session).history(
                start=start.isoformat(),
                end=end.isoformat(),
                interval="1d",
                auto_adjust=True,
                actions=False,
                timeout=timeout,
            )
        except Exception as error:
            return error
        bars = to_bars(history.loc[:, ["Open", "High", "Low", "Close", "Volume"]])
        bars.index = pd.DatetimeIndex(bars.index).as_unit("us")  # yfinance's are in ms
        return bars

    # The first ticker alone: yfinance settles its shared cookie and crumb state on its first
    # request (switching strategy when that fails); threads racing through it could see a
    # dead network as a ticker with no data.
    outcomes = {symbols[0]: one(symbols[0])}
    rest = symbols[1:]
    with ThreadPoolExecutor(max(1, min(WORKERS, len(rest))), "yfinance") as pool:
        outcomes.update(zip(rest, pool.map(one, rest), strict=True))
    return sort_outcomes(outcomes)


def sort_outcomes(outcomes: dict[str, pd.DataFrame | BaseException]) -> BatchAnswer:
    """Sort per-ticker results (Bars or what ``Ticker.history`` raised) into a BatchAnswer."""
    bars: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    failed: dict[str, str] = {}
    limited: list[str] = []
    unreachable: list[str] = []
    for ticker, outcome in outcomes.items():
        if isinstance(outcome, pd.DataFrame):
            if outcome.empty:
                missing.append(ticker)
            else:
                bars[ticker] = outcome
            continue
        kind, reason = classify(outcome)
        if kind == "missing":
            missing.append(ticker)
        elif kind == "rate_limited":
            limited.append(ticker)
        else:
            failed[ticker] = reason
            if kind == "unreachable":
                unreachable.append(ticker)
    return BatchAnswer(bars, tuple(missing), failed, tuple(limited), tuple(unreachable))


def classify(error: BaseException) -> tuple[str, str]:
    """``(kind, reason)`` of what yfinance raised: kind is ``missing``, ``rate_limited``,
    ``unreachable`` (no connection) or ``failed`` (an answer that is not data)."""
    if isinstance(error, YFPricesMissingError | YFTzMissingError):
        return "missing", "Yahoo has no data for it"
    if isinstance(error, YFRateLimitError):
        return "rate_limited", "rate limited by Yahoo"
    if isinstance(error, HTTPError):
        status = getattr(error.response, "status_code", None)
        if status == 404:
            return "missing", "Yahoo has no data for it"
        if status == 429:
            return "rate_limited", "rate limited by Yahoo"
        return "failed", f"Yahoo answered HTTP {status}"
    if isinstance(error, RequestException):
        code = int(error.code or 0)
        reason = _CURL_REASONS.get(code, f"connection failed (curl error {code})")
        return "unreachable", f"Yahoo did not answer: {reason}"
    if isinstance(error, YFDataException | json.JSONDecodeError):
        return "failed", "Yahoo answered with an error page, not data (an outage?)"
    if isinstance(error, OSError):
        return "unreachable", f"Yahoo did not answer: {error}"
    return "failed", f"{type(error).__name__}: {error}"
