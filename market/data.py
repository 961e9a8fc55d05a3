"""Read access to one resolved source, as the page and ``r2k read`` need it.

Live sources fetch a ticker that the store lacks (or holds stale) on first use and keep it
in the store; a cached source only reads the store; the demo market is computed in memory.
While the exchange's session is open, a live ticker's bar of the day is fetched too and
shown after the stored ones, marked in progress, never stored (``market.sessions``).
A constituent stored with the universe's shorter history (``R2K_UNIVERSE_YEARS``) gets its
whole history (``R2K_HISTORY_YEARS``) once it is charted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple

import pandas as pd

from market.bars import validate_bars
from market.csv_import import BackgroundImport, ImportProgress
from market.csv_source import CsvProvider
from market.provider import LocalProvider, SourceUnavailableError
from market.refresh import BACKFILL_GRACE, refresh
from market.sessions import last_final_session, now_utc, open_session
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


class Freshness(NamedTuple):
    """How current a ticker's bars are: for ``r2k read --json`` and the page."""

    stale: bool
    """True when the last session's bar could not be fetched (only a stored copy is shown)."""
    last_bar: date | None
    in_progress: date | None
    """The date of a bar of a session still open, shown after the stored ones."""
    problem: str | None


class MarketData:
    """Bars, universe and closes of one source, fetched on demand when the source is live.

    ``now`` is the clock of sessions (which bars are final); ``today`` the date the data must
    reach (default: ``now``'s date in New York); ``clock`` paces refetches.
    """

    def __init__(
        self,
        source: ResolvedSource,
        today: Callable[[], date] | None = None,
        clock: Callable[[], float] = time.monotonic,
        history_years: int = 12,
        now: Callable[[], datetime] = now_utc,
    ) -> None:
        self.source = source
        self._history_years = history_years
        self._now = now
        self._today = today
        self._clock = clock
        self._last_fetch: dict[str, float] = {}
        self._last_live: dict[str, float] = {}
        self._problems: dict[str, str] = {}
        self._provisional: dict[str, pd.DataFrame] = {}
        self._whole: set[str] = set()
        """Tickers whose whole history was asked for in this process (some have no more)."""
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
            elif self._should_fetch_live(symbol):
                self._fetch_live(symbol)
            if not self._is_stale(stored):
                self._problems.pop(symbol, None)
            stored = self._with_provisional(symbol, stored)
        if stored is None or stored.empty:
            problem = self._problems.get(symbol) or self._damaged(symbol)
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

    def universe_problem(self) -> str | None:
        """Why there is no universe, when its stored file was damaged (else None)."""
        if self.source.mode == DIRECT or "universe.parquet" not in self.source.store.set_aside():
            return None
        return (
            "The stored Russell 2000 membership was damaged and set aside: it is fetched "
            "again at the next refresh from Yahoo Finance."
        )

    def freshness(self, ticker: str) -> Freshness:
        """Whether ``ticker``'s bars are stale, their last date, and a bar in progress.

        Reads what ``daily_bars`` left: call it after that. Stale: a live source could not
        bring it up to date, or a stored copy (Yahoo unreachable) lacks the last session.
        The demo market and CSV files are what they are: never stale.
        """
        symbol = parse_ticker(ticker) or ticker
        if self.source.mode == DIRECT:
            return Freshness(False, None, None, None)
        stored = self._with_provisional(symbol, self.source.store.read_bars(symbol))
        last = None if stored is None or stored.empty else stored.index[-1].date()
        provisional = self._provisional.get(symbol)
        shown = provisional is not None and last == provisional.index[-1].date()
        problem = self._problems.get(symbol)
        if self.source.mode != LIVE and self._is_stale(stored):
            problem = self.source.note or f"{self.source.label} cannot be updated"
        return Freshness(problem is not None, last, last if shown else None, problem)

    def stale_note(self) -> str | None:
        """One line when a live ticker could not be brought up to date (for the badge)."""
        if not self._problems:
            return None
        ticker, problem = next(reversed(self._problems.items()))
        return f"stale: {ticker} could not be updated ({problem})"

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

        From the store, as float32 over its memory-mapped closes file, which every worker
        shares (``Store.mapped_closes``); for CSV files once they are imported (waiting for
        the import), the universe's tickers only, on the dates they have closes. The demo
        market's closes are the float64 ones its bars are drawn from, mapped from its own
        file (``market.demo_file``): a float32 copy would add to its memory, not share it.
        """
        provider = self.source.provider
        if self._import is not None:
            self._import.wait()
            closes = self.source.store.mapped_closes()
            universe = self.universe()
            if universe is None or set(universe["ticker"]).issuperset(closes.columns):
                return closes
            return closes.loc[:, closes.columns.isin(universe["ticker"])].dropna(how="all")
        if self.source.mode == DIRECT and isinstance(provider, LocalProvider):
            return provider.closes()
        return self.source.store.mapped_closes()

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
        self._last_fetch[symbol] = self._last_live[symbol] = self._clock()
        summary = refresh(
            self.source.provider,
            self.source.store,
            [symbol],
            today=self._target_day(),
            history_years=self._history_years,
            lock_timeout=FETCH_LOCK_SECONDS,
            update_closes=False,
            now=self._now(),
            backfill=symbol not in self._whole,
        )
        problem = summary.error or summary.failed.get(symbol)
        if problem:
            self._problems[symbol] = problem
        else:
            self._problems.pop(symbol, None)
            self._whole.add(symbol)
        if symbol in summary.provisional:
            self._provisional[symbol] = summary.provisional[symbol]

    def _fetch_live(self, symbol: str) -> None:
        """Ask for the bar of the session in progress (the stored ones are up to date)."""
        self._last_live[symbol] = self._clock()
        session = open_session(self._now())
        if session is None:
            return
        try:
            result = self.source.provider.bars([symbol], session.date(), session.date())
        except SourceUnavailableError as error:
            self._problems[symbol] = str(error)
            return
        bars = result.bars.get(symbol)
        if bars is not None and not bars.empty:
            self._provisional[symbol] = bars.loc[bars.index >= session]

    def _damaged(self, symbol: str) -> str | None:
        if not self.source.store.bars_set_aside(symbol):
            return None
        return (
            f"the stored file of {symbol} was damaged and set aside: it is fetched again "
            f"when {self.source.provider.name.capitalize()} answers"
        )

    def _should_fetch(self, symbol: str, stored: pd.DataFrame | None) -> bool:
        last = self._last_fetch.get(symbol)
        if last is not None and self._clock() - last < REFETCH_SECONDS:
            return False
        return self._is_stale(stored) or (symbol not in self._whole and self._shallow(stored))

    def _should_fetch_live(self, symbol: str) -> bool:
        last = self._last_live.get(symbol)
        if last is not None and self._clock() - last < REFETCH_SECONDS:
            return False
        session = open_session(self._now())
        return session is not None and session.date() == self._target_day()

    def _with_provisional(self, symbol: str, stored: pd.DataFrame | None) -> pd.DataFrame | None:
        """``stored`` followed by the bars in progress (none once their session closed)."""
        provisional = self._provisional.get(symbol)
        if provisional is None or stored is None or stored.empty:
            return stored
        final = last_final_session(self._now())
        later = provisional.loc[(provisional.index > stored.index[-1])]
        if later.empty or later.index[0] <= final:
            self._provisional.pop(symbol, None)
            return stored
        return pd.concat([stored, later])

    def _target_day(self) -> date:
        if self._today is not None:
            return self._today()
        return pd.Timestamp(self._now()).tz_convert("America/New_York").date()

    def _is_stale(self, stored: pd.DataFrame | None) -> bool:
        """True when ``stored`` lacks the last session closed by now (up to the target day)."""
        if stored is None or stored.empty:
            return True
        return bool(stored.index[-1] < last_final_session(self._now(), self._target_day()))

    def _shallow(self, stored: pd.DataFrame | None) -> bool:
        """True when ``stored`` starts later than ``history_years`` ago (a universe member)."""
        if stored is None or stored.empty:
            return False
        start = pd.Timestamp(self._target_day()) - pd.DateOffset(years=self._history_years)
        return bool(stored.index[0] > start + BACKFILL_GRACE)

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
