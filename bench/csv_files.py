"""Figure 11: a ``csv:DIR`` of 2,000 tickers x 5 years: first page, import, one changed file.

A directory of Yahoo downloads (2,000 constituents, an index, a universe.csv) is generated
(setup, not measured). Cold: from building the services (which starts the import in the
background) to the page and its layout answered, as a worker does it; then until the
import has finished (the tables can fill). Floor of the import: pyarrow reading every file
on as many threads, nothing else. Then one file changes and the import runs again: how long,
and how many files it read.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

import market.csv_import
from bench.report import COUNT, Row
from market.csv_import import READERS, import_directory
from market.csv_source import CsvProvider, read_bars_csv
from settings import Settings

FIGURE = "11 CSV files"
TICKERS = 2000
SESSIONS = 5 * 252
FIRST_PAGE_GOAL = 5.0


def write_directory(directory: Path, tickers: int = TICKERS, sessions: int = SESSIONS) -> None:
    """Yahoo downloads of ``tickers`` random walks plus IWM, and a universe.csv naming them."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2000)
    dates = pd.bdate_range(end="2026-11-20", periods=sessions).strftime("%Y-%m-%d").to_numpy()
    names = [f"C{n:04d}" for n in range(tickers)]
    for ticker in [*names, "IWM"]:
        close = 40 * np.exp(np.cumsum(rng.normal(0, 0.02, sessions)))
        frame = pd.DataFrame(
            {
                "Date": dates,
                "Open": close * 0.995,
                "High": close * 1.01,
                "Low": close * 0.985,
                "Close": close,
                "Adj Close": close,
                "Volume": rng.integers(10_000, 1_000_000, sessions),
            }
        )
        frame.to_csv(directory / f"{ticker}.csv", index=False, float_format="%.4f")
    sectors = ["Financials", "Health Care", "Industrials", "Information Technology"]
    universe = pd.DataFrame(
        {
            "Ticker": names,
            "Name": [f"Company {t}" for t in names],
            "Sector": [sectors[n % len(sectors)] for n in range(tickers)],
            "Weight": 1.0 / tickers,
        }
    )
    universe.to_csv(directory / "universe.csv", index=False)


def floor_read(directory: Path) -> float:
    """Seconds pyarrow takes to read every file of ``directory``, ``READERS`` at a time."""
    files = sorted(directory.glob("*.csv"))
    options = pacsv.ReadOptions(use_threads=False)
    started = time.perf_counter()
    with ThreadPoolExecutor(READERS) as pool:
        list(pool.map(lambda path: pacsv.read_csv(path, read_options=options), files))
    return time.perf_counter() - started


def measure() -> list[Row]:
    """The figure's rows (one cold run: a second would not be cold)."""
    from app import create_app, create_services  # the app's imports are not part of setup

    with tempfile.TemporaryDirectory(prefix="r2k-bench-csv-") as root:
        directory = Path(root) / "prices"
        write_directory(directory)
        settings = Settings(source=f"csv:{directory}", cache_dir=Path(root) / "cache")
        started = time.perf_counter()
        services = create_services(settings)
        client = create_app(settings, services).server.test_client()
        page = client.get("/")
        layout = client.get("/_dash-layout")
        first_page = time.perf_counter() - started
        progress = services.market.import_progress()
        services.market.closes()  # waits for the import
        imported = time.perf_counter() - started
        statuses = f"page {page.status_code}, layout {layout.status_code}"
        bare = floor_read(directory)

        provider, store = CsvProvider(directory), services.market.source.store
        changed = directory / "C0042.csv"
        bars = read_bars_csv(changed, "C0042")
        changed.write_text(changed.read_text().replace(f"{bars['close'].iloc[-1]:.4f}", "1.2345"))
        reads: list[str] = []
        original = market.csv_import.read_bars_csv

        def counting(path: Path, ticker: str | None = None) -> pd.DataFrame:
            reads.append(str(ticker))
            return original(path, ticker)

        market.csv_import.read_bars_csv = counting
        try:
            again = time.perf_counter()
            import_directory(provider, store)
            reimport = time.perf_counter() - again
        finally:
            market.csv_import.read_bars_csv = original
    shown = "importing" if progress is not None else "import already done"
    return [
        Row(
            FIGURE,
            "first page, cold",
            first_page,
            "s",
            goal_value=FIRST_PAGE_GOAL,
            note=f"{TICKERS:,} files x {SESSIONS:,} sessions; {statuses}; movers: {shown}",
        ),
        Row(
            FIGURE,
            "import, cold (tables ready)",
            imported,
            "s",
            bare,
            note=f"floor: pyarrow reads every file, {READERS} threads, nothing else",
        ),
        Row(FIGURE, "re-import, one file changed", reimport, "s"),
        Row(
            FIGURE,
            "files read by that re-import",
            float(len(reads)),
            COUNT,
            goal_value=1.0,
            note=", ".join(reads[:3]),
        ),
    ]
