"""Read access to one resolved source, as the page and ``r2k read`` need it.

Live sources fetch a ticker that the store lacks (or holds stale) on first use and keep it
in the store; a cached source only reads the store; the demo market is computed in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd

from market.bars import validate_bars
from market.csv_import import BackgroundImport, ImportProgress
from market.csv_source import CsvProvider
from market.provider import LocalProvider
from market.refresh import refresh
from market.sources import DIRECT, LIVE, ResolvedSource
from market.tickers import parse_ticker

FETCH_LOCK_SECONDS = 2.0
"""A page's fetch waits this long for a running refresh, then shows what is stored."""
REFETCH_SECONDS = 900.0
"""A stale ticker is asked of a live source at most this often per process."""


class UnknownTickerError(LookupError):
    """The source has no data for this ticker (or it is not a valid ticker at all)."""


def normalize_ticker(raw: str) -> str:
    """Upper-case and check a ticker; raise ``UnknownTickerError`` for anything else."""
    ticker = parse_ticker(raw)
    if ticker is None:
        raise UnknownTickerError(
            f"{raw[:40]!r} is not a ticker (letters, digits and . - ^ = only, at most 15)"
        )
    return ticker


class MarketData:
    """Bars, universe and closes of one source, fetched on demand when the source is live."""

    def __init__(
        self,
        source: ResolvedSource,
        today: Callable[[], date] = date.today,
        clock: Callable[[], float] = time.monotonic,
        history_years: int = 12,
    ) -> None:
        self.source = source
        self._history_years = history_years
        self._today = today
        self._clock = clock
        self._last_fetch: dict[str, float] = {}
        self._problems: dict[str, str] = {}
        provider = source.provider
        self._import = (
            BackgroundImport(provider, source.store) if isinstance(provider, CsvProvider) else None
        )

    @property
    def index_ticker(self) -> str:
        return self.source.provider.index_ticker

    @property
    def benchmark_ticker(self) -> str:
        return self.source.provider.benchmark_ticker

    def daily_bars(self, ticker: str) -> pd.DataFrame:
        """Daily Bars of ``ticker``; ``UnknownTickerError`` when the source has none."""
        symbol = normalize_ticker(ticker)
        if self.source.mode == DIRECT:
            return self._from_provider(symbol)
        stored = self.source.store.read_bars(symbol)
        if self.source.mode == LIVE:
            if self._should_fetch(symbol, stored):
                self._fetch(symbol)
                stored = self.source.store.read_bars(symbol)
            if not _is_stale(stored, self._today()):
                self._problems.pop(symbol, None)
        if stored is None or stored.empty:
            problem = self._problems.get(symbol)
            raise UnknownTickerError(
                f"{symbol}: {problem}"
                if problem
                else f"no data for {symbol} from {self.source.label}"
            )
        return validate_bars(stored)

    def fetch_problem(self, ticker: str) -> str | None:
        """Why ``ticker`` could not be brought up to date, while only a stale copy is stored.

        None when its last fetch worked, none was needed, or the source is not live. The
        page says this beside a chart drawn from the old copy, so old data never looks new.
        """
        symbol = parse_ticker(ticker)
        return None if symbol is None else self._problems.get(symbol)

    def universe(self) -> pd.DataFrame | None:
        """The index's constituents, or None when neither the source nor the store has them."""
        if self.source.mode == DIRECT:
            return self.source.provider.universe()
        return self.source.store.read_universe()

    def import_progress(self) -> ImportProgress | None:
        """How far the import of the user's CSV files into the store is (starting it).

        None when there is nothing to wait for: the import finished, or the source has no
        files to import. ``closes`` waits for the import; the page shows this instead.
        """
        return None if self._import is None else self._import.progress()

    def closes(self) -> pd.DataFrame:
        """Daily closes of the whole universe, wide: date index by ticker columns.

        For CSV files, from the store once they are imported (waiting for the import).
        """
        provider = self.source.provider
        if self._import is not None:
            self._import.wait()
            universe = self.universe()
            wanted = None if universe is None else list(universe["ticker"])
            return self.source.store.read_closes(wanted)
        if self.source.mode == DIRECT and isinstance(provider, LocalProvider):
            return provider.closes()
        return self.source.store.read_closes()

    def updated_at(self) -> datetime | None:
        """When the data last changed (None for the demo market, which never does).

        For CSV files, when their last import changed the store.
        """
        if self._import is not None:
            return self.source.store.updated_at()
        if self.source.mode == DIRECT:
            return None
        return self.source.store.updated_at()

    def _fetch(self, symbol: str) -> None:
        """Ask the live source for ``symbol``; remember why, if that failed."""
        self._last_fetch[symbol] = self._clock()
        summary = refresh(
            self.source.provider,
            self.source.store,
            [symbol],
            today=self._today(),
            history_years=self._history_years,
            lock_timeout=FETCH_LOCK_SECONDS,
            update_closes=False,
        )
        problem = summary.error or summary.failed.get(symbol)
        if problem:
            self._problems[symbol] = problem
        else:
            self._problems.pop(symbol, None)

    def _should_fetch(self, symbol: str, stored: pd.DataFrame | None) -> bool:
        last = self._last_fetch.get(symbol)
        if last is not None and self._clock() - last < REFETCH_SECONDS:
            return False
        return _is_stale(stored, self._today())

    def _from_provider(self, symbol: str) -> pd.DataFrame:
        result = self.source.provider.bars([symbol])
        bars = result.bars.get(symbol)
        if bars is None or bars.empty:
            reason = result.failed.get(symbol) or f"no data for {symbol} from {self.source.label}"
            if self.source.simulated:
                reason += (
                    f" (it holds only fictional tickers: the index {self.index_ticker} and "
                    "its constituents; real tickers need Yahoo Finance)"
                )
            raise UnknownTickerError(reason)
        return bars


def _is_stale(stored: pd.DataFrame | None, today: date) -> bool:
    if stored is None or stored.empty:
        return True
    last_session = pd.Timestamp(today) - pd.offsets.BDay(1)
    return bool(stored.index[-1] < last_session.normalize())
