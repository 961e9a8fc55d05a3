"""Bring a store up to date from a provider, fetching only what is missing.

A refresh holds the store's lock from start to end, so refreshes from several processes
take turns. For each ticker it asks only for the sessions since its last stored date, with
``overlap_days`` of overlap. When the overlap shows that the provider's adjusted history
changed (a dividend or split re-scales every earlier price), the ticker's whole stored
history is fetched again so old and new prices are never mixed.

For speed, what is stored is learnt from closes.parquet where it is current (one read, not
one per ticker), each chunk's bars are written while the next chunk is being fetched, and
closes.parquet is updated from the bars just written instead of reading them back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

import filelock
import numpy as np
import pandas as pd
from tqdm import tqdm

from market.provider import FetchResult, Provider, SourceUnavailableError, SymbolResolver
from market.sessions import NEW_YORK, last_final_session, now_utc
from market.store import BarsBatch, Store, Written

_SHORTER = "not stored: the result was shorter than what is stored"
"""Why a ticker fetched was not stored: good data is never replaced by less."""

_MANY_TICKERS = 20
"""From this many tickers, their stored spans come from closes.parquet (one read costing
about as much as reading 10 to 20 bars files) rather than from each bars file."""

REVISION_TOLERANCE = 1e-4
"""Relative change of an overlapping close that means the stored history was re-adjusted."""

BACKFILL_GRACE = pd.Timedelta(days=10)
"""Stored bars starting this soon after the wanted history start count as the whole of it."""


@dataclass(frozen=True)
class RefreshProgress:
    """How far a refresh is: tickers done of total, and how many brought no data so far."""

    done: int
    total: int
    failures: int


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh did; ``error`` says why it stopped early, if it did.

    ``provisional`` holds bars of sessions still open at the refresh (shown, never stored);
    ``requests`` counts the HTTP requests the provider made.
    """

    fetched: int = 0
    fresh: int = 0
    missing: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()
    provisional: dict[str, pd.DataFrame] = field(default_factory=dict)
    requests: int = 0

    @property
    def useful(self) -> bool:
        """True when anything was stored or was already fresh."""
        return self.fetched > 0 or self.fresh > 0

    @property
    def complete(self) -> bool:
        """True when every ticker is stored up to date or Yahoo said it has no data."""
        return self.error is None and not self.failed and (self.useful or bool(self.missing))

    def describe(self) -> str:
        """One line: fetched, already fresh, missing, failed, requests, and why it stopped."""
        parts = [
            f"fetched {self.fetched}",
            f"already fresh {self.fresh}",
            f"missing {len(self.missing)}{_examples(self.missing)}",
            f"failed {len(self.failed)}{_examples(self.failed)}",
        ]
        if self.requests:
            parts.append(f"{self.requests} HTTP requests")
        line = ", ".join(parts)
        if self.error:
            line += f"; stopped: {self.error}"
        for warning in self.warnings:
            line += f"; {warning}"
        return line

    def reason(self) -> str:
        """Why the refresh is not complete (meaningful when ``complete`` is False)."""
        if not self.useful:
            if self.error:
                return f"nothing could be fetched: {self.error}"
            if not self.missing and not self.failed:
                return "nothing to refresh: no tickers"
            return "nothing could be fetched: every ticker came back missing or failed"
        kept = "what was stored before is kept as it was"
        if self.error:
            return f"incomplete: {self.error}; {kept}"
        first = next(iter(self.failed.values()))
        return f"incomplete: {len(self.failed)} tickers failed (first: {first}); {kept}"


