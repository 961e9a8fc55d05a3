"""Yahoo Finance: daily bars through yfinance, the universe from iShares' IWM holdings file.

Yahoo rate-limits bulk downloads and yfinance's own timeout does not cover all of its
requests, so bars are fetched in bounded batches at a bounded request rate, each batch under
a deadline, after a connectivity probe; rate limits get exponential backoff. Tickers that
come back empty are reported as missing, never returned as data.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

import pandas as pd
import requests
import yfinance
from yfinance.exceptions import YFException, YFRateLimitError

from market.bars import to_bars
from market.holdings import HoldingsFile, alternate_symbol, parse_holdings
from market.network import probe, run_with_deadline
from market.provider import (
    DataFormatError,
    FetchResult,
    SourceUnavailableError,
    SymbolResolution,
)
from settings import Settings

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
"""iShares answers scripts that say who they are with an error page."""

BACKOFF_SECONDS = 2.0
"""The first wait after a rate limit; each further retry waits twice as long."""

PRICE_FIELDS: tuple[str, ...] = ("Open", "High", "Low", "Close", "Volume")

Download = Callable[..., pd.DataFrame]
"""``yf.download``'s shape: ``download(tickers, start=..., end=..., ...) -> DataFrame``."""

_FAILED_TICKERS = re.compile(r"^\[(?P<tickers>[^\]]*)\]: (?P<error>.*)$", re.DOTALL)
_CONNECTION_SIGNS = ("DNSError", "ConnectionError", "Timeout", "Could not resolve", "curl: (")


def yfinance_download(tickers: Sequence[str], **options: Any) -> pd.DataFrame:
    """``yf.download`` that raises what it only logs: rate limits and a dead connection.

    yfinance catches every per-ticker exception and logs it, returning empty columns. Its
    summary lines (``['AAA', 'BBB']: YFRateLimitError(...)``) are read back here: any rate
    limit raises ``YFRateLimitError``; connection errors for every ticker raise
    ``ConnectionError``. Anything else stays an empty column, reported missing later.
    """
    capture = _FailureLog(threading.get_ident())
    logger = logging.getLogger("yfinance")
    logger.addHandler(capture)
    try:
        frame = yfinance.download(list(tickers), **options)
    finally:
        logger.removeHandler(capture)
    errors = capture.errors
    if any("YFRateLimitError" in e or "Too Many Requests" in e for e in errors.values()):
        raise YFRateLimitError()
    connection = [errors.get(t.upper(), "") for t in tickers]
    if connection and all(any(s in e for s in _CONNECTION_SIGNS) for e in connection):
        raise ConnectionError(connection[0])
    return frame if frame is not None else pd.DataFrame()


