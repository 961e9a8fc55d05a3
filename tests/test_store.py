"""The Parquet store: atomic writes, never less data, corrupt files set aside, wide closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from market.store import Store, Written, _crc
from tests.store_fakes import stored_bars, stored_universe, synthetic_bars

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "fake")


def _universe(tickers: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": tickers,
            "name": [f"{t} Corp" for t in tickers],
            "sector": ["Energy"] * len(tickers),
            "weight": [1.0 / len(tickers)] * len(tickers),
        }
    )


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_bars_round_trip_and_last_date(store: Store) -> None:
    bars = synthetic_bars("BRK-B", "2024-01-01", "2024-06-28")
    assert store.read_bars("BRK-B") is None
    assert store.last_date("BRK-B") is None

    assert store.write_bars("BRK-B", bars)

    pd.testing.assert_frame_equal(stored_bars(store, "BRK-B"), bars)
    assert store.last_date("BRK-B") == pd.Timestamp("2024-06-28")
    assert store.tickers() == ["BRK-B"]


def test_new_rows_merge_over_stored_ones_by_date(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    revised = synthetic_bars("AAA", "2024-03-25", "2024-04-30", factor=1.5)

    assert store.write_bars("AAA", revised)

    stored = stored_bars(store, "AAA")
    assert stored.index[0] == pd.Timestamp("2024-01-01")
    assert stored.index[-1] == pd.Timestamp("2024-04-30")
    assert stored.index.is_unique and stored.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(stored.loc["2024-03-25":], revised)
    pd.testing.assert_frame_equal(
        stored.loc[:"2024-03-22"], synthetic_bars("AAA", "2024-01-01", "2024-03-22")
    )


def test_writing_rows_already_stored_leaves_the_file_alone(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    before = store.bars_path("AAA").stat()

    assert store.write_bars("AAA", synthetic_bars("AAA", "2024-03-01", "2024-03-29"))

    after = store.bars_path("AAA").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_empty_result_does_not_replace_stored_bars(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-06-28"))
    path = store.bars_path("AAA")
    before = path.read_bytes()
    empty = synthetic_bars("AAA", "2024-01-01", "2024-06-28").iloc[0:0]

    assert store.write_bars("AAA", empty) is False

    assert path.read_bytes() == before


def test_shorter_result_does_not_shorten_stored_bars(store: Store) -> None:
    long = synthetic_bars("AAA", "2023-01-02", "2024-06-28")
    store.write_bars("AAA", long)
    short = synthetic_bars("AAA", "2024-06-17", "2024-06-28")

    store.write_bars("AAA", short)

    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), long)


def test_empty_result_is_not_stored_for_a_new_ticker(store: Store) -> None:
    empty = synthetic_bars("AAA", "2024-01-01", "2024-01-31").iloc[0:0]

    assert store.write_bars("AAA", empty) is False

    assert store.read_bars("AAA") is None
    assert store.tickers() == []


def test_bars_of_the_wrong_shape_are_rejected(store: Store) -> None:
    wrong = synthetic_bars("AAA", "2024-01-01", "2024-01-31").drop(columns="volume")
    with pytest.raises(ValueError, match="columns"):
        store.write_bars("AAA", wrong)
    assert store.tickers() == []


@pytest.mark.parametrize(
    "name", ["", "../evil", "A/B", "..", "A..B", ".HIDDEN", "aaa", "X" * 21, "A B", "A\\B"]
)
def test_unsafe_ticker_names_are_refused(store: Store, name: str) -> None:
    bars = synthetic_bars("AAA", "2024-01-01", "2024-01-31")
    with pytest.raises(ValueError, match="is not a ticker"):
        store.write_bars(name, bars)
    with pytest.raises(ValueError, match="is not a ticker"):
        store.read_bars(name)
    assert not (store.root.parent / "evil.parquet").exists()


@pytest.mark.parametrize("name", ["BRK-B", "^RUT", "DEMO-R2K", "EURUSD=X", "BF.B", "IWM"])
def test_yahoo_symbols_are_storable(store: Store, name: str) -> None:
    assert store.write_bars(name, synthetic_bars(name, "2024-01-01", "2024-01-31"))
    assert store.tickers() == [name]


def test_write_interrupted_half_way_keeps_the_old_file(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = synthetic_bars("AAA", "2024-01-01", "2024-03-29")
    store.write_bars("AAA", old)
    real_write_table = pq.write_table

    def write_half_then_fail(table, where, **kwargs):
        real_write_table(table.slice(0, 5), where, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)

    with pytest.raises(OSError, match="disk full"):
        store.write_bars("AAA", synthetic_bars("AAA", "2024-03-25", "2024-06-28"))
    with pytest.raises(OSError, match="disk full"):
        store.write_bars("NEW", synthetic_bars("NEW", "2024-03-25", "2024-06-28"))

    monkeypatch.undo()
    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), old)
    assert store.read_bars("NEW") is None
    assert _entries(store.bars_dir) == ["AAA.parquet"]


def test_process_killed_mid_write_leaves_the_old_file_and_an_ignored_stray(store: Store) -> None:
    old = synthetic_bars("AAA", "2024-01-01", "2024-03-29")
    store.write_bars("AAA", old)
    script = textwrap.dedent(
        f"""
        import os, signal
        import pyarrow.parquet as pq
        from market.store import Store
        from tests.store_fakes import synthetic_bars

        real = pq.write_table
        def die_half_way(table, where, **kwargs):
            real(table.slice(0, 5), where, **kwargs)
            where.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        pq.write_table = die_half_way
        Store({str(store.root)!r}).write_bars(
            "AAA", synthetic_bars("AAA", "2024-03-25", "2024-06-28")
        )
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=60, check=False)
    assert done.returncode == -9
    strays = [n for n in _entries(store.bars_dir) if n != "AAA.parquet"]
    assert len(strays) == 1 and strays[0].startswith(".AAA.parquet.")

    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), old)
    assert store.tickers() == ["AAA"]
    store.rebuild_closes()
    assert list(store.read_closes().columns) == ["AAA"]
    assert store.recover() == []  # a minute may not have passed: it may be a write
    later = (store.bars_dir / strays[0]).stat().st_mtime + 61
    assert store.recover(now=later) == [f"bars/{strays[0]}"]
    assert _entries(store.bars_dir) == ["AAA.parquet"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"garbage, not parquet" * 10),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_bytes(b""),
        lambda path: pd.DataFrame({"x": [1, 2]}).to_parquet(path),
    ],
    ids=["garbage", "truncated", "empty", "wrong-shape"],
)
def test_unreadable_bars_are_set_aside_and_treated_as_absent(store: Store, damage) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    path = store.bars_path("AAA")
    damage(path)
    damaged = path.read_bytes()

    assert store.read_bars("AAA") is None

    assert not path.exists()
    assert store.tickers() == []
    asides = [p for p in store.bars_dir.iterdir() if p.name.startswith("AAA.parquet.corrupt-")]
    assert len(asides) == 1
    assert asides[0].read_bytes() == damaged
    fresh = synthetic_bars("AAA", "2024-04-01", "2024-04-30")
    assert store.write_bars("AAA", fresh)
    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), fresh)


