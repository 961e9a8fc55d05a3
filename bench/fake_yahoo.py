"""A fake Yahoo Finance under yfinance, at the curl_cffi session it sends every request with.

yfinance's cookie, crumb, timezone and chart code all run for real; only the HTTP exchange is
answered here, shaped as Yahoo answers it: v8 chart JSON (meta with the exchange timezone,
timestamps at the session open, quote and adjclose arrays, dividend and split events), a 404
"No data found", 429 Too Many Requests, curl errors for DNS (6), a refused connection (7)
and a timeout (28), 502/503 HTML pages, a host that never answers and a live intraday last
row. It counts requests and bytes. Shared by the tests and ``make bench`` (bench must not
import tests/).
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
from curl_cffi.const import CurlECode
from curl_cffi.requests import Response, Session
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import DNSError, Timeout

NEW_YORK = ZoneInfo("America/New_York")
CHART_HOST = "query2.finance.yahoo.com"
COOKIE_HOST = "fc.yahoo.com"
CRUMB = "fAkEcRuMb1x"

DNS = "dns"
REFUSED = "refused"
TIMEOUT = "timeout"
HANG = "hang"
MISSING = "missing"
RATE_LIMIT = "429"
BAD_GATEWAY = "502"
UNAVAILABLE = "503"
FAULTS = (DNS, REFUSED, TIMEOUT, HANG, MISSING, RATE_LIMIT, BAD_GATEWAY, UNAVAILABLE)
"""What a host or a ticker can be made to answer instead of data."""

_NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Yahoo</title></head><body>"
    "<h1>{code} {reason}</h1><p>Will be right back...</p></body></html>"
)


def daily_history(
    first: str | date, sessions: int, base: float = 100.0, step: float = 1.0
) -> pd.DataFrame:
    """Business-day OHLCV rows (tz-naive session dates), closes ``base``, ``base+step``, ..."""
    dates = pd.bdate_range(first, periods=sessions, name="date")
    close = pd.Series([base + step * i for i in range(sessions)], index=dates)
    return pd.DataFrame(
        {
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": [1_000.0 + i for i in range(sessions)],
        },
        index=dates,
    )


@dataclass
class Listing:
    """One ticker at the fake: its daily rows, events and an optional live (intraday) row."""

    history: pd.DataFrame
    dividends: dict[date, float] = field(default_factory=dict)
    splits: dict[date, tuple[int, int]] = field(default_factory=dict)
    live: tuple[datetime, float] | None = None
    """(trade time, price) of a session still open: the series ends with it, stamped then."""


@dataclass
class FakeYahoo:
    """Answers yfinance's requests from ``listings``; ``faults`` make tickers or hosts fail.

    ``faults`` maps a ticker or a host name to one of ``FAULTS``; ``fault_times`` limits how
    many requests a fault answers before the normal answer comes back. ``latency`` is slept
    per request (the bench's network; tests leave it 0).
    """

    listings: dict[str, Listing] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)
    fault_times: dict[str, int] = field(default_factory=dict)
    latency: float = 0.0
    requests: int = 0
    bytes: int = 0
    log: list[tuple[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    """Set to let hanging requests go (they then time out, as curl would)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ticker: str, history: pd.DataFrame, **extra: Any) -> Listing:
        listing = Listing(history, **extra)
        self.listings[ticker.upper()] = listing
        return listing

    def requests_to(self, host: str) -> int:
        """How many requests went to ``host``."""
        with self._lock:
            return sum(1 for h, _ in self.log if h == host)

    def answer(self, method: str, url: str, params: dict[str, Any], timeout: float) -> Response:
        """What Yahoo would answer (or the curl error a client would raise)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        query = {**dict(parse_qsl(parts.query)), **{k: str(v) for k, v in params.items()}}
        ticker = parts.path.rsplit("/", 1)[-1].upper() if "/chart/" in parts.path else ""
        with self._lock:
            self.requests += 1
            self.log.append((host, parts.path))
            fault = self._fault(host) or (self._fault(ticker) if ticker else None)
        if self.latency:
            time.sleep(self.latency)
        if fault is not None:
            response = self._failure(fault, url, host, timeout)
        elif host == COOKIE_HOST:
            response = _response(url, 404, "<html><body>404 Not Found</body></html>", "text/html")
        elif parts.path.endswith("/getcrumb"):
            response = _response(url, 200, CRUMB, "text/plain")
        elif host.endswith("consent.yahoo.com"):
            response = _response(url, 200, "<html><body>consent</body></html>", "text/html")
        elif ticker:
            response = self._chart(url, ticker, query)
        else:
            response = _response(url, 404, json.dumps({"finance": {"error": "Not Found"}}))
        with self._lock:
            self.bytes += len(response.content)
        return response

    def _fault(self, key: str) -> str | None:
        fault = self.faults.get(key)
        if fault is None:
            return None
        left = self.fault_times.get(key)
        if left is not None:
            if left <= 0:
                return None
            self.fault_times[key] = left - 1
        return fault

    def _failure(self, fault: str, url: str, host: str, timeout: float) -> Response:
        if fault == DNS:
            raise DNSError(
                _curl_message(6, f"Could not resolve host: {host}"), CurlECode.COULDNT_RESOLVE_HOST
            )
        if fault == REFUSED:
            message = f"Failed to connect to {host} port 443 after 3 ms: Couldn't connect to server"
            raise CurlConnectionError(_curl_message(7, message), CurlECode.COULDNT_CONNECT)
        if fault in (TIMEOUT, HANG):
            if fault == HANG:
                self.release.wait(timeout)
            message = f"Operation timed out after {int(timeout * 1000)} milliseconds"
            raise Timeout(_curl_message(28, message), CurlECode.OPERATION_TIMEDOUT)
        if fault == MISSING:
            return _response(url, 404, json.dumps(_NOT_FOUND))
        if fault == RATE_LIMIT:
            return _response(url, 429, "Too Many Requests\r\n", "text/plain")
        code = int(fault)
        reason = "Bad Gateway" if code == 502 else "Service Unavailable"
        return _response(url, code, _ERROR_PAGE.format(code=code, reason=reason), "text/html")

    def _chart(self, url: str, ticker: str, query: dict[str, str]) -> Response:
        listing = self.listings.get(ticker)
        if listing is None:
            return _response(url, 404, json.dumps(_NOT_FOUND))
        rows = _rows(listing)
        if "period1" in query:
            first, last = int(query["period1"]), int(query["period2"])
            rows = [r for r in rows if first <= r[0] < last]
        elif rows:
            rows = rows[-1:]
        return _response(url, 200, json.dumps(_chart_json(ticker, listing, rows, query)))


@contextmanager
def serving(fake: FakeYahoo) -> Iterator[FakeYahoo]:
    """Answer every curl_cffi ``Session`` request of this process from ``fake``.

    yfinance keeps its session, cookie, crumb and response cache process-wide; they are
    started afresh here (and again on exit), and its caches go to a temporary folder.
    """
    import tempfile

    import yfinance.cache
    import yfinance.data

    original = Session.request

    def request(self: Session, method: str, url: str, **kwargs: Any) -> Response:
        timeout = kwargs.get("timeout")
        seconds = float(timeout) if isinstance(timeout, int | float) else 30.0
        response = fake.answer(method, url, dict(kwargs.get("params") or {}), seconds)
        if urlsplit(url).hostname == COOKIE_HOST:
            self.cookies.jar.set_cookie(_a3_cookie())
        return response

    with tempfile.TemporaryDirectory(prefix="fake-yahoo-") as cache_dir:
        _reset_yfinance(yfinance.data)
        yfinance.cache.set_cache_location(cache_dir)
        Session.request = request  # type: ignore[method-assign,assignment]
        try:
            yield fake
        finally:
            Session.request = original  # type: ignore[method-assign]
            fake.release.set()
            _reset_yfinance(yfinance.data)


def _reset_yfinance(data_module: Any) -> None:
    data_module.SingletonMeta._instances.pop(data_module.YfData, None)
    data_module.YfData.cache_get.cache_clear()
    import yfinance.base
    import yfinance.cache

    yfinance.cache._TzCacheManager._tz_cache = None
    yfinance.cache._CookieCacheManager._Cookie_cache = None
    yfinance.base._tz_info_fetch_ctr = 0


def _a3_cookie() -> http.cookiejar.Cookie:
    """The consent cookie fc.yahoo.com sets (yfinance keeps it and its expiry)."""
    return http.cookiejar.Cookie(
        version=0,
        name="A3",
        value="d=AQABBFakeCookie&S=AQAAAFake",
        port=None,
        port_specified=False,
        domain=".yahoo.com",
        domain_specified=True,
        domain_initial_dot=True,
        path="/",
        path_specified=True,
        secure=True,
        expires=int(time.time()) + 365 * 86400,
        discard=False,
        comment=None,
        comment_url=None,
        rest={},
    )


def _curl_message(code: int, text: str) -> str:
    return (
        f"Failed to perform, curl: ({code}) {text}. "
        "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
    )


def _response(url: str, status: int, body: str, content_type: str = "application/json") -> Response:
    response = Response()
    response.url = url
    response.status_code = status
    response.ok = status < 400
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
    response.headers["Content-Type"] = f"{content_type};charset=utf-8"
    response.content = body.encode()
    return response


Row = tuple[int, float, float, float, float, float]
"""(timestamp, open, high, low, close, volume)."""


def _session_open(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 9, 30, tzinfo=NEW_YORK).timestamp())


def _rows(listing: Listing) -> list[Row]:
    history = listing.history
    rows: list[Row] = [
        (_session_open(day.date()), o, h, lo, c, v)
        for day, o, h, lo, c, v in zip(
            history.index,
            history["open"],
            history["high"],
            history["low"],
            history["close"],
            history["volume"],
            strict=True,
        )
    ]
    if listing.live is not None:
        when, price = listing.live
        today = _session_open(when.astimezone(NEW_YORK).date())
        rows = [r for r in rows if r[0] < today]
        rows.append((int(when.timestamp()), price, price, price, price, 12_345.0))
    return rows


def _events(listing: Listing) -> dict[str, Any]:
    events: dict[str, Any] = {}
    if listing.dividends:
        events["dividends"] = {
            str(_session_open(d)): {"amount": amount, "date": _session_open(d)}
            for d, amount in listing.dividends.items()
        }
    if listing.splits:
        events["splits"] = {
            str(_session_open(d)): {
                "date": _session_open(d),
                "numerator": num,
                "denominator": den,
                "splitRatio": f"{num}:{den}",
            }
            for d, (num, den) in listing.splits.items()
        }
    return events


def _chart_json(
    ticker: str, listing: Listing, rows: list[Row], query: dict[str, str]
) -> dict[str, Any]:
    last_close = rows[-1][4] if rows else None
    now = listing.live[0] if listing.live else datetime.now(NEW_YORK)
    day = now.astimezone(NEW_YORK).date()
    open_ts = _session_open(day)
    period = {"timezone": "EST", "gmtoffset": -18000}
    meta = {
        "currency": "USD",
        "symbol": ticker,
        "exchangeName": "NMS",
        "fullExchangeName": "NasdaqGS",
        "instrumentType": "EQUITY",
        "firstTradeDate": rows[0][0] if rows else open_ts,
        "regularMarketTime": rows[-1][0] if rows else open_ts,
        "hasPrePostMarketData": True,
        "gmtoffset": -18000,
        "timezone": "EST",
        "exchangeTimezoneName": "America/New_York",
        "regularMarketPrice": last_close,
        "chartPreviousClose": rows[0][4] if rows else None,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {**period, "start": open_ts - 19800, "end": open_ts},
            "regular": {**period, "start": open_ts, "end": open_ts + 23400},
            "post": {**period, "start": open_ts + 23400, "end": open_ts + 37800},
        },
        "dataGranularity": query.get("interval", "1d"),
        "range": query.get("range", ""),
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    closes = [r[4] for r in rows]
    result: dict[str, Any] = {"meta": meta}
    if rows:
        result["timestamp"] = [r[0] for r in rows]
        events = _events(listing)
        if events:
            result["events"] = events
        result["indicators"] = {
            "quote": [
                {
                    "open": [r[1] for r in rows],
                    "high": [r[2] for r in rows],
                    "low": [r[3] for r in rows],
                    "close": closes,
                    "volume": [int(r[5]) for r in rows],
                }
            ],
            "adjclose": [{"adjclose": closes}],
        }
    else:
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    return {"chart": {"result": [result], "error": None}}


def at_new_york(day: date, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock moment (for live rows and clocks in tests)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)
