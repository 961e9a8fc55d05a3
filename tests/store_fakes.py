"""A fake provider for store and refresh tests: deterministic bars, recorded calls, failures."""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from market.bars import to_bars
from market.provider import FetchResult, SourceUnavailableError
from market.store import Store
from market.universe import make_universe

ORIGIN = pd.Timestamp("2000-01-03")
"""The first session every synthetic ticker trades."""


def synthetic_bars(ticker: str, start: date | str, end: date | str, factor: float = 1.0):
    """Bars of ``ticker`` on the business days from ``start`` to ``end``: same input, same bars.

    ``factor`` scales prices, as a re-adjustment for a dividend or split would.
    """
    first = max(pd.Timestamp(start), ORIGIN)
    dates = pd.bdate_range(first, pd.Timestamp(end), name="date")
    base = 10.0 + zlib.crc32(ticker.encode()) % 90
    days = np.asarray((dates - ORIGIN).days, dtype="float64")
    close = (base + np.sin(days / 17.0) + days / 1000.0) * factor
    frame = pd.DataFrame(
        {
            "Open": close * 0.99,
            "High": close * 1.01,
            "Low": close * 0.98,
            "Close": close,
            "Volume": 1000.0 + days,
        },
        index=dates,
    )
    bars = to_bars(frame)
    bars.index = pd.DatetimeIndex(bars.index.to_numpy(), name="date")  # as read back: no freq
    return bars


class FakeProvider:
    """A Provider that serves ``synthetic_bars`` and records every ``bars`` call.

    ``missing`` tickers come back empty, ``failed`` ones fail with their reason,
    ``unavailable`` makes ``bars`` raise ``SourceUnavailableError`` (after ``calls_before_down``
    successful calls), ``factors`` re-scale a ticker's prices, ``delay`` slows each call.
    """

    name = "fake"
    simulated = True
    index_ticker = "IDX"
    benchmark_ticker = "BENCH"

    def __init__(
        self,
        members: Sequence[str] = (),
        *,
        missing: Sequence[str] = (),
        failed: dict[str, str] | None = None,
        unavailable: bool = False,
        calls_before_down: int = 0,
        universe_down: bool = False,
        factors: dict[str, float] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.members = list(members)
        self.missing = set(missing)
        self.failed = dict(failed or {})
        self.unavailable = unavailable
        self.calls_before_down = calls_before_down
        self.universe_down = universe_down
        self.factors = dict(factors or {})
        self.delay = delay
        self.calls: list[tuple[tuple[str, ...], date | None, date | None]] = []

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        if self.unavailable and len(self.calls) >= self.calls_before_down:
            raise SourceUnavailableError("fake source is down")
        self.calls.append((tuple(tickers), start, end))
        time.sleep(self.delay)
        found = {
            t: synthetic_bars(t, start or ORIGIN, end or date.today(), self.factors.get(t, 1.0))
            for t in tickers
            if t not in self.missing and t not in self.failed
        }
        return FetchResult(
            bars=found,
            missing=tuple(t for t in tickers if t in self.missing),
            failed={t: r for t, r in self.failed.items() if t in tickers},
        )

    def universe(self) -> pd.DataFrame:
        if self.universe_down:
            raise SourceUnavailableError("fake holdings are down")
        return make_universe(
            pd.DataFrame(
                {
                    "ticker": self.members,
                    "name": [f"{t} Inc." for t in self.members],
                    "sector": ["Financials"] * len(self.members),
                    "weight": [1.0 / max(len(self.members), 1)] * len(self.members),
                }
            )
        )


def stored_bars(store: Store, ticker: str) -> pd.DataFrame:
    """The stored bars of ``ticker``, failing the test when there are none."""
    bars = store.read_bars(ticker)
    assert bars is not None, f"no bars stored for {ticker}"
    return bars


def stored_universe(store: Store) -> pd.DataFrame:
    """The stored universe, failing the test when there is none."""
    universe = store.read_universe()
    assert universe is not None, "no universe stored"
    return universe
