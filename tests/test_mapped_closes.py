"""The memory-mapped float32 closes: equal to the store's, derived from it, never served stale
or damaged."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.contributions import contributions
from analysis.movers import movers
from market.mapped_closes import map_closes, write_mapped_closes
from market.store import Store
from tests.store_fakes import synthetic_bars

REPO = Path(__file__).resolve().parent.parent
TICKERS = [f"T{i:02d}" for i in range(12)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store")
    for i, ticker in enumerate(TICKERS):  # listed on different days: NaN before each start
        start = pd.Timestamp("2021-01-04") + pd.Timedelta(days=9 * i)
        store.write_bars(ticker, synthetic_bars(ticker, start, "2024-06-28"))
    store.rebuild_closes()
    return store


def _assert_float32_of(mapped: pd.DataFrame, closes: pd.DataFrame) -> None:
    assert (mapped.dtypes == "float32").all()
    assert list(mapped.columns) == list(closes.columns)
    assert mapped.index.equals(closes.index) and mapped.index.name == "date"
    values = mapped.to_numpy()
    np.testing.assert_array_equal(np.isnan(values), np.isnan(closes.to_numpy()))
    np.testing.assert_array_equal(values, closes.to_numpy(dtype="float32"))


def test_mapped_closes_are_the_stores_closes_in_float32(store: Store) -> None:
    mapped = store.mapped_closes()

    _assert_float32_of(mapped, store.read_closes())
    assert store.mapped_closes_path.exists()
    assert not mapped.to_numpy().flags.writeable  # a view of the mapped file, not a copy
    assert store.mapped_closes() is mapped  # mapped once while the files stay as they are
    assert not list(store.root.glob(".*.tmp"))


def test_another_process_maps_the_same_file_without_writing_it(store: Store) -> None:
    store.mapped_closes()
    before = store.mapped_closes_path.stat()
    script = textwrap.dedent(
        f"""
        from market.store import Store
        closes = Store({str(store.root)!r}).mapped_closes()
        print(closes.shape, closes.to_numpy().flags.writeable)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )

    assert done.stdout.split() == [
        "(" + f"{len(store.read_closes())},",
        f"{len(TICKERS)})",
        "False",
    ]
    after = store.mapped_closes_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_mapped_file_is_written_again_when_bars_change(store: Store) -> None:
    first = store.mapped_closes()
    written = store.mapped_closes_path.stat().st_ino

    store.write_bars("T03", synthetic_bars("T03", "2024-06-03", "2024-07-31", factor=2.0))
    store.write_bars("NEW", synthetic_bars("NEW", "2024-01-02", "2024-07-31"))
    store.rebuild_closes()
    mapped = store.mapped_closes()

    assert mapped is not first and store.mapped_closes_path.stat().st_ino != written
    _assert_float32_of(mapped, store.read_closes())
    assert "NEW" in mapped.columns
    assert mapped["T03"].dropna().index[-1] == pd.Timestamp("2024-07-31")


def test_a_fresh_process_does_not_serve_a_file_that_lags_the_store(store: Store) -> None:
    store.mapped_closes()
    store.write_bars("T00", synthetic_bars("T00", "2024-06-03", "2024-07-31", factor=3.0))
    store.rebuild_closes()

    mapped = Store(store.root).mapped_closes()

    _assert_float32_of(mapped, store.read_closes())


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_mapped_file_is_written_again_not_served(store: Store, damage: str) -> None:
    expected = store.mapped_closes()
    path = store.mapped_closes_path
    data = bytearray(path.read_bytes())
    if damage == "flip":  # one bit of one close, in the middle of the values
        value = np.float32(expected.iloc[-1, len(TICKERS) // 2]).tobytes()
        at = bytes(data).find(value)
        assert at > 0
        data[at] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not an arrow file" * 10)
    path.write_bytes(bytes(data))

    mapped = Store(store.root).mapped_closes()

    _assert_float32_of(mapped, store.read_closes())
    assert path.read_bytes() != bytes(data)


def test_map_closes_serves_only_the_copy_it_was_derived_from(tmp_path: Path) -> None:
    dates = pd.bdate_range("2024-01-01", periods=5, name="date")
    closes = pd.DataFrame({"AAA": [1.0, 2.0, np.nan, 4.0, 5.5], "BBB": np.nan}, index=dates)
    path = tmp_path / "closes.arrow"
    write_mapped_closes(closes, path, "copy 1")

    assert map_closes(path, "copy 2") is None
    assert map_closes(tmp_path / "absent.arrow", "copy 1") is None
    mapped = map_closes(path, "copy 1")
    assert mapped is not None
    _assert_float32_of(mapped, closes)
    with pytest.raises(ValueError, match="DatetimeIndex"):
        write_mapped_closes(closes.reset_index(), path, "copy 1")


def test_an_empty_store_maps_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty")

    closes = store.mapped_closes()

    assert closes.empty and not store.mapped_closes_path.exists()


def test_movers_rank_the_mapped_closes_as_the_stores(store: Store) -> None:
    universe = pd.DataFrame(
        {
            "ticker": TICKERS,
            "name": TICKERS,
            "sector": ["Energy", "Financials"] * (len(TICKERS) // 2),
            "weight": 1.0 / len(TICKERS),
        }
    )
    exact = movers(store.read_closes(), universe, "3M", n=len(TICKERS))
    mapped = store.mapped_closes()

    ranked = movers(mapped, universe, "3M", n=len(TICKERS))
    shares = contributions(mapped, ranked)

    assert list(ranked.top["ticker"]) == list(exact.top["ticker"])
    assert ranked.top["return_pct"].dtype == "float64"
    # float32 prices: returns within a ten-thousandth of a percentage point
    np.testing.assert_allclose(ranked.top["return_pct"], exact.top["return_pct"], atol=1e-4)
    expected = contributions(store.read_closes(), exact).total_pct
    assert shares.total_pct == pytest.approx(expected, abs=1e-4)