def test_universe_round_trip_and_empty_refused(store: Store) -> None:
    assert store.read_universe() is None
    universe = _universe(["AAA", "BRK-B"])

    assert store.write_universe(universe)
    assert store.write_universe(universe.iloc[0:0]) is False

    pd.testing.assert_frame_equal(stored_universe(store), universe, check_dtype=False)


def test_corrupt_universe_is_set_aside(store: Store) -> None:
    store.write_universe(_universe(["AAA"]))
    store.universe_path.write_bytes(b"\x00" * 100)

    assert store.read_universe() is None

    assert not store.universe_path.exists()
    assert any(p.name.startswith("universe.parquet.corrupt-") for p in store.root.iterdir())


def test_read_closes_matches_the_per_ticker_files(store: Store) -> None:
    tickers = [f"T{i:03d}" for i in range(60)]
    for i, ticker in enumerate(tickers):
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=7 * i)
        store.write_bars(ticker, synthetic_bars(ticker, start, "2024-06-28"))

    store.rebuild_closes()
    closes = store.read_closes()

    assert list(closes.columns) == tickers
    assert closes.index.name == "date"
    assert (closes.dtypes == "float64").all()
    for ticker in tickers:
        pd.testing.assert_series_equal(
            closes[ticker].dropna(), stored_bars(store, ticker)["close"].rename(ticker)
        )
    some = store.read_closes(["T059", "T001", "NOPE"])
    assert list(some.columns) == ["T059", "T001"]
    assert some.index[0] == stored_bars(store, "T001").index[0]
    pd.testing.assert_series_equal(some["T059"].dropna(), closes["T059"].dropna())