def refresh(
    provider: Provider,
    store: Store,
    tickers: Sequence[str] | None = None,
    *,
    today: date | None = None,
    history_years: int = 12,
    overlap_days: int = 5,
    progress: Callable[[RefreshProgress], None] | None = None,
    chunk_size: int = 100,
    lock_timeout: float | None = None,
    update_closes: bool = True,
    now: datetime | None = None,
    universe_years: int | None = None,
    backfill: bool = False,
) -> RefreshSummary:
    """Fetch what ``store`` lacks of ``tickers`` (default: the universe plus the index).

    Tickers whose last stored session is the last business day on or before ``today``
    are fresh and not fetched; the others are asked for in ``chunk_size`` batches grouped
    by start date. A ``SourceUnavailableError`` stops the run; what was stored stays.
    Universe tickers the provider knows under another spelling are stored under that one.
    With ``lock_timeout``, a refresh that cannot get the store's lock in time (another one
    is running) gives up and says so. ``update_closes=False`` leaves the universe's closes
    file alone (a single-ticker fetch for the page does not need it rebuilt). Bars of a
    session not yet closed at ``now`` (default: this moment) are kept in the summary's
    ``provisional``, never stored: the first refresh after the close fetches that day.
    ``universe_years`` (default ``history_years``) is the history a new universe member gets
    when ``tickers`` is None (movers need about two years, the index keeps ``history_years``);
    ``backfill`` fetches whole the tickers whose stored bars start later than that (a member
    fetched with the shorter history, now charted).
    """
    if universe_years is not None and universe_years < 1:
        raise ValueError(f"refresh needs universe_years >= 1 or None, got {universe_years}")
    if chunk_size < 1 or history_years < 1 or overlap_days < 0:
        raise ValueError(
            "refresh needs chunk_size >= 1, history_years >= 1 and overlap_days >= 0, got "
            f"{chunk_size}, {history_years}, {overlap_days}"
        )
    moment = now or now_utc()
    end = today or pd.Timestamp(moment).tz_convert(NEW_YORK).date()
    lock = store.lock(lock_timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        return RefreshSummary(error="another refresh is running; try again when it has finished")
    try:
        warnings: list[str] = []
        symbols = list(tickers) if tickers is not None else _all_tickers(provider, store, warnings)
        final = last_final_session(moment, end)
        run = _Run(
            provider, store, store.batch(), end, final, list(dict.fromkeys(symbols)), progress
        )
        years = dict.fromkeys(run.tickers, history_years)
        if tickers is None and universe_years is not None:
            index = {provider.index_ticker, provider.benchmark_ticker}
            years.update({t: universe_years for t in run.tickers if t not in index})
        run.fetch_all(years, overlap_days, chunk_size, backfill)
        if tickers is None and isinstance(provider, SymbolResolver):
            run.resolve_spellings(provider, universe_years or history_years)
        run.batch.sync()
        if run.fetched and update_closes:
            run.batch.rebuild_closes()
        return run.summary(tuple(warnings))
    finally:
        lock.release()


def refresh_command(
    provider: Provider,
    store: Store,
    tickers: Sequence[str] | None,
    *,
    stream: TextIO | None = None,
    history_years: int = 12,
    universe_years: int | None = None,
) -> int:
    """``r2k refresh``: a progress bar, a closing summary line, 0 when the run was complete.

    Any ticker that failed (Yahoo did not answer, an error page, rate limited) or a run that
    stopped early ends with status 1 and a line saying why; stored data is kept as it was.

    ``stream`` defaults to the standard error of the moment of the call.
    """
    stream = stream if stream is not None else sys.stderr
    with tqdm(total=0, file=stream, unit="ticker", desc="r2k refresh", leave=True) as bar:

        def report(step: RefreshProgress) -> None:
            bar.total = step.total
            bar.n = step.done
            bar.set_postfix(failures=step.failures, refresh=False)
            bar.refresh()

        summary = refresh(
            provider,
            store,
            tickers,
            history_years=history_years,
            universe_years=universe_years,
            progress=report,
        )
    print(f"r2k refresh: {summary.describe()}", file=stream)
    if summary.complete:
        return 0
    print(f"r2k refresh: {summary.reason()}", file=stream)
    return 1


def _all_tickers(provider: Provider, store: Store, warnings: list[str]) -> list[str]:
    """The universe's tickers (fresh from the provider, else the stored ones) and the index."""
    universe: pd.DataFrame | None
    try:
        universe = provider.universe()
        if not store.write_universe(universe):
            raise ValueError("the provider's universe is empty")
    except (SourceUnavailableError, ValueError) as error:
        universe = store.read_universe()
        kept = "using the stored one" if universe is not None else "none stored"
        warnings.append(f"universe not updated ({error}); {kept}")
    members = [] if universe is None else [str(t) for t in universe["ticker"]]
    return [provider.index_ticker, provider.benchmark_ticker, *members]


@dataclass(frozen=True)
class _Stored:
    """What a refresh needs to know of a ticker's stored bars."""

    first: pd.Timestamp
    last: pd.Timestamp
    settled_dates: np.ndarray
    """Stored dates within the overlap, except the last one (it may be a partial session)."""
    settled_closes: np.ndarray
    """The stored closes on ``settled_dates``."""

    @classmethod
    def of(cls, closes: pd.Series, overlap_days: int) -> _Stored | None:
        """The span of a ticker's stored closes (sorted by date); None when there are none."""
        if closes.empty:
            return None
        dates = closes.index
        last = dates[-1]
        recent = slice(dates.searchsorted(last - pd.Timedelta(days=overlap_days)), -1)
        return cls(
            first=dates[0],
            last=last,
            settled_dates=dates[recent].to_numpy().astype("datetime64[ns]"),
            settled_closes=closes.to_numpy(dtype="float64")[recent],
        )


@dataclass
class _Run:
    """The tally of one refresh while it runs."""

    provider: Provider
    store: Store
    batch: BarsBatch
    today: date
    final: pd.Timestamp
    """The last session closed at the refresh: later bars of a real market are provisional
    (a simulated one has no sessions in progress)."""
    tickers: list[str]
    progress: Callable[[RefreshProgress], None] | None
    fetched: int = 0
    fresh: int = 0
    done: int = 0
    requests: int = 0
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    provisional: dict[str, pd.DataFrame] = field(default_factory=dict)
    error: str | None = None

    def fetch_all(
        self, years: dict[str, int], overlap_days: int, chunk_size: int, backfill: bool = False
    ) -> None:
        """Fetch every stale ticker; then fetch whole those re-adjusted or found unreadable
        (and, with ``backfill``, those whose stored history is shorter than ``years``)."""
        last_session = self.final
        starts_by_years = {
            count: pd.Timestamp(self.today) - pd.DateOffset(years=count)
            for count in set(years.values())
        }
        history_starts = {ticker: starts_by_years[count] for ticker, count in years.items()}
        stored: dict[str, _Stored] = {}
        starts: dict[str, pd.Timestamp] = {}
        shallow: list[str] = []
        many = len(self.tickers) >= _MANY_TICKERS
        known = self.store.closes_of(self.tickers) if many else {}
        for ticker in self.tickers:
            history_start = history_starts[ticker]
            try:
                span = self._stored_span(ticker, overlap_days, known.get(ticker))
            except ValueError as error:
                self._finish(ticker, failure=str(error))
                continue
            if backfill and span is not None and span.first > history_start + BACKFILL_GRACE:
                stored[ticker] = span
                shallow.append(ticker)
                continue
            if span is not None and span.last >= last_session:
                self.fresh += 1
                self._finish(ticker)
                continue
            if span is not None:
                stored[ticker] = span
            starts[ticker] = (
                history_start if span is None else span.last - pd.Timedelta(days=overlap_days)
            )
        self._report()
        again = self._fetch(starts, stored, chunk_size) + shallow
        if self.error is not None:
            for ticker in again:
                self._finish(ticker, failure="history to fetch again whole; that did not run")
        elif again:
            whole = {t: min(stored[t].first, history_starts[t]) for t in again}
            self._fetch(whole, {}, chunk_size)

    def resolve_spellings(self, resolver: SymbolResolver, history_years: int) -> None:
        """Store missing universe tickers found under their other spelling; rename them."""
        universe = self.store.read_universe()
        missing = [t for t in self.missing if universe is not None and t in set(universe["ticker"])]
        if universe is None or not missing or self.error is not None:
            return
        start = pd.Timestamp(self.today) - pd.DateOffset(years=history_years)
        try:
            resolution = resolver.resolve_missing(missing, start.date(), self.today)
        except SourceUnavailableError as error:
            self.error = str(error) or type(error).__name__
            return
        for original, symbol in resolution.renamed.items():
            bars = self._final_part(symbol, resolution.bars[symbol])
            if bars is not None and self.batch.write(symbol, bars) is Written.STORED:
                self.fetched += 1
                self.missing.remove(original)
        self.store.write_universe(resolution.apply(universe))

    def summary(self, warnings: tuple[str, ...]) -> RefreshSummary:
        return RefreshSummary(
            fetched=self.fetched,
            fresh=self.fresh,
            missing=tuple(self.missing),
            failed=dict(self.failed),
            error=self.error,
            warnings=warnings,
            provisional=dict(self.provisional),
            requests=self.requests,
        )

    def _stored_span(
        self, ticker: str, overlap_days: int, closes: pd.Series | None
    ) -> _Stored | None:
        """From ``closes`` (the closes file's column) when given, else from the bars file."""
        if closes is None:
            bars = self.store.read_bars(ticker)
            if bars is None:
                return None
            closes = bars["close"]
        return _Stored.of(closes, overlap_days)

    def _fetch(
        self, starts: dict[str, pd.Timestamp], stored: dict[str, _Stored], chunk_size: int
    ) -> list[str]:
        """Fetch ``starts`` in chunks by start date; return the tickers to fetch again whole.

        The next chunk is requested while this one is written, so the writes hide behind
        the provider's latency; requests still go out one at a time, in the same order, and
        the next one only once the previous one has answered. When the run stops early, a
        request already sent is waited for and its answer dropped.
        """
        requests = [
            (start, group[offset : offset + chunk_size])
            for start, group in _group_by_start(starts)
            for offset in range(0, len(group), chunk_size)
        ]
        again: list[str] = []
        if not requests:
            return again
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="refresh-fetch") as fetcher:

            def ask(number: int) -> Future[FetchResult]:
                start, chunk = requests[number]
                return fetcher.submit(self.provider.bars, chunk, start.date(), self.today)

            pending = ask(0)
            for number, (_, chunk) in enumerate(requests):
                try:
                    result = pending.result()
                except SourceUnavailableError as error:
                    self.error = str(error) or type(error).__name__
                    return again
                if number + 1 < len(requests):
                    pending = ask(number + 1)
                self.requests += result.requests
                again += self._take(chunk, result, stored)
                self.batch.sync()
                self._report()
                if self.error is not None:
                    pending.cancel()
                    return again
        return again

    def _take(self, chunk: list[str], result: FetchResult, stored: dict[str, _Stored]) -> list[str]:
        """Store one chunk's outcome; return its tickers that must be fetched again whole."""
        again: list[str] = []
        writes: list[tuple[str, pd.DataFrame, bool]] = []
        for ticker in chunk:
            fetched = result.bars.get(ticker)
            bars = self._final_part(ticker, fetched)
            span = stored.get(ticker)
            if ticker in result.failed:
                self._finish(ticker, failure=result.failed[ticker])
            elif bars is None or bars.empty:
                if fetched is None or fetched.empty:
                    self.missing.append(ticker)
                self._finish(ticker)
            elif span is not None and _readjusted(span, bars):
                again.append(ticker)
            else:
                writes.append((ticker, bars, span is not None))
        outcomes = self.batch.write_many(writes)
        for (ticker, _, _), outcome in zip(writes, outcomes, strict=True):
            if isinstance(outcome, OSError):
                self.error = self.error or f"could not write the store: {outcome}"
            elif isinstance(outcome, ValueError):
                self._finish(ticker, failure=f"unusable bars: {outcome}")
            elif outcome is Written.NOT_FOUND:
                again.append(ticker)
            elif outcome is Written.STORED:
                self.fetched += 1
                self._finish(ticker)
            else:
                self._finish(ticker, failure=_SHORTER)
        return again

    def _final_part(self, ticker: str, bars: pd.DataFrame | None) -> pd.DataFrame | None:
        """``bars`` up to the last closed session; later ones are kept as provisional."""
        if bars is None or bars.empty or not isinstance(bars.index, pd.DatetimeIndex):
            return bars
        if self.provider.simulated or bars.index[-1] <= self.final:
            return bars
        self.provisional[ticker] = bars.loc[bars.index > self.final]
        final = bars.loc[bars.index <= self.final]
        return None if final.empty else final

    def _finish(self, ticker: str, failure: str | None = None) -> None:
        if failure is not None:
            self.failed[ticker] = failure
        self.done += 1

    def _report(self) -> None:
        if self.progress is not None:
            failures = len(self.missing) + len(self.failed)
            self.progress(RefreshProgress(self.done, len(self.tickers), failures))


