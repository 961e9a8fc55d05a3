"""Figure 6: reading the whole universe's closes, and an incremental refresh of 2,000 tickers.

The demo market is refreshed into a temporary store (setup, not measured). Read:
``Store.read_closes()`` beside a bare ``pyarrow.parquet.read_table(...).to_pandas()`` of the
same file; and the same closes mapped as float32 from closes.arrow (``Store.mapped_closes``
in a fresh ``Store``, as a newly started worker does) beside a bare ``pa.ipc`` map of it.
Refresh: one more session for every ticker through a fake provider that sleeps
200 ms per batch request, beside its floor: the requests' latency alone (batches x 200 ms).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.report import Row
from bench.timing import paired, seconds
from market.demo import DEMO_END, DemoProvider
from market.provider import FetchResult
from market.refresh import refresh
from market.store import Store

FIGURE = "6 Store"
LATENCY = 0.2
CHUNK_SIZE = 100
NEXT_SESSION = date(2026, 11, 23)
"""The Monday after the demo market's last session (Friday 20 November 2026)."""


class SlowProvider:
    """Answers from bars prepared in memory, after 200 ms per batch request, like a far API."""

    name = "slow-demo"
    simulated = True

    def __init__(self, market: DemoProvider, bars: dict[str, pd.DataFrame], latency: float) -> None:
        self._universe = market.universe()
        self._bars = bars
        self._latency = latency
        self.index_ticker = market.index_ticker
        self.benchmark_ticker = market.benchmark_ticker
        self.requests = 0
        self.waited = 0.0

    def universe(self) -> pd.DataFrame:
        return self._universe

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        started = time.perf_counter()
        self.requests += 1
        time.sleep(self._latency)
        first, last = pd.Timestamp(start or date.min), pd.Timestamp(end or date.max)
        found = {t: self._bars[t].loc[first:last] for t in tickers if t in self._bars}
        self.waited += time.perf_counter() - started
        return FetchResult(bars=found)


def next_session_bars(market: DemoProvider, tickers: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The last month of every ticker's bars plus one new session (the Monday after)."""
    month_ago = (pd.Timestamp(DEMO_END) - pd.Timedelta(days=31)).date()
    recent = market.bars(list(tickers), month_ago, DEMO_END).bars
    return {ticker: _one_more_session(bars) for ticker, bars in recent.items()}


def _one_more_session(bars: pd.DataFrame) -> pd.DataFrame:
    last = bars.iloc[[-1]]
    extra = last.set_axis(pd.DatetimeIndex([pd.Timestamp(NEXT_SESSION)], name="date"))
    extra = extra.assign(open=last["close"].to_numpy(), volume=last["volume"].to_numpy())
    return pd.concat([bars, extra])


def floor_closes(store: Store) -> pd.DataFrame:
    """The closes file read with nothing but pyarrow."""
    return pq.read_table(store.closes_path).to_pandas()


def floor_mapped(store: Store) -> pa.Table:
    """The closes.arrow file mapped with nothing but pyarrow (no checks, no frame)."""
    return pa.ipc.open_file(pa.memory_map(str(store.mapped_closes_path))).read_all()


def floor_demo(shape: tuple[int, int]) -> pd.DataFrame:
    """The least a simulated market of this shape costs: one random walk per column."""
    steps = np.random.default_rng(0).standard_normal(shape) * 0.01
    return pd.DataFrame(100.0 * np.exp(np.cumsum(steps, axis=0)))


def measure(repeat: int = 5) -> list[Row]:
    """Build the demo market; read the closes of a refreshed demo store; refresh one more day."""
    build_s = seconds(lambda: DemoProvider().closes())
    market = DemoProvider()
    demo_shape = market.closes().shape
    demo_floor_s = seconds(lambda: floor_demo(demo_shape))
    with tempfile.TemporaryDirectory(prefix="r2k-bench-store-") as directory:
        store = Store(Path(directory) / "demo")
        setup = seconds(lambda: refresh(market, store, today=DEMO_END))
        ours_s, floor_s = paired(store.read_closes, lambda: floor_closes(store), repeat, 1)
        shape = store.read_closes().shape
        store.mapped_closes()  # writes closes.arrow once, as the first worker does
        mapped_s, mapped_floor_s = paired(
            lambda: Store(store.root).mapped_closes(), lambda: floor_mapped(store), repeat, 1
        )
        float64_mb = store.read_closes().memory_usage(index=False).sum() / 1e6
        mapped_mb = store.mapped_closes_path.stat().st_size / 1e6
        tickers = [market.index_ticker, market.benchmark_ticker, *market.universe()["ticker"]]
        provider = SlowProvider(market, next_session_bars(market, tickers), LATENCY)
        summary = None

        def incremental() -> None:
            nonlocal summary
            summary = refresh(provider, store, today=NEXT_SESSION, chunk_size=CHUNK_SIZE)

        refresh_s = seconds(incremental)
    assert summary is not None
    batches = math.ceil(summary.fetched / CHUNK_SIZE)
    return [
        Row(
            FIGURE,
            "build the demo market",
            build_s * 1e3,
            "ms",
            demo_floor_s * 1e3,
            note=f"{demo_shape[1]:,} constituents x {demo_shape[0]:,} days, OHLCV, deterministic; "
            "floor: one random walk of that shape",
        ),
        Row(
            FIGURE,
            "read all closes",
            ours_s * 1e3,
            "ms",
            floor_s * 1e3,
            note=f"{shape[1]:,} tickers x {shape[0]:,} days; median of {repeat}; "
            f"full refresh to fill the store took {setup:.1f} s",
        ),
        Row(
            FIGURE,
            "map all closes (float32, shared)",
            mapped_s * 1e3,
            "ms",
            mapped_floor_s * 1e3,
            note=f"a new process's first map, CRC checked; median of {repeat}; each worker holds "
            f"no copy (a {mapped_mb:.0f} MB file all workers share) instead of "
            f"{float64_mb:.0f} MB of float64 read",
        ),
        Row(
            FIGURE,
            "refresh +1 day",
            refresh_s,
            "s",
            provider.requests * LATENCY,
            note=f"{summary.fetched:,} tickers in {provider.requests} requests "
            f"(chunks of {CHUNK_SIZE}, {batches} minimum) at {LATENCY * 1e3:.0f} ms each; "
            f"{provider.waited:.1f} s in requests, the rest reading and writing the store; "
            "floor: the requests' latency",
        ),
    ]
