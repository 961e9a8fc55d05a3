"""Yahoo Finance: daily bars through yfinance, the universe from iShares' IWM holdings file.

Yahoo rate-limits bulk downloads and yfinance's own timeout does not cover all of its
requests, so bars are fetched in bounded batches at a bounded request rate, each batch under
a deadline, after a connectivity probe. Each ticker's outcome is kept apart
(``market.yfinance_fetch``): only tickers Yahoo said it has no data for are missing; the
others without data failed, with the reason. A rate limit retries only the refused tickers,
with exponential backoff, and keeps what arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial

import pandas as pd
import requests
from yfinance.exceptions import YFRateLimitError

from market.holdings import HoldingsFile, alternate_symbol, parse_holdings
from market.network import probe, run_with_deadline
from market.provider import (
    FetchResult,
    SourceUnavailableError,
    SymbolResolution,
)
from market.yfinance_fetch import (
    BatchAnswer,
    CountingSession,
    check_cookie_host,
    cookie_needed,
    fetch_batch,
)
from settings import Settings

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
"""iShares answers scripts that say who they are with an error page."""

BACKOFF_SECONDS = 2.0
"""The first wait after a rate limit; each further retry waits twice as long."""

Download = Callable[..., BatchAnswer]
"""``download(tickers, start=date, end=date (exclusive), timeout=seconds) -> BatchAnswer``."""


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
        self._session = CountingSession() if download is None else None
        self._download = (
            download if download is not None else partial(fetch_batch, session=self._session)
        )
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
        Tickers come back upper-cased. Only tickers Yahoo said it has no data for are
        ``missing``; those without a usable answer (no connection, a timeout, an error page,
        rate limited beyond the retries, a batch that hit the deadline and the ones not
        asked after it) are in ``failed`` with the reason. Raises ``SourceUnavailableError``
        when the probe fails or no batch could reach Yahoo at all.
        """
        symbols = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
        if not symbols:
            return FetchResult()
        counted = self._requests_made()
        if not self._probe():
            raise SourceUnavailableError(
                f"Yahoo Finance is unreachable (no connection to {self.settings.probe_address})"
            )
        self._check_cookie_host()
        first, last = self._window(start, end)
        size = self.settings.batch_size
        batches = [symbols[i : i + size] for i in range(0, len(symbols), size)]
        found: dict[str, pd.DataFrame] = {}
        missing: list[str] = []
        failed: dict[str, str] = {}
        unreachable: list[str] = []
        for number, batch in enumerate(batches):
            try:
                answer = self._fetch_batch(batch, first, last)
            except SourceUnavailableError as exc:
                reason, later = str(exc), "not asked: Yahoo stopped answering"
                unreachable.extend([reason] * (len(batches) - number))
            except OSError as exc:
                unreachable.append(f"Yahoo did not answer: {exc}")
                failed.update(dict.fromkeys(batch, unreachable[-1]))
                continue
            else:
                found.update(answer.bars)
                missing.extend(answer.missing)
                failed.update(answer.failed)
                if answer.no_connection:
                    unreachable.append(next(iter(answer.failed.values())))
                if not answer.rate_limited:
                    continue
                retries = self.settings.max_retries
                reason = f"rate limited by Yahoo after {retries} retries"
                later = "not asked: Yahoo was rate limiting"
                batch = list(answer.rate_limited)
            # Rate limited beyond the retries, or hanging: asking for more would only wait.
            failed.update(dict.fromkeys(batch, reason))
            for rest in batches[number + 1 :]:
                failed.update(dict.fromkeys(rest, later))
            break
        requests = self._requests_made() - counted
        if len(unreachable) == len(batches):
            reason = unreachable[0].removeprefix("Yahoo did not answer: ")
            raise SourceUnavailableError(f"Yahoo Finance did not answer: {reason}")
        return FetchResult(found, tuple(missing), failed, requests=requests)

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

    def _fetch_batch(self, batch: list[str], first: date, last: date) -> BatchAnswer:
        """One batch under the deadline; its rate-limited tickers retried with backoff.

        What arrived is kept: only the tickers refused with a 429 are asked again. Those
        still refused after ``settings.max_retries`` are left in ``rate_limited``.
        """
        what = f"the Yahoo download of {len(batch)} tickers"
        answers: list[BatchAnswer] = []
        pending = batch
        attempt = 0
        while True:
            request = partial(
                self._download,
                pending,
                start=first,
                end=last + timedelta(days=1),
                timeout=self.settings.request_timeout,
            )
            self._pace()
            try:
                answer = run_with_deadline(request, self.settings.fetch_deadline, what)
            except YFRateLimitError:
                answer = BatchAnswer(rate_limited=tuple(pending))
            answers.append(answer)
            if not answer.rate_limited or attempt >= self.settings.max_retries:
                return _merge(answers)
            self._sleep(BACKOFF_SECONDS * 2**attempt)
            attempt += 1
            pending = list(answer.rate_limited)

    def _check_cookie_host(self) -> None:
        """Fail at once, within the deadline, if yfinance would wait on its cookie host.

        Asked only while yfinance has no crumb (its cookie step comes first), with the
        probe's timeout, from our own thread: yfinance's lock is never held by a request
        abandoned at the deadline, so the next fetch in this process is not blocked.
        """
        if self._session is None or not cookie_needed():
            return
        check = partial(check_cookie_host, self._session, self.settings.probe_timeout)
        problem = run_with_deadline(check, self.settings.fetch_deadline, "Yahoo's cookie host")
        if problem is not None:
            raise SourceUnavailableError(problem)

    def _requests_made(self) -> int:
        return self._session.count if self._session is not None else 0

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


def _merge(answers: list[BatchAnswer]) -> BatchAnswer:
    """One answer from a batch's attempts: each later attempt asked only the rate-limited."""
    bars: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    failed: dict[str, str] = {}
    unreachable: list[str] = []
    for answer in answers:
        bars.update(answer.bars)
        missing.extend(answer.missing)
        failed.update(answer.failed)
        unreachable.extend(answer.unreachable)
    return BatchAnswer(bars, tuple(missing), failed, answers[-1].rate_limited, tuple(unreachable))