def _readjusted(stored: _Stored, bars: pd.DataFrame) -> bool:
    """True when fetched closes differ from the settled stored ones on common dates.

    Bars of the wrong shape are not compared: the write refuses them with the reason.
    """
    if stored.settled_dates.size == 0 or "close" not in bars.columns:
        return False
    if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is not None:
        return False
    fetched = bars.index.to_numpy().astype("datetime64[ns]")
    _, old_at, new_at = np.intersect1d(stored.settled_dates, fetched, return_indices=True)
    if old_at.size == 0:
        return False
    old = stored.settled_closes[old_at]
    new = bars["close"].to_numpy(dtype="float64")[new_at]
    return not np.allclose(new, old, rtol=REVISION_TOLERANCE, atol=0.0)


def _group_by_start(starts: dict[str, pd.Timestamp]) -> list[tuple[pd.Timestamp, list[str]]]:
    groups: dict[pd.Timestamp, list[str]] = {}
    for ticker, start in starts.items():
        groups.setdefault(start.normalize(), []).append(ticker)
    return sorted(groups.items())


def _examples(names: Sequence[str] | dict[str, str], limit: int = 3) -> str:
    shown = list(names)[:limit]
    if not shown:
        return ""
    more = ", ..." if len(names) > limit else ""
    return f" ({', '.join(shown)}{more})"
