"""What every data source answers: bars for tickers, and the index's universe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

import pandas as pd

from market.universe import make_universe


class SourceUnavailableError(RuntimeError):
    """The data source could not be reached at all (no network, hang, refused)."""


class DataFormatError(ValueError):
    """A file or response is not in the format we expected; the message says what was wrong."""


@dataclass(frozen=True)
class FetchResult:
    """The outcome of asking a provider for bars.

    ``bars`` holds only tickers that came back with data; ``missing`` the ones that came
    back empty (unknown or delisted); ``failed`` the ones whose request failed, with why;
    ``requests`` how many HTTP requests it took (0 when the source is not on the network).
    """

    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0


@dataclass(frozen=True)
class SymbolResolution:
    """What became of universe tickers that Yahoo knew nothing about.

    ``renamed`` maps each one Yahoo knows under its other spelling to that symbol
    (``MOG-A`` -> ``MOGA``), ``bars`` holds their Bars under that symbol, and ``unresolved``
    lists the ones still without data.
    """

    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    unresolved: tuple[str, ...] = ()

    def apply(self, universe: pd.DataFrame) -> pd.DataFrame:
        """``universe`` with renamed tickers replaced by the symbols Yahoo answers to."""
        tickers = universe["ticker"].replace(self.renamed)
        return make_universe(universe.assign(ticker=tickers).drop_duplicates("ticker"))


class Provider(Protocol):
    """A source of market data. ``simulated`` providers must be labelled as such."""

    name: str
    simulated: bool
    index_ticker: str
    """The ticker of the index the universe belongs to (IWM, DEMO-R2K)."""
    benchmark_ticker: str
    """The default ticker to compare the index against (SPY; the demo index in demo)."""

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        """Daily Bars for ``tickers`` between ``start`` and ``end`` (inclusive)."""
        ...

    def universe(self) -> pd.DataFrame:
        """The index's constituents as a Universe frame."""
        ...


@runtime_checkable
class LocalProvider(Provider, Protocol):
    """A provider whose data is all on this machine (demo, CSV files): no store needed."""

    def closes(self) -> pd.DataFrame:
        """Daily closes of every constituent, wide: date index by ticker columns."""
        ...


@runtime_checkable
class SymbolResolver(Protocol):
    """A provider that can find tickers it knows under another spelling (``MOG-A``/``MOGA``)."""

    def resolve_missing(
        self, missing: Sequence[str], start: date | None = None, end: date | None = None
    ) -> SymbolResolution:
        """Bars of the missing tickers under their other spelling, and which stay unknown."""
        ...