def test_rebuild_closes_follows_changed_added_and_removed_files(store: Store) -> None:
    for ticker in ("AAA", "BBB", "CCC"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    store.rebuild_closes()

    store.write_bars("AAA", synthetic_bars("AAA", "2024-03-25", "2024-04-30", factor=2.0))
    store.write_bars("DDD", synthetic_bars("DDD", "2024-02-01", "2024-04-30"))
    store.bars_path("CCC").unlink()
    store.rebuild_closes()

    closes = store.read_closes()
    assert list(closes.columns) == ["AAA", "BBB", "DDD"]
    for ticker in closes.columns:
        expected = stored_bars(store, ticker)["close"].rename(ticker)
        pd.testing.assert_series_equal(closes[ticker].dropna(), expected)


def test_rebuild_closes_without_changes_leaves_the_file_alone(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    before = store.closes_path.stat()

    store.rebuild_closes()

    after = store.closes_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_read_closes_rebuilds_a_missing_or_corrupt_closes_file(store: Store) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    assert not store.closes_path.exists()

    assert list(store.read_closes().columns) == ["AAA", "BBB"]
    assert store.closes_path.exists()

    store.closes_path.write_bytes(b"not parquet")
    closes = store.read_closes(["BBB"])
    assert list(closes.columns) == ["BBB"]
    pd.testing.assert_series_equal(closes["BBB"], stored_bars(store, "BBB")["close"].rename("BBB"))
    assert any(p.name.startswith("closes.parquet.corrupt-") for p in store.root.iterdir())


def test_read_closes_of_an_empty_store_is_empty_and_creates_nothing(store: Store) -> None:
    closes = store.read_closes()
    assert closes.empty
    assert isinstance(closes.index, pd.DatetimeIndex)
    assert not store.root.exists()


def test_files_not_named_like_tickers_are_ignored(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-01-31"))
    pd.DataFrame({"x": [1.0]}).to_parquet(store.bars_dir / "not a ticker.parquet")

    assert store.tickers() == ["AAA"]
    assert list(store.read_closes(["AAA", "not a ticker", "../x"]).columns) == ["AAA"]


def test_read_closes_builds_in_memory_while_a_refresh_holds_the_lock(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    with store.lock():
        closes = store.read_closes()
    assert list(closes.columns) == ["AAA"]
    assert not store.closes_path.exists()


def test_updated_at_follows_writes(store: Store) -> None:
    assert store.updated_at() is None
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-01-31"))
    first = store.updated_at()
    assert first is not None and first.tzinfo is not None
    os.utime(store.root / ".updated", (0, 0))

    store.write_bars("AAA", synthetic_bars("AAA", "2024-02-01", "2024-02-29"))

    later = store.updated_at()
    assert later is not None and later > pd.Timestamp(0, tz="UTC")


def test_lock_excludes_a_second_holder(store: Store) -> None:
    with store.lock(), pytest.raises(filelock.Timeout):
        store.lock(timeout=0).acquire()
    with store.lock(timeout=0):
        assert store.lock_path.exists()


def _merged(stored: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """What a write must leave: the union of dates, new rows winning, sorted."""
    both = pd.concat([stored, new])
    return both[~both.index.duplicated(keep="last")].sort_index()


def _with_gap(bars: pd.DataFrame) -> pd.DataFrame:
    return bars.drop(bars.index[len(bars) // 2])


@pytest.mark.parametrize(
    ("new_start", "new_end", "reshape"),
    [
        ("2024-03-25", "2024-04-30", lambda b: b),
        ("2023-11-01", "2024-01-31", lambda b: b),
        ("2024-02-01", "2024-02-29", _with_gap),
        ("2024-01-01", "2024-03-29", lambda b: b),
        ("2024-05-01", "2024-05-31", lambda b: b),
    ],
    ids=["tail", "head", "inside-with-gap", "same", "after-a-gap"],
)
def test_every_merge_keeps_the_union_with_new_rows_winning(
    store: Store, new_start: str, new_end: str, reshape
) -> None:
    stored = synthetic_bars("AAA", "2024-01-01", "2024-03-29")
    store.write_bars("AAA", stored)
    new = reshape(synthetic_bars("AAA", new_start, new_end, factor=1.5))

    assert store.write_bars("AAA", new)

    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), _merged(stored, new))


def test_a_stored_file_of_another_layout_still_merges(store: Store) -> None:
    # Written by something else: integer volumes and nanosecond dates; still Bars.
    stored = synthetic_bars("AAA", "2024-01-01", "2024-03-29").astype({"volume": "int64"})
    stored.index = stored.index.as_unit("ns")
    store.bars_dir.mkdir(parents=True)
    stored.to_parquet(store.bars_path("AAA"))
    new = synthetic_bars("AAA", "2024-03-25", "2024-04-30", factor=1.5)

    assert store.write_bars("AAA", new)

    pd.testing.assert_frame_equal(stored_bars(store, "AAA"), _merged(stored, new))


def test_batch_write_many_reports_each_outcome(store: Store) -> None:
    store.write_bars("OLD", synthetic_bars("OLD", "2024-01-01", "2024-03-29"))
    empty = synthetic_bars("EMPTY", "2024-01-01", "2024-01-31").iloc[0:0]
    batch = store.batch()

    outcomes = batch.write_many(
        [
            ("NEW", synthetic_bars("NEW", "2024-01-01", "2024-01-31"), False),
            ("OLD", synthetic_bars("OLD", "2024-03-25", "2024-04-30"), True),
            ("EMPTY", empty, False),
            ("GONE", synthetic_bars("GONE", "2024-03-25", "2024-04-30"), True),
            ("../x", synthetic_bars("AAA", "2024-01-01", "2024-01-31"), False),
            ("WRONG", synthetic_bars("WRONG", "2024-01-01", "2024-01-31").iloc[::-1], False),
        ]
    )
    batch.sync()

    assert outcomes[:4] == [Written.STORED, Written.STORED, Written.REFUSED, Written.NOT_FOUND]
    assert isinstance(outcomes[4], ValueError) and "is not a ticker" in str(outcomes[4])
    assert isinstance(outcomes[5], ValueError) and "sorted" in str(outcomes[5])
    assert store.tickers() == ["NEW", "OLD"]
    assert stored_bars(store, "OLD").index[-1] == pd.Timestamp("2024-04-30")
    with pytest.raises(ValueError, match="distinct"):
        batch.write_many([("NEW", empty, False), ("NEW", empty, False)])


def test_a_batch_syncs_the_bars_directory_once_per_sync(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr("market.store._fsync_directory", synced.append)
    batch = store.batch()

    batch.write_many([(t, synthetic_bars(t, "2024-01-01", "2024-01-31"), False) for t in "ABCD"])
    assert synced == []
    batch.sync()
    batch.sync()

    assert synced == [store.bars_dir]
    assert store.updated_at() is not None
    store.write_bars("E", synthetic_bars("E", "2024-01-01", "2024-01-31"))
    assert synced == [store.bars_dir, store.bars_dir]


def _closes_from_files(store: Store) -> pd.DataFrame:
    store.closes_path.unlink()
    store.rebuild_closes()
    return store.read_closes()


def test_closes_updated_in_memory_equal_closes_rebuilt_from_files(store: Store) -> None:
    tickers = [f"T{i}" for i in range(6)]
    for i, ticker in enumerate(tickers[:4]):
        store.write_bars(ticker, synthetic_bars(ticker, f"2024-0{i + 1}-01", "2024-05-31"))
    store.rebuild_closes()
    batch = store.batch()
    batch.write_many(
        [(t, synthetic_bars(t, "2024-05-27", "2024-06-07", factor=1.1), True) for t in tickers[:2]]
        + [(t, synthetic_bars(t, "2024-03-04", "2024-06-14"), False) for t in tickers[4:]]
    )
    # Written behind the batch's back: its closes must come from the file, not the batch.
    store.write_bars("T1", synthetic_bars("T1", "2024-06-10", "2024-06-21"))

    batch.rebuild_closes()
    in_memory = store.read_closes()
    before = store.closes_path.stat()
    store.rebuild_closes()

    after = store.closes_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert list(in_memory.columns) == tickers
    assert in_memory["T1"].last_valid_index() == pd.Timestamp("2024-06-21")
    pd.testing.assert_frame_equal(in_memory, _closes_from_files(store))


def test_closes_of_gives_the_columns_still_current_with_their_files(store: Store) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    assert store.closes_of(["AAA"]) == {}  # no closes file yet
    store.rebuild_closes()
    store.write_bars("BBB", synthetic_bars("BBB", "2024-03-25", "2024-04-30"))

    known = store.closes_of(["AAA", "BBB", "CCC", "../x", "AAA"])

    assert list(known) == ["AAA"]
    pd.testing.assert_series_equal(known["AAA"], stored_bars(store, "AAA")["close"].rename("AAA"))


def test_a_file_damaged_behind_the_closes_is_set_aside_not_merged_into(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    path = store.bars_path("AAA")
    stat = path.stat()
    damaged = path.read_bytes()[:-4] + b"XXXX"  # same size, no Parquet footer
    path.write_bytes(damaged)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "AAA" in store.closes_of(["AAA"])  # its signature still matches

    new = synthetic_bars("AAA", "2024-03-25", "2024-04-30")
    outcome = store.batch().write("AAA", new, expect_stored=True)

    assert outcome is Written.NOT_FOUND
    assert store.tickers() == []
    assert any(p.name.startswith("AAA.parquet.corrupt-") for p in store.bars_dir.iterdir())


def _flips(size: int, stride: int, tail: int) -> list[tuple[int, int]]:
    """(position, bit mask) of single-byte flips: every ``stride``-th byte, and every other
    byte of the last ``tail`` (the footer: schema, row counts, offsets, metadata); each flip
    flips the next bit of the eight."""
    positions = sorted({*range(0, size, stride), *range(max(size - tail, 0), size, 2)})
    return [(position, 1 << (i % 8)) for i, position in enumerate(positions)]


@pytest.mark.parametrize("kind", ["bars", "universe"])
def test_no_single_byte_flip_reads_back_as_other_numbers(store: Store, kind: str, caplog) -> None:
    if kind == "bars":
        store.write_bars("AAA", synthetic_bars("AAA", "2023-01-02", "2024-06-28"))
        path, read, flips = store.bars_path("AAA"), lambda: store.read_bars("AAA"), (53, 1600)
    else:
        store.write_universe(_universe(["AAA", "BRK-B", "CCC"]))
        path, read, flips = store.universe_path, store.read_universe, (3, 0)
    good = path.read_bytes()
    original = read()
    assert original is not None
    caught = 0

    for position, mask in _flips(len(good), *flips):
        damaged = bytearray(good)
        damaged[position] ^= mask
        path.write_bytes(bytes(damaged))
        got = read()
        if got is None:
            caught += 1
            assert not path.exists(), f"a flip at {position} was detected but left in place"
        else:
            assert got.equals(original), f"a flip of {mask:#x} at {position} read as other data"
        for aside in path.parent.glob(f"{path.name}.corrupt-*"):
            aside.unlink()
        path.write_bytes(good)

    assert caught > len(_flips(len(good), *flips)) // 2
    assert "digest mismatch" in caplog.text or "checksum" in caplog.text.lower()


def test_a_flipped_byte_makes_a_refresh_fetch_the_whole_history_again(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    path = store.bars_path("AAA")
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 3] ^= 0x04
    path.write_bytes(bytes(damaged))

    recent = synthetic_bars("AAA", "2024-03-25", "2024-04-30")
    outcome = store.batch().write("AAA", recent, expect_stored=True)

    assert outcome is Written.NOT_FOUND
    assert any(p.name.startswith("AAA.parquet.corrupt-") for p in store.bars_dir.iterdir())


def test_files_are_written_with_page_checksums_and_a_digest(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    store.write_universe(_universe(["AAA"]))
    store.rebuild_closes()

    for path in (store.bars_path("AAA"), store.universe_path, store.closes_path):
        with pq.ParquetFile(path) as parquet:
            assert b"r2k_crc32" in parquet.metadata.metadata
        damaged = bytearray(path.read_bytes())
        damaged[200] ^= 0x01  # inside the first data page
        path.write_bytes(bytes(damaged))
        with pytest.raises(OSError, match="CRC checksum verification failed"):
            pq.ParquetFile(path, page_checksum_verification=True).read()


def _leftover(directory: Path, name: str, age: float, mark: str = "x1y2z3") -> Path:
    path = directory / f".{name}.{mark}.tmp"
    path.write_bytes(b"PAR1 half a file")
    when = path.stat().st_mtime - age
    os.utime(path, (when, when))
    return path


def test_recover_removes_old_leftovers_only_and_keeps_every_good_file(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    store.write_universe(_universe(["AAA"]))
    store.rebuild_closes()
    old = [
        _leftover(store.bars_dir, "AAA.parquet", 120),
        _leftover(store.root, "universe.parquet", 3600),
        _leftover(store.root, "closes.parquet", 61),
    ]
    fresh = _leftover(store.root, "universe.parquet", 5, mark="being-written")
    (store.bars_dir / "notes.tmp").write_text("not ours")

    removed = store.recover()

    assert removed == sorted(p.relative_to(store.root).as_posix() for p in old)
    assert not any(path.exists() for path in old)
    assert fresh.exists() and (store.bars_dir / "notes.tmp").exists()
    assert store.tickers() == ["AAA"] and store.read_universe() is not None


def test_recover_leaves_leftovers_while_a_refresh_holds_the_lock(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    leftover = _leftover(store.bars_dir, "AAA.parquet", 3600)

    with store.lock():
        assert store.recover() == []
        assert leftover.exists()
    assert store.recover() == ["bars/.AAA.parquet.x1y2z3.tmp"]


def test_recover_rebuilds_closes_that_lag_the_bars_files(store: Store) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    # A page's fetch (or a refresh killed before its end) writes bars, not closes.
    store.write_bars("AAA", synthetic_bars("AAA", "2024-03-25", "2024-04-30"))
    store.write_bars("CCC", synthetic_bars("CCC", "2024-02-01", "2024-04-30"))
    assert list(store.read_closes().columns) == ["AAA", "BBB"]

    store.recover()

    closes = store.read_closes()
    assert list(closes.columns) == ["AAA", "BBB", "CCC"]
    assert closes["AAA"].last_valid_index() == pd.Timestamp("2024-04-30")
    before = store.closes_path.stat()
    store.recover()
    assert store.closes_path.stat().st_mtime_ns == before.st_mtime_ns


def test_recover_of_a_store_not_created_yet_creates_nothing(store: Store) -> None:
    assert store.recover() == []
    assert not store.root.exists()


@pytest.mark.parametrize("kind", ["bars", "universe"])
def test_the_data_file_is_fsynced_before_its_rename_and_the_directory_after(
    store: Store, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.path.realpath(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source, target) -> None:
        events.append(("replace", os.path.realpath(source)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    if kind == "bars":
        store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
        directory = store.bars_dir
    else:
        store.write_universe(_universe(["AAA"]))
        directory = store.root

    renames = [i for i, (what, _) in enumerate(events) if what == "replace"]
    assert len(renames) == 1
    temporary = events[renames[0]][1]
    assert Path(temporary).parent == Path(os.path.realpath(directory))
    assert ("fsync", temporary) in events[: renames[0]]
    assert ("fsync", os.path.realpath(directory)) in events[renames[0] + 1 :]


def test_closes_follow_a_file_rewritten_with_the_same_tickers(store: Store) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    assert set(store.closes_of(["AAA", "BBB"])) == {"AAA", "BBB"}

    store.write_bars("AAA", synthetic_bars("AAA", "2024-03-25", "2024-04-30", factor=2.0))
    assert list(store.closes_of(["AAA", "BBB"])) == ["BBB"]
    store.rebuild_closes()

    closes = store.read_closes()
    expected = stored_bars(store, "AAA")["close"].rename("AAA")
    assert list(closes.columns) == ["AAA", "BBB"]
    assert closes["AAA"].last_valid_index() == pd.Timestamp("2024-04-30")
    pd.testing.assert_series_equal(closes["AAA"].dropna(), expected)
    pd.testing.assert_series_equal(store.closes_of(["AAA"])["AAA"], expected)


def test_closes_leave_out_a_ticker_stored_after_they_were_built(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    store.write_bars("BBB", synthetic_bars("BBB", "2024-01-01", "2024-03-29"))  # e.g. a page's

    closes = store.closes_of(["BBB", "ZZZ", "not a ticker", "AAA"])

    assert list(closes) == ["AAA"], "BBB must be read from its own file"
    pd.testing.assert_series_equal(closes["AAA"], stored_bars(store, "AAA")["close"].rename("AAA"))


# Files that read without a fault but not as written: page checksums all good (each file is
# rewritten with fresh ones), so only the digest beside the values can tell.


def _rewritten(path: Path, change) -> bytes:
    """Rewrite the Parquet file at ``path`` as ``change(table, metadata)`` returns it (a table
    and its schema metadata), with valid page checksums; the file's new bytes."""
    table = pq.read_table(path)
    changed, metadata = change(table, dict(table.schema.metadata))
    pq.write_table(changed.replace_schema_metadata(metadata), path, write_page_checksum=True)
    return path.read_bytes()


def _digest_of(path: Path) -> dict:
    return json.loads(pq.read_schema(path).metadata[b"r2k_crc32"])


def _one_close_changed(table, metadata):
    close = table.column("close").to_numpy().copy()
    close[3] += 0.01
    index = table.column_names.index("close")
    return table.set_column(index, "close", pa.array(close)), metadata


def _rows_cut(table, metadata):
    return table.slice(0, table.num_rows - 5), metadata


def _volume_read_as_integers(table, metadata):
    """The same bytes under another type: only the type in the digest tells them apart."""
    index = table.column_names.index("volume")
    volume = table.column("volume").combine_chunks().view(pa.int64())
    return table.set_column(index, "volume", volume), metadata


def _digest_entries_swapped(table, metadata):
    digest = json.loads(metadata[b"r2k_crc32"])
    columns = digest["columns"]
    columns["open"], columns["close"] = columns["close"], columns["open"]
    return table, {**metadata, b"r2k_crc32": json.dumps(digest).encode()}


def _pandas_metadata_edited(table, metadata):
    pandas = json.loads(metadata[b"pandas"])
    pandas["creator"]["version"] = "0.0.1"  # read as before, but not what was written
    return table, {**metadata, b"pandas": json.dumps(pandas).encode()}


def _pandas_metadata_dropped(table, metadata):
    return table, {k: v for k, v in metadata.items() if k != b"pandas"}


def _digest_a_list(table, metadata):
    return table, {**metadata, b"r2k_crc32": b"[1, 2]"}


def _digest_cut_short(table, metadata):
    return table, {**metadata, b"r2k_crc32": metadata[b"r2k_crc32"][:20]}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (_one_close_changed, "column 'close' differs from what was written (digest mismatch)"),
        (_rows_cut, "differs from what was written (digest mismatch)"),
        (_volume_read_as_integers, "column 'volume' differs from what was written"),
        (_digest_entries_swapped, "column 'open' differs from what was written"),
        (_pandas_metadata_edited, "the pandas metadata differs from what was written"),
        (_pandas_metadata_dropped, "the file has no pandas metadata"),
        (_digest_a_list, "the digest is not a JSON object of columns: b'[1, 2]'"),
        (_digest_cut_short, "JSONDecodeError"),
    ],
    ids=[
        "a value",
        "wrong length",
        "same bytes, other type",
        "checksums of the wrong columns",
        "pandas metadata",
        "no pandas metadata",
        "digest not an object",
        "digest cut short",
    ],
)
def test_a_file_that_differs_from_its_digest_is_set_aside_with_the_reason(
    store: Store, caplog, change, error: str
) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2024-01-01", "2024-03-29"))
    path = store.bars_path("AAA")
    damaged = _rewritten(path, change)

    assert store.read_bars("AAA") is None

    asides = list(store.bars_dir.glob("AAA.parquet.corrupt-*"))
    assert [aside.read_bytes() for aside in asides] == [damaged]
    assert error in caplog.text
    assert not path.exists() and store.tickers() == []


def test_the_digest_of_another_file_does_not_pass(store: Store, caplog) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    other = json.dumps(_digest_of(store.bars_path("BBB"))).encode()

    _rewritten(store.bars_path("AAA"), lambda table, meta: (table, {**meta, b"r2k_crc32": other}))

    assert store.read_bars("AAA") is None
    assert "differs from what was written (digest mismatch)" in caplog.text
    assert store.tickers() == ["BBB"]


def test_a_file_written_by_pandas_without_a_digest_is_trusted(store: Store) -> None:
    bars = synthetic_bars("AAA", "2024-01-01", "2024-03-29")
    store.bars_dir.mkdir(parents=True)
    bars.to_parquet(store.bars_path("AAA"))

    pd.testing.assert_frame_equal(store.read_bars("AAA"), bars)
    assert store.tickers() == ["AAA"]


def test_each_digest_is_of_its_own_values_and_type() -> None:
    """Unit test of the CRC the digest holds: another value, another type, another unit."""
    values = pa.chunked_array([pa.array([1.0, 2.0, 3.0])])
    crcs = {
        _crc(values),
        _crc(pa.chunked_array([pa.array([1.0, 2.0, 3.5])])),
        _crc(pa.chunked_array([values.combine_chunks().view(pa.int64())])),
        _crc(pa.chunked_array([pa.array([0, 1], pa.timestamp("ns"))])),
        _crc(pa.chunked_array([pa.array([0, 1], pa.timestamp("us"))])),
        _crc(pa.chunked_array([pa.array(["AAA", "BBB"])])),
        _crc(pa.chunked_array([pa.array(["AAA", "BBC"])])),
    }
    assert len(crcs) == 7
    assert _crc(pa.chunked_array([pa.array([1.0]), pa.array([2.0, 3.0])])) == _crc(values)


def _closes_damage(kind: str):
    def flip(path: Path) -> None:
        damaged = bytearray(path.read_bytes())
        damaged[len(damaged) // 3] ^= 0x04
        path.write_bytes(bytes(damaged))

    changes = {
        "flipped byte": flip,
        "truncated": lambda path: path.write_bytes(path.read_bytes()[:-200]),
        "wrong length": lambda path: _rewritten(path, _rows_cut),
        "another value": lambda path: _rewritten(path, _closes_of_bbb_changed),
        "checksums of the wrong columns": lambda path: _rewritten(path, _closes_digest_swapped),
    }
    return changes[kind]


def _closes_of_bbb_changed(table, metadata):
    index = table.column_names.index("BBB")
    close = table.column("BBB").to_numpy().copy()
    close[-1] *= 2
    return table.set_column(index, "BBB", pa.array(close)), metadata


def _closes_digest_swapped(table, metadata):
    digest = json.loads(metadata[b"r2k_crc32"])
    columns = digest["columns"]
    columns["AAA"], columns["BBB"] = columns["BBB"], columns["AAA"]
    return table, {**metadata, b"r2k_crc32": json.dumps(digest).encode()}


@pytest.mark.parametrize(
    "kind",
    [
        "flipped byte",
        "truncated",
        "wrong length",
        "another value",
        "checksums of the wrong columns",
    ],
)
@pytest.mark.parametrize(
    "wanted", [None, ["BBB"], ["CCC", "BBB", "AAA"]], ids=["all", "one", "all-reordered"]
)
def test_a_damaged_closes_file_is_set_aside_and_rebuilt_from_the_bars(
    store: Store, kind: str, wanted: list[str] | None
) -> None:
    for ticker in ("AAA", "BBB", "CCC"):
        store.write_bars(ticker, synthetic_bars(ticker, "2024-01-01", "2024-03-29"))
    store.rebuild_closes()
    expected = _closes_from_files(store)
    _closes_damage(kind)(store.closes_path)

    closes = store.read_closes(wanted)

    pd.testing.assert_frame_equal(closes, expected.loc[:, wanted or ["AAA", "BBB", "CCC"]])
    assert len(list(store.root.glob("closes.parquet.corrupt-*"))) == 1
    pd.testing.assert_frame_equal(_read_closes_as_written(store), expected)


def _read_closes_as_written(store: Store) -> pd.DataFrame:
    frame = pq.read_table(store.closes_path).to_pandas()
    return frame.loc[:, sorted(frame.columns)]