class _FailureLog(logging.Handler):
    """Collects yfinance's per-ticker failure lines logged by one thread."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(level=logging.ERROR)
        self.thread_id = thread_id
        self.errors: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread_id:
            return
        match = _FAILED_TICKERS.match(record.getMessage())
        if match:
            for ticker in re.findall(r"'([^']+)'", match.group("tickers")):
                self.errors[ticker.upper()] = match.group("error")


def bars_from_download(
    frame: pd.DataFrame, tickers: Sequence[str]
) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """Split a ``yf.download`` frame into Bars per ticker, and the tickers that have none.

    Accepts the default two-level ``(Price, Ticker)`` columns (either level order) and, for a
    single ticker, plain price columns. A ticker absent from the frame, or whose columns are
    all NaN, is missing. Raises ``DataFormatError`` for columns of any other shape.
    """
    found: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for ticker in tickers:
        columns = _ticker_columns(frame, ticker, single=len(tickers) == 1)
        bars = None if columns is None else _to_bars(columns, ticker)
        if bars is None or bars.empty:
            missing.append(ticker)
        else:
            found[ticker] = bars
    return found, tuple(missing)


def _ticker_columns(frame: pd.DataFrame, ticker: str, single: bool) -> pd.DataFrame | None:
    if frame.empty:
        return None
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        if columns.nlevels != 2:
            raise DataFormatError(
                f"expected (Price, Ticker) columns from yf.download, got {columns.nlevels} levels"
            )
        price_level = 0 if "Close" in columns.get_level_values(0) else 1
        ticker_level = 1 - price_level
        if ticker.upper() not in {str(t).upper() for t in columns.get_level_values(ticker_level)}:
            return None
        keep = [str(t).upper() == ticker.upper() for t in columns.get_level_values(ticker_level)]
        sub = frame.loc[:, keep]
        sub.columns = sub.columns.get_level_values(price_level)
        return sub
    if single and "Close" in columns:
        return frame
    raise DataFormatError(
        "expected (Price, Ticker) columns from yf.download, "
        f"got single-level columns {list(map(str, columns))[:8]} for {ticker}"
    )


def _to_bars(columns: pd.DataFrame, ticker: str) -> pd.DataFrame:
    absent = [name for name in PRICE_FIELDS if name not in columns.columns]
    if absent:
        raise DataFormatError(f"yf.download gave {ticker} no {', '.join(absent)} column")
    return to_bars(columns.loc[:, list(PRICE_FIELDS)])


class YahooProvider:
    """Yahoo Finance bars and the iShares IWM universe.

    ``download``, ``fetch_holdings``, ``sleep``, ``probe`` and ``clock`` are the seams to the
    outside world (yfinance, HTTP, time and the network); tests replace them.
    """

    name = "yahoo"
    simulated = False
    index_ticker = "IWM"
    benchmark_ticker = "SPY"

    def __init__(
        self,
        settings: Settings,
        download: Download | None = None,
        fetch_holdings: Callable[[str], bytes] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        probe: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._download = download if download is not None else yfinance_download
        self._fetch_holdings = fetch_holdings if fetch_holdings is not None else self._get
        self._sleep = sleep
        self._probe = probe if probe is not None else self.reachable
        self._clock = clock
        self._pace_lock = threading.Lock()
        self._last_request: float | None = None

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        """Daily Bars of ``tickers`` from ``start`` to ``end`` (inclusive).

        ``start`` defaults to ``settings.history_years`` before ``end`` (default: today).
        Tickers come back upper-cased. Tickers without data are ``missing``; those whose
        request failed (rate limited beyond the retries, a batch that hit the deadline and
        the ones not asked after it) are in ``failed``. Raises ``SourceUnavailableError`` when
        the probe fails or no batch could reach Yahoo at all.
        """
        symbols = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
        if not symbols:
            return FetchResult()
        if not self._probe():
            raise SourceUnavailableError(
                f"Yahoo Finance is unreachable (no connection to {self.settings.probe_address})"
            )
        first, last = self._window(start, end)
        size = self.settings.batch_size
        batches = [symbols[i : i + size] for i in range(0, len(symbols), size)]
        found: dict[str, pd.DataFrame] = {}
        missing: list[str] = []
        failed: dict[str, str] = {}
        unreachable: list[str] = []
        for number, batch in enumerate(batches):
            try:
                batch_bars, batch_missing = bars_from_download(
                    self._fetch_batch(batch, first, last), batch
                )
            except YFRateLimitError:
                retries = self.settings.max_retries
                reason = f"rate limited by Yahoo after {retries} retries"
                later = "not asked: Yahoo was rate limiting"
            except SourceUnavailableError as exc:
                reason, later = str(exc), "not asked: Yahoo stopped answering"
                unreachable.extend([reason] * (len(batches) - number))
            except OSError as exc:
                unreachable.append(f"connection failed: {exc}")
                failed.update(dict.fromkeys(batch, unreachable[-1]))
                continue
            except (DataFormatError, YFException) as exc:
                failed.update(dict.fromkeys(batch, f"{type(exc).__name__}: {exc}"))
                continue
            else:
                found.update(batch_bars)
                missing.extend(batch_missing)
                continue
            # Rate limited beyond the retries, or hanging: asking for more would only wait.
            failed.update(dict.fromkeys(batch, reason))
            for rest in batches[number + 1 :]:
                failed.update(dict.fromkeys(rest, later))
            break
        if len(unreachable) == len(batches):
            raise SourceUnavailableError(f"Yahoo Finance did not answer: {unreachable[0]}")
        return FetchResult(found, tuple(missing), failed)

    def resolve_missing(
        self, missing: Sequence[str], start: date | None = None, end: date | None = None
    ) -> SymbolResolution:
        """Ask Yahoo for the other spelling of missing class-share tickers (``MOG-A``/``MOGA``)."""
        alternates = {t: alt for t in missing if (alt := alternate_symbol(t)) is not None}
        result = self.bars(list(alternates.values()), start, end) if alternates else FetchResult()
        renamed = {t: alt for t, alt in alternates.items() if alt in result.bars}
        return SymbolResolution(
            bars={alt: result.bars[alt] for alt in renamed.values()},
            renamed=renamed,
            unresolved=tuple(t for t in missing if t not in renamed),
        )

    def holdings(self, as_of: date | None = None) -> HoldingsFile:
        """The parsed IWM holdings file, today's or (with ``as_of``) that day's.

        Raises ``SourceUnavailableError`` when the download fails (at once when the network
        probe gets no answer) and ``DataFormatError`` when what came back is not a holdings file.
        """
        if not self._probe():
            raise SourceUnavailableError(
                f"the network is unreachable (no answer from {self.settings.probe_address})"
            )
        url = self.settings.holdings_url
        if as_of is not None:
            url += f"{'&' if '?' in url else '?'}asOfDate={as_of:%Y%m%d}"
        try:
            content = run_with_deadline(
                partial(self._fetch_holdings, url),
                self.settings.fetch_deadline,
                "the iShares holdings download",
            )
        except OSError as exc:
            raise SourceUnavailableError(f"could not download the IWM holdings: {exc}") from exc
        return parse_holdings(content)

    def universe(self) -> pd.DataFrame:
        """The Russell 2000 constituents as IWM holds them today."""
        return self.holdings().universe

    def _fetch_batch(self, batch: list[str], first: date, last: date) -> pd.DataFrame:
        """One batch download under the deadline, retried with backoff on rate limits."""
        request = partial(
            self._download,
            batch,
            start=first.isoformat(),
            end=(last + timedelta(days=1)).isoformat(),
            interval="1d",
            auto_adjust=True,
            actions=False,
            group_by="column",
            progress=False,
            threads=True,
            timeout=self.settings.request_timeout,
        )
        what = f"the Yahoo download of {len(batch)} tickers"
        attempt = 0
        while True:
            self._pace()
            try:
                return run_with_deadline(request, self.settings.fetch_deadline, what)
            except YFRateLimitError:
                if attempt >= self.settings.max_retries:
                    raise
                self._sleep(BACKOFF_SECONDS * 2**attempt)
                attempt += 1

    def _pace(self) -> None:
        """Wait until a new request keeps within ``settings.requests_per_second``."""
        interval = 1.0 / self.settings.requests_per_second
        with self._pace_lock:
            if self._last_request is not None:
                wait = self._last_request + interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last_request = self._clock()

    def _window(self, start: date | None, end: date | None) -> tuple[date, date]:
        last = end if end is not None else date.today()
        if start is not None:
            return start, last
        years = self.settings.history_years
        try:
            return last.replace(year=last.year - years), last
        except ValueError:
            return last.replace(year=last.year - years, day=28), last

    def reachable(self) -> bool:
        """Whether Yahoo answers a TCP connection within ``settings.probe_timeout``."""
        host, _, port = self.settings.probe_address.rpartition(":")
        return probe(host, int(port), self.settings.probe_timeout)

    def _get(self, url: str) -> bytes:
        response = requests.get(
            url,
            headers={"User-Agent": BROWSER_USER_AGENT, "Accept": "text/csv,text/plain,*/*"},
            timeout=self.settings.request_timeout,
        )
        response.raise_for_status()
        return response.content
