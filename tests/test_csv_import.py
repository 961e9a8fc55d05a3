"""The csv:DIR import: pyarrow's reader equals the careful one, changed files alone re-read."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import market.csv_import
from app import create_services
from callbacks.movers import movers_view
from components.view_state import ViewState
from market.csv_import import (
    MANIFEST,
    BackgroundImport,
    ImportProgress,
    import_directory,
    read_manifest,
)
from market.csv_source import CsvProvider, _read_plain, parse_bars_csv, read_bars_csv
from market.store import Store
from settings import Settings

FIXTURES = Path(__file__).parent / "data" / "csv"


def yahoo_file(path: Path, start: str, count: int, seed: int, adjusted: bool = False) -> None:
    """A Yahoo download of ``count`` sessions with prices of many decimals."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=count)
    close = (50 * np.exp(np.cumsum(rng.normal(0, 0.02, count)))).tolist()
    lines = ["Date,Open,High,Low,Close" + (",Adj Close" if adjusted else "") + ",Volume"]
    for day, value in zip(dates, close, strict=True):
        cells = [f"{value * 0.99!r}", f"{value * 1.02!r}", f"{value * 0.97!r}", f"{value!r}"]
        if adjusted:
            cells.append(f"{value * 0.95!r}")
        lines.append(f"{day:%Y-%m-%d}," + ",".join(cells) + f",{int(rng.integers(1e5, 1e6))}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    """The fixture files plus 30 generated tickers, one with Adj Close."""
    directory = tmp_path / "prices"
    shutil.copytree(FIXTURES, directory)
    (directory / "universe.csv").unlink()
    for n in range(30):
        yahoo_file(directory / f"T{n:02d}.csv", "2023-01-02", 300, seed=n, adjusted=n == 0)
    return directory


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Which tickers' files the import reads."""
    counted: Counter[str] = Counter()
    original = market.csv_import.read_bars_csv

    def counting(path: Path, ticker: str | None = None) -> pd.DataFrame:
        counted[str(ticker)] += 1
        return original(path, ticker)

    monkeypatch.setattr(market.csv_import, "read_bars_csv", counting)
    return counted


def _careful(path: Path, ticker: str) -> pd.DataFrame:
    return parse_bars_csv(path.read_bytes().decode("utf-8-sig"), str(path), ticker)


@pytest.mark.parametrize("name", ["ABCL", "KRE", "MOG-A", "SPY", "IWM", "T00", "T07"])
def test_the_fast_reader_equals_the_careful_parser(prices, name):
    path = prices / f"{name}.csv"
    pd.testing.assert_frame_equal(read_bars_csv(path, name), _careful(path, name), check_freq=False)
    plain = re.match(r"Date,[^\n]*\n\d{4}-", path.read_text()) is not None
    assert (_read_plain(path.read_bytes()) is not None) == plain  # pyarrow read it


@pytest.mark.parametrize(
    "body",
    [
        "Date,Open,High,Low,Close,Volume\n2025-01-02,1,2,0.5,1.5,10,99\n",
        "Date,Open,High,Low,Close,Volume\n2025-01-02, 1,2,0.5,1.5,10\n",
        "Date,Open,High,Low,Close,Volume\n2025-13-02,1,2,0.5,1.5,10\n",
        "Date,Open,High,Low,Close,Volume\n02/01/2025,1,2,0.5,1.5,10\n",
    ],
)
def test_files_the_fast_reader_rejects_get_the_careful_parsers_answer(tmp_path, body):
    path = tmp_path / "X.csv"
    path.write_text(body)
    try:
        expected: object = _careful(path, "X")
    except ValueError as error:
        with pytest.raises(type(error), match=r"X\.csv"):
            read_bars_csv(path, "X")
        return
    pd.testing.assert_frame_equal(read_bars_csv(path, "X"), expected)


def test_the_import_stores_every_file_and_its_closes(prices, tmp_path, reads):
    provider = CsvProvider(prices)
    store = Store(tmp_path / "store")
    seen: list[ImportProgress] = []

    result = import_directory(provider, store, seen.append, readers=3)

    files = provider.ticker_files()
    assert set(reads) == set(files) and set(reads.values()) == {1}
    assert result.finished and result.done == result.total == len(files)
    assert set(result.failed) == {"BAD"}
    assert seen[0].done == 0 and seen[-1] == result
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    good = [t for t in files if t != "BAD"]
    closes = store.read_closes()
    assert sorted(closes.columns) == sorted(good)
    for ticker in good:
        expected = read_bars_csv(files[ticker], ticker)["close"]
        column = closes[ticker].dropna()
        np.testing.assert_array_equal(column.to_numpy(), expected.to_numpy())
        assert column.index.equals(expected.index)
    assert store.tickers() == []  # the bars stay in the user's files
    assert set(read_manifest(store)) == set(files)


def test_after_a_change_only_that_file_is_read_again(prices, tmp_path, reads):
    provider = CsvProvider(prices)
    store = Store(tmp_path / "store")
    import_directory(provider, store)
    reads.clear()

    assert import_directory(provider, store).total == 0
    assert reads == Counter()

    changed = prices / "T05.csv"
    lines = changed.read_text().splitlines()
    last = lines[-1].split(",")
    last[4] = "123.456"
    lines[-1] = ",".join(last)
    changed.write_text("\n".join(lines) + "\n")
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    result = import_directory(provider, store)

    assert reads == Counter({"T05": 1})
    assert result.total == 1
    closes = store.read_closes()
    assert closes["T05"].dropna().iloc[-1] == 123.456
    for ticker, path in provider.ticker_files().items():
        if ticker != "BAD":
            expected = read_bars_csv(path, ticker)["close"].to_numpy()
            np.testing.assert_array_equal(closes[ticker].dropna().to_numpy(), expected)


def test_an_unreadable_manifest_means_everything_is_read_again(prices, tmp_path, reads):
    provider = CsvProvider(prices)
    store = Store(tmp_path / "store")
    import_directory(provider, store)
    (store.root / MANIFEST).write_text("{not json")
    reads.clear()

    import_directory(provider, store)

    assert set(reads) == set(provider.ticker_files())


def test_the_background_import_says_how_far_it_is_while_another_holds_the_lock(prices, tmp_path):
    store = Store(tmp_path / "store")
    importer = BackgroundImport(CsvProvider(prices), store)
    with store.lock():
        progress = importer.progress()
        assert progress is not None and not progress.finished
    importer.wait()
    assert importer.progress() is None
    assert "T01" in store.read_closes().columns
    assert not any(t.name == "csv-import" and t.is_alive() for t in threading.enumerate())


def test_the_page_says_the_import_is_running_then_ranks_from_the_store(prices, tmp_path):
    (prices / "universe.csv").write_text(
        "Ticker,Name,Sector,Weight\n"
        + "".join(f"T{n:02d},Name {n},Industrials,{1 / 30}\n" for n in range(30))
    )
    settings = Settings(source=f"csv:{prices}", cache_dir=tmp_path / "cache")
    services = create_services(settings)
    store = services.market.source.store
    with store.lock():  # another worker imports: this one waits and says so
        services = create_services(settings)
        view = movers_view(services, ViewState(ticker="IWM", period="1m"))
        assert view.ranked == {} and "Importing your CSV files" in view.note
    services.market.closes()
    view = movers_view(services, ViewState(ticker="IWM", period="1m"))
    assert len(view.ranked["ticker"]) == 30 and "30 constituents ranked" in view.note
    direct = CsvProvider(prices).closes()
    pd.testing.assert_frame_equal(  # the store's closes are mapped as float32
        services.market.closes(),
        direct,
        check_names=False,
        check_freq=False,
        check_dtype=False,
        check_exact=False,
        rtol=1e-6,
    )


def test_a_running_server_imports_a_file_changed_after_a_rescan(prices, tmp_path, reads):
    now = [0.0]
    store = Store(tmp_path / "store")
    importer = BackgroundImport(CsvProvider(prices), store, rescan_seconds=60, clock=lambda: now[0])
    importer.wait()
    changed = prices / "T03.csv"
    lines = changed.read_text().splitlines()
    cells = lines[-1].split(",")
    cells[4] = "77.5"
    lines[-1] = ",".join(cells)
    changed.write_text("\n".join(lines) + "\n")
    reads.clear()

    now[0] = 30.0
    assert importer.progress() is None  # too soon: no rescan, the stored closes stand
    importer.join()
    assert reads == Counter()
    now[0] = 61.0
    assert importer.progress() is None  # rescans in the background; old closes meanwhile
    importer.join()

    assert reads == Counter({"T03": 1})
    assert store.read_closes()["T03"].dropna().iloc[-1] == 77.5
