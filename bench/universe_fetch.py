"""Figure 9: a first fetch of constituents through the real yfinance, 2 vs 12 years of history.

The provider runs yfinance for real over the fake Yahoo at its HTTP seam
(``bench.fake_yahoo``), which sleeps 200 ms per request like a far API. It counts the HTTP
requests and the bytes Yahoo would send for an empty store asking ``constituents`` tickers
with 2 years of history (what the movers need) beside 12 years (the whole chart's history).
"""

from __future__ import annotations

import tempfile
import warnings
from datetime import date
from pathlib import Path

import pandas as pd

from bench.fake_yahoo import FakeYahoo, at_new_york, daily_history, serving
from bench.report import Row
from bench.timing import seconds
from market.refresh import RefreshSummary, refresh
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings

FIGURE = "9 First universe fetch"
LATENCY = 0.2
TODAY = date(2025, 6, 4)
"""A Wednesday; the fetches run after its close."""


def _fetch(
    history: pd.DataFrame, tickers: list[str], years: int
) -> tuple[float, RefreshSummary, FakeYahoo]:
    fake = FakeYahoo(latency=LATENCY)
    for ticker in tickers:
        fake.add(ticker, history)
    settings = Settings(source="yahoo")
    with (
        warnings.catch_warnings(),  # yfinance 1.7's pandas deprecations, once per ticker
        serving(fake),
        tempfile.TemporaryDirectory(prefix="r2k-bench-fetch-") as directory,
    ):
        warnings.simplefilter("ignore")
        provider = YahooProvider(settings, probe=lambda: True)
        store = Store(Path(directory) / "yahoo")
        summary: list[RefreshSummary] = []
        took = seconds(
            lambda: summary.append(
                refresh(
                    provider,
                    store,
                    tickers,
                    today=TODAY,
                    history_years=years,
                    now=at_new_york(TODAY, 17),
                )
            )
        )
    return took, summary[0], fake


def measure(constituents: int = 100) -> list[Row]:
    """Fetch ``constituents`` tickers into an empty store with 2, then 12 years of history."""
    sessions = pd.bdate_range("2013-01-02", TODAY)
    history = daily_history(sessions[0], len(sessions), base=20.0, step=0.01)
    tickers = [f"T{number:04d}" for number in range(constituents)]
    rows: list[Row] = []
    results = {years: _fetch(history, tickers, years) for years in (2, 12)}
    twelve_s, twelve, twelve_fake = results[12]
    for years, (took, summary, fake) in results.items():
        rows.append(
            Row(
                FIGURE,
                f"{years} years: MB from Yahoo",
                fake.bytes / 1e6,
                "MB",
                twelve_fake.bytes / 1e6,
                note=f"{constituents} tickers, fetched {summary.fetched}, "
                f"{summary.requests} HTTP requests ({fake.requests} seen by the fake Yahoo), "
                f"{took:.1f} s at {LATENCY * 1e3:.0f} ms per request; "
                f"floor column: the 12-year fetch ({twelve.requests} requests, {twelve_s:.1f} s)",
            )
        )
    return rows
