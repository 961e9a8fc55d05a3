"""The on-disk store of one source: Parquet bars per ticker, the universe, and wide closes.

Layout under ``root`` (one source's namespace, e.g. ``cache_dir / "yahoo"``)::

    bars/<TICKER>.parquet   daily Bars of one ticker
    universe.parquet        the last good Universe
    closes.parquet          every ticker's closes, wide (date x ticker), for movers
    closes.arrow            the same as float32, derived from it, memory-mapped by every
                            process (``mapped_closes``, see ``market.mapped_closes``)
    .refresh.lock           taken by refreshes so that several processes serialise
    .updated                its modification time is when the store last changed

Every write goes to a temporary file in the same directory, is fsynced and then renamed
over the old file, so a crash leaves the old file or the new one, never half of either.
The directory is fsynced after the rename (once per batch when many bars files are written
together, see ``BarsBatch``): that makes the renames durable; it is not needed for them to
be atomic, so a crash before it can only lose whole renames, never leave a half file.
A file that fails to read is renamed aside (``<name>.corrupt-<time>``) and treated as
absent, so that it is fetched again instead of silently used.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

import filelock
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from market.bars import BAR_COLUMNS, validate_bars
from market.mapped_closes import map_closes, write_mapped_closes
from market.tickers import check_ticker, parse_ticker
from market.universe import validate_universe

_SOURCES_KEY = b"r2k_sources"
"""closes.parquet metadata: the (inode, mtime_ns, size) of each bars file it was built from."""

_DIGEST_KEY = b"r2k_crc32"
"""Every file's metadata: the CRC-32 of each column's values as written (see ``_digest``)."""

_Signature = tuple[int, int, int]
"""A file's (inode, mtime_ns, size): it changes with every write (see ``_signature``)."""

_Check = Callable[[pd.DataFrame], pd.DataFrame]
"""Checks the shape of a frame just read, raising ``ValueError`` when it is wrong."""

_WRITERS = 4
"""Threads that write bars files at once (see ``BarsBatch.write_many``)."""

_LEFTOVER_SECONDS = 60.0
"""A temporary file untouched for this long is a leftover of a killed writer, not a write."""

_log = logging.getLogger(__name__)


class Store:
    """Parquet files of one data source under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._mapped: tuple[tuple[_Signature, _Signature], pd.DataFrame] | None = None
        """The frame ``mapped_closes`` last mapped, and the (closes.parquet, closes.arrow)
        signatures it was mapped under: reused while neither file changes."""

    # Paths

    @property
    def bars_dir(self) -> Path:
        return self.root / "bars"

    @property
    def universe_path(self) -> Path:
        return self.root / "universe.parquet"

    @property
    def closes_path(self) -> Path:
        return self.root / "closes.parquet"

    @property
    def mapped_closes_path(self) -> Path:
        return self.root / "closes.arrow"

    @property
    def lock_path(self) -> Path:
        return self.root / ".refresh.lock"

    def bars_path(self, ticker: str) -> Path:
        """Where the bars of ``ticker`` live; ``ValueError`` for a name unfit for a file."""
        return self.bars_dir / f"{check_ticker(ticker)}.parquet"

    # Bars

    def read_bars(self, ticker: str) -> pd.DataFrame | None:
        """The stored Bars of ``ticker``, or None when absent (or unreadable: set aside)."""
        return _read_frame(self.bars_path(ticker), _as_bars)

    def write_bars(self, ticker: str, bars: pd.DataFrame) -> bool:
        """Merge ``bars`` over the stored rows (new rows win on equal dates) and save.

        Returns False and writes nothing when ``bars`` is empty or the merged result would
        have fewer rows than what is stored: good data is never replaced by less. Returns
        True when the store holds the merged rows (the file is left alone if they are equal).
        Does not touch closes.parquet; ``rebuild_closes`` (which refresh calls) does.
        """
        batch = BarsBatch(self)
        outcome = batch.write(ticker, bars)
        batch.sync()
        return outcome is Written.STORED

    def batch(self) -> BarsBatch:
        """A writer of many tickers' bars that syncs the directory once per ``sync``."""
        return BarsBatch(self)

    def last_date(self, ticker: str) -> pd.Timestamp | None:
        """The last stored session of ``ticker``, or None when nothing is stored."""
        bars = self.read_bars(ticker)
        if bars is None or bars.empty:
            return None
        return pd.Timestamp(bars.index[-1])

    def tickers(self) -> list[str]:
        """Every ticker with a bars file, sorted (files not named like a ticker are ignored)."""
        if not self.bars_dir.is_dir():
            return []
        stems = (path.stem for path in self.bars_dir.glob("*.parquet"))
        return sorted(stem for stem in stems if parse_ticker(stem) == stem)

    def set_aside(self) -> list[str]:
        """Files set aside as unreadable and not written again since, relative to ``root``.

        Such as ``universe.parquet`` or ``bars/IWM.parquet``: what the store lacks because a
        file was damaged, so that the page can say so instead of only showing less.
        """
        names = set()
        for directory in (self.root, self.bars_dir):
            if not directory.is_dir():
                continue
            for aside in directory.glob("*.corrupt-*"):
                original = directory / aside.name.partition(".corrupt-")[0]
                if not original.exists():
                    names.add(original.relative_to(self.root).as_posix())
        return sorted(names)

    def bars_set_aside(self, ticker: str) -> bool:
        """Whether a bars file of ``ticker`` was set aside and none was written since."""
        path = self.bars_path(ticker)
        return not path.exists() and any(self.bars_dir.glob(f"{path.name}.corrupt-*"))

    # Universe

    def read_universe(self) -> pd.DataFrame | None:
        """The last good Universe, or None when absent (or unreadable: set aside)."""
        return _read_frame(self.universe_path, _as_universe)

    def write_universe(self, universe: pd.DataFrame) -> bool:
        """Save ``universe``; an empty one is refused (returns False, writes nothing)."""
        validate_universe(universe)
        if universe.empty:
            return False
        _write_frame(universe.reset_index(drop=True), self.universe_path)
        self._touch()
        return True

    # Closes

    def read_closes(self, tickers: Sequence[str] | None = None) -> pd.DataFrame:
        """Daily closes, wide: a ``date`` index by one float column per stored ticker.

        ``tickers`` selects columns (in that order; tickers with no data are left out);
        dates on which none of them has a close are dropped. Reads closes.parquet, as of
        the last ``rebuild_closes``; when that file is absent it is rebuilt (or, while a
        refresh holds the lock and will rebuild it, built in memory for this call).
        """
        wanted = None if tickers is None else list(tickers)
        closes = self._read_closes_file(wanted)
        if closes is None:
            closes = self._closes_without_file()
            if wanted is not None:
                closes = closes.loc[:, [t for t in wanted if t in closes.columns]]
        return closes.dropna(how="all")

    def mapped_closes(self) -> pd.DataFrame:
        """``read_closes()`` as float32, from closes.arrow mapped in memory (shared by processes).

        closes.arrow is derived from closes.parquet (the durable, checksummed copy) and names
        the very file it came from: when it lags that file, is absent or is damaged, it is
        written again from it (atomically), never served. Mapped once per process while
        neither file changes. Without closes.parquet (nothing stored, or a refresh holding
        the lock before its first rebuild) the closes read are returned as float32 instead.
        """
        durable = _signature(self.closes_path)
        if durable is None:
            closes = self.read_closes()  # rebuilds closes.parquet when bars are stored
            durable = _signature(self.closes_path)
            if durable is None:
                return closes.astype("float32")
        mapped = _signature(self.mapped_closes_path)
        if self._mapped is not None and self._mapped[0] == (durable, mapped):
            return self._mapped[1]
        frame = map_closes(self.mapped_closes_path, _label(durable))
        if frame is None:
            frame, written = self._write_mapped_closes()
            if written is None:
                return frame
            durable = written
        mapped = _signature(self.mapped_closes_path)
        if mapped is not None:
            self._mapped = ((durable, mapped), frame)
        return frame

    def _write_mapped_closes(self) -> tuple[pd.DataFrame, _Signature | None]:
        """closes.arrow written from closes.parquet and mapped, with the signature of the
        closes.parquet read; or the closes read as float32 and None when none was mapped."""
        read = _read_table(self.closes_path)
        closes = None if read is None else _checked(read[0], _as_closes, self.closes_path, read[1])
        if read is None or closes is None:  # set aside: rebuilt from the bars files
            return self.read_closes().astype("float32"), None
        durable = read[1]  # taken before the read: a newer file is never labelled as older
        closes = closes.dropna(how="all")
        if closes.columns.empty:
            return closes.astype("float32"), None
        write_mapped_closes(closes, self.mapped_closes_path, _label(durable))
        frame = map_closes(self.mapped_closes_path, _label(durable))
        if frame is None:  # replaced meanwhile by another process's file of a newer copy
            return closes.astype("float32"), None
        return frame, durable

    def rebuild_closes(self) -> None:
        """Bring closes.parquet up to date with the bars files, re-reading only changed ones."""
        self._rebuild_closes({})

    def write_closes(self, closes: Mapping[str, pd.Series]) -> None:
        """Save closes.parquet from each ticker's daily closes, for a store without bars files.

        For sources whose own files hold the bars (``csv:DIR``): only the wide closes are
        kept here. Nothing is written when ``closes`` is empty.
        """
        columns = {t: (s.index.to_numpy(), s.to_numpy(dtype="float64")) for t, s in closes.items()}
        wide = _wide({check_ticker(t): column for t, column in columns.items()})
        if wide.columns.empty:
            return
        _write_table(pa.Table.from_pandas(wide, preserve_index=True), self.closes_path)
        self._touch()

    def closes_of(self, tickers: Sequence[str]) -> dict[str, pd.Series]:
        """The stored closes of those ``tickers`` whose column in closes.parquet is current.

        A column is current when its bars file is the very one it was built from (same
        inode, mtime and size), so the series equals that file's closes (Bars rows always
        have a close): one read of closes.parquet instead of a read of every bars file.
        Tickers left out (not current, or not stored) must be read with ``read_bars``.
        """
        built_from = self._built_from()
        if not built_from:
            return {}
        current = []
        for ticker in dict.fromkeys(tickers):
            if parse_ticker(ticker) != ticker or ticker not in built_from:
                continue
            signature = _signature(self.bars_dir / f"{ticker}.parquet")
            if signature is not None and built_from[ticker] == list(signature):
                current.append(ticker)
        closes = self._read_closes_file(current) if current else None
        if closes is None:
            return {}
        values = closes.to_numpy(dtype="float64")
        series = {}
        for position, ticker in enumerate(closes.columns):
            column = values[:, position]
            present = ~np.isnan(column)
            series[ticker] = pd.Series(column[present], index=closes.index[present], name=ticker)
        return series

    # Recovery

    def recover(self, now: float | None = None) -> list[str]:
        """Tidy what killed processes leave behind; called when a source is opened.

        Removes temporary files of writes that never finished, and rebuilds closes.parquet
        when it lags the bars files (a page's fetch does not rebuild it, and a refresh
        killed before its end leaves it behind). Only under the store's lock, and skipped
        while someone else holds it: refreshes hold it while they write. Temporary files
        changed in the last minute (by ``now``, a ``time.time()``) are left alone too: the
        universe is written outside the lock. Returns the names of the files removed.
        """
        if not self.root.is_dir():
            return []
        try:
            with self.lock(timeout=0):
                removed = self._remove_leftovers(time.time() if now is None else now)
                if self._built_from() != self._signatures():
                    self.rebuild_closes()
        except filelock.Timeout:
            return []
        return removed

    def _remove_leftovers(self, now: float) -> list[str]:
        removed = []
        for directory in (self.root, self.bars_dir):
            for leftover in directory.glob(".*.tmp") if directory.is_dir() else ():
                with suppress(FileNotFoundError):
                    if now - leftover.stat().st_mtime > _LEFTOVER_SECONDS:
                        leftover.unlink()
                        removed.append(leftover.relative_to(self.root).as_posix())
        if removed:
            _log.warning("removed %d leftover temporary files: %s", len(removed), removed)
        return sorted(removed)

    # Freshness and locking

    def updated_at(self) -> datetime | None:
        """When the store last changed (UTC), or None when nothing was ever written."""
        try:
            mtime = (self.root / ".updated").stat().st_mtime
        except FileNotFoundError:
            return None
        return datetime.fromtimestamp(mtime, tz=UTC)

    def lock(self, timeout: float | None = None) -> filelock.FileLock:
        """The inter-process lock that refreshes hold; ``timeout`` None waits for ever."""
        self.root.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(self.lock_path, timeout=-1 if timeout is None else timeout)

    # Private

    def _touch(self) -> None:
        (self.root / ".updated").touch()

    def _rebuild_closes(self, known: dict[str, _Closes]) -> None:
        """``rebuild_closes``, taking the closes in ``known`` instead of re-reading their files."""
        current = self._signatures()
        if current == self._built_from():
            return
        closes, sources = self._build_closes(current, known)
        if closes.columns.empty:
            self.closes_path.unlink(missing_ok=True)
            return
        table = pa.Table.from_pandas(closes, preserve_index=True)
        metadata = dict(table.schema.metadata or {})
        metadata[_SOURCES_KEY] = json.dumps(sources).encode()
        _write_table(table.replace_schema_metadata(metadata), self.closes_path)
        self._touch()

    def _read_closes_file(self, wanted: list[str] | None) -> pd.DataFrame | None:
        path = self.closes_path
        if wanted is None:
            return _read_frame(path, _as_closes)
        try:
            names = set(pq.read_schema(path).names)
        except FileNotFoundError:
            return None
        except (OSError, pa.ArrowException):
            return _read_frame(path, _as_closes)
        columns = [t for t in wanted if t in names]
        if len(columns) < len(names) - 1:
            return _read_frame(path, _as_closes, columns=columns)
        # Every ticker: reading all is much faster than selecting thousands of columns.
        closes = _read_frame(path, _as_closes)
        return None if closes is None else closes.loc[:, columns]

    def _closes_without_file(self) -> pd.DataFrame:
        if not self.tickers():
            return _empty_closes()
        try:
            with self.lock(timeout=0):
                self.rebuild_closes()
        except filelock.Timeout:
            return self._build_closes()[0]
        closes = _read_frame(self.closes_path, _as_closes)
        return _empty_closes() if closes is None else closes

    def _signatures(self) -> dict[str, list[int]]:
        """The (inode, mtime_ns, size) of every bars file, which change with each write."""
        signatures = {t: _signature(self.bars_dir / f"{t}.parquet") for t in self.tickers()}
        return {t: list(sig) for t, sig in signatures.items() if sig is not None}

    def _built_from(self) -> dict[str, list[int]] | None:
        """The signatures closes.parquet was built from; None when absent or unreadable."""
        try:
            metadata = pq.read_schema(self.closes_path).metadata or {}
            sources = json.loads(metadata[_SOURCES_KEY])
        except (OSError, KeyError, ValueError, pa.ArrowException):
            return None
        return sources if isinstance(sources, dict) else None

    def _build_closes(
        self,
        current: dict[str, list[int]] | None = None,
        known: dict[str, _Closes] | None = None,
    ) -> tuple[pd.DataFrame, dict[str, list[int]]]:
        """Wide closes and the signatures of the files they came from (see _SOURCES_KEY).

        Columns whose file is unchanged come from the previous closes.parquet; changed files
        come from ``known`` when it holds the closes of that very file (same signature), and
        are read otherwise.
        """
        current = self._signatures() if current is None else current
        known = known or {}
        built_from = self._built_from() or {}
        previous = _read_frame(self.closes_path, _as_closes) if built_from else None
        if previous is None:
            previous, built_from = _empty_closes(), {}
        unchanged = [
            t for t in previous.columns if t in current and built_from.get(t) == current[t]
        ]
        dates = previous.index.to_numpy()
        values = previous.to_numpy(dtype="float64")
        positions = previous.columns.get_indexer(pd.Index(unchanged))
        columns = {t: (dates, values[:, i]) for t, i in zip(unchanged, positions, strict=True)}
        sources = {t: current[t] for t in unchanged}
        for ticker, signature in current.items():
            if ticker in sources:
                continue
            written = known.get(ticker)
            if written is not None and list(written.signature) == signature:
                columns[ticker] = (written.dates, written.values)
            else:
                bars = self.read_bars(ticker)
                if bars is None or bars.empty:
                    continue
                columns[ticker] = (bars.index.to_numpy(), bars["close"].to_numpy())
            sources[ticker] = signature
        return _wide(columns), sources


@dataclass(frozen=True)
class _Closes:
    """The closes of one bars file as written (dates and values), and that file's signature."""

    signature: _Signature
    dates: np.ndarray
    values: np.ndarray


class Written(Enum):
    """What ``BarsBatch.write`` did with one ticker's bars."""

    STORED = "stored"
    """The store holds the merged rows (written, or already equal and left alone)."""
    REFUSED = "refused"
    """Nothing written: the bars were empty, or the merge would have fewer rows than stored."""
    NOT_FOUND = "not found"
    """Nothing written: stored bars were expected but none could be read (absent or set aside)."""


class BarsBatch:
    """Writes many tickers' bars: one directory fsync per ``sync``, closes updated in memory.

    Each ``write`` is atomic on its own (temporary file, fsync, rename), so a crash before
    ``sync`` may lose whole renames of this batch (their old files stay), never leave a half
    file. The closes of every file written are kept, so ``rebuild_closes`` need not read the
    files back. Writers hold the store's lock (see refresh); within one process, only
    ``write_many`` writes from several threads, each to its own file.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._written: dict[str, _Closes] = {}
        self._unsynced = False

    def write(self, ticker: str, bars: pd.DataFrame, *, expect_stored: bool = False) -> Written:
        """Merge ``bars`` over the stored rows and save, as ``Store.write_bars`` does.

        With ``expect_stored``, a ticker with no readable stored bars is not written
        (``NOT_FOUND``): the caller asked for recent rows only and must fetch the whole
        history instead. ``ValueError`` for bars of the wrong shape or an unfit name.
        """
        path = self.store.bars_path(ticker)
        validate_bars(bars)
        if bars.empty:
            return Written.REFUSED
        read = _read_table(path)
        if read is None:
            return Written.NOT_FOUND if expect_stored else self._merge_frame(ticker, bars)
        stored, signature = read
        merged = _merge_tables(stored, bars)
        if merged is None:
            frame = _checked(stored, _as_bars, path, signature)
            if frame is None and expect_stored:
                return Written.NOT_FOUND
            return self._merge_frame(ticker, bars, frame, signature)
        if not merged.equals(stored):
            signature = _write_table(merged, path, sync_directory=False)
            self._unsynced = True
        return self._kept(ticker, signature, merged["date"].to_numpy(), merged["close"].to_numpy())

    def write_many(
        self, items: Sequence[tuple[str, pd.DataFrame, bool]]
    ) -> list[Written | ValueError | OSError]:
        """``write`` each (ticker, bars, expect_stored), a few files at a time.

        Reading, encoding, fsyncing and renaming Parquet files release the GIL, so a few
        threads overlap one file's disk waits with another's work. Returns each item's
        outcome in order, with its ``ValueError`` or ``OSError`` returned rather than raised.
        Tickers must be distinct: two writers of one file would race.
        """
        tickers = [ticker for ticker, _, _ in items]
        if len(set(tickers)) != len(tickers):
            raise ValueError(f"write_many needs distinct tickers, got {tickers}")
        if len(items) < 2:
            return [self._outcome(*item) for item in items]
        with ThreadPoolExecutor(_WRITERS, thread_name_prefix="store-write") as pool:
            futures = [pool.submit(self._outcome, *item) for item in items]
        return [future.result() for future in futures]

    def _outcome(
        self, ticker: str, bars: pd.DataFrame, expect_stored: bool
    ) -> Written | ValueError | OSError:
        try:
            return self.write(ticker, bars, expect_stored=expect_stored)
        except (ValueError, OSError) as error:
            return error

    def _merge_frame(
        self,
        ticker: str,
        bars: pd.DataFrame,
        stored: pd.DataFrame | None = None,
        signature: _Signature | None = None,
    ) -> Written:
        """The general merge, in pandas: for a new file, or stored bars of an unusual layout."""
        path = self.store.bars_path(ticker)
        merged = bars if stored is None else _merge_bars(stored, bars)
        if merged.empty or (stored is not None and len(merged) < len(stored)):
            return Written.REFUSED
        if stored is None or signature is None or not merged.equals(stored):
            signature = _write_frame(merged, path, sync_directory=False)
            self._unsynced = True
        return self._kept(ticker, signature, merged.index.to_numpy(), merged["close"].to_numpy())

    def _kept(
        self, ticker: str, signature: _Signature, dates: np.ndarray, closes: np.ndarray
    ) -> Written:
        self._written[ticker] = _Closes(signature, dates, closes)
        return Written.STORED

    def sync(self) -> None:
        """Make this batch's renames durable (one directory fsync) and mark the store changed."""
        if self._unsynced:
            _fsync_directory(self.store.bars_dir)
            self._unsynced = False
        if self._written:
            self.store._touch()

    def rebuild_closes(self) -> None:
        """``Store.rebuild_closes``, using the closes written by this batch as they are."""
        self.sync()
        self.store._rebuild_closes(self._written)


def _merge_tables(stored: pa.Table, bars: pd.DataFrame) -> pa.Table | None:
    """``_merge_bars`` in Arrow, when both sides have the plain Bars layout; else None.

    The plain layout is what this store writes: float64 columns ``open..volume`` and a
    ``date`` index of the same time unit as ``bars``, dates strictly increasing. Anything
    else takes the pandas path, which checks the stored frame and may set the file aside;
    this one skips the round trip through pandas, which costs most of an update's time.
    """
    dtype = bars.index.dtype
    if not _plain_bars(stored) or stored.schema.field("date").type != pa.from_numpy_dtype(dtype):
        return None
    if not all(column == np.float64 for column in bars.dtypes):
        return None
    values = bars.to_numpy(dtype="float64")
    new_dates = bars.index.to_numpy()
    arrays = [pa.array(values[:, i]) for i in range(values.shape[1])]
    new = pa.Table.from_arrays([*arrays, pa.array(new_dates)], schema=stored.schema)
    stored_dates = stored["date"].to_numpy()
    at = np.minimum(np.searchsorted(new_dates, stored_dates), new_dates.size - 1)
    kept = new_dates[at] != stored_dates
    merged = pa.concat_tables([stored.filter(pa.array(kept)), new])
    if not _increasing(np.concatenate([stored_dates[kept], new_dates])):
        merged = merged.take(pc.sort_indices(merged["date"]))
    return merged


def _plain_bars(table: pa.Table) -> bool:
    """True when ``table`` reads back as Bars: see ``_merge_tables``."""
    names = [*BAR_COLUMNS, "date"]
    if table.schema.names != names:
        return False
    if any(table.schema.field(c).type != pa.float64() for c in BAR_COLUMNS):
        return False
    date = table.schema.field("date").type
    if not pa.types.is_timestamp(date) or date.tz is not None:
        return False
    try:
        pandas = table.schema.pandas_metadata or {}
    except ValueError:
        return False
    described = [c.get("name") for c in pandas.get("columns", [])]
    if pandas.get("index_columns") != ["date"] or described != names:
        return False
    return _increasing(table["date"].to_numpy())


def _increasing(dates: np.ndarray) -> bool:
    return bool((dates[1:] > dates[:-1]).all())


def _checked(
    table: pa.Table, check: _Check, path: Path, signature: _Signature
) -> pd.DataFrame | None:
    """``table`` as a frame that passes ``check``; None, with the file set aside, if not."""
    try:
        return check(table.to_pandas(use_threads=False))
    except (ValueError, KeyError, TypeError, pa.ArrowException) as error:
        _set_aside(path, signature, error)
        return None


def _merge_bars(stored: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    merged = pd.concat([stored, new])
    merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    merged.index.name = "date"
    return merged


def _wide(columns: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """One float64 frame of (dates, closes) ``columns`` on the union of their dates, sorted.

    Built with numpy rather than ``pd.concat``: aligning thousands of series is the bulk of
    rebuilding closes.parquet. Tickers trade on the same days, so the longest column's dates
    usually hold every other column's; the full union is computed only when they do not.
    """
    if not columns:
        return _empty_closes()
    names = sorted(columns)
    unit = np.result_type(*(columns[t][0].dtype for t in names))
    stamps = [columns[t][0].astype(unit, copy=False) for t in names]
    dates = np.unique(max(stamps, key=len))
    positions = [_positions(dates, when) for when in stamps]
    if any(p is None for p in positions):
        dates = np.unique(np.concatenate(stamps))
        positions = [np.searchsorted(dates, when) for when in stamps]
    values = np.full((len(dates), len(names)), np.nan, order="F")
    for column, (name, rows) in enumerate(zip(names, positions, strict=True)):
        values[rows, column] = columns[name][1]
    index = pd.DatetimeIndex(dates, name="date")
    wide = pd.DataFrame(values, index=index, columns=names)
    return wide.dropna(how="all")


def _positions(dates: np.ndarray, wanted: np.ndarray) -> np.ndarray | None:
    """Where each of ``wanted`` is in the sorted ``dates``; None when one of them is not."""
    rows = np.searchsorted(dates, wanted)
    if rows.size and rows.max() >= dates.size:
        return None
    return rows if np.array_equal(dates[rows], wanted) else None


def _empty_closes() -> pd.DataFrame:
    return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype="float64")


def _as_bars(frame: pd.DataFrame) -> pd.DataFrame:
    return validate_bars(frame)


def _as_universe(frame: pd.DataFrame) -> pd.DataFrame:
    return validate_universe(frame)


def _as_closes(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.name != "date":
        raise ValueError("closes must be indexed by a DatetimeIndex named 'date'")
    if not all(dtype == "float64" for dtype in frame.dtypes):
        raise ValueError("closes must be float64 columns")
    return frame


def _signature(path: Path) -> _Signature | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _label(signature: _Signature) -> str:
    """How closes.arrow names the closes.parquet it was derived from."""
    return "closes.parquet:{}:{}:{}".format(*signature)


def _read_frame(path: Path, check: _Check, columns: list[str] | None = None) -> pd.DataFrame | None:
    """Read a Parquet frame and ``check`` its shape; set the file aside if either fails."""
    read = _read_table(path, columns)
    if read is None:
        return None
    table, signature = read
    return _checked(table, check, path, signature)


def _read_table(path: Path, columns: list[str] | None = None) -> tuple[pa.Table, _Signature] | None:
    """The Arrow table in ``path`` and the file's signature; None when absent or unreadable.

    An unreadable file is set aside, and so is one whose values differ from those written:
    each data page carries a CRC (checked here), and the footer, which no page CRC covers,
    can still change the rows read (a flipped row count reads a few rows as the whole
    file), so the values are checked against the digest written beside them too.
    ``ParquetFile.read`` is used rather than
    ``pq.read_table``, whose dataset machinery costs as much as reading a small file.
    """
    before = _signature(path)
    if before is None:
        return None
    try:
        with pq.ParquetFile(path, page_checksum_verification=True) as parquet:
            table = parquet.read(columns=columns, use_threads=False, use_pandas_metadata=True)
        _verify(table)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        _set_aside(path, before, error)
        return None
    return table, before


def _set_aside(path: Path, failed: _Signature, error: Exception) -> None:
    """Rename an unreadable file aside, unless a good one replaced it since it failed."""
    if _signature(path) != failed:
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if _signature(aside) != failed:
        # A writer replaced the file between the check and the rename: put its file back.
        with suppress(FileExistsError):
            os.link(aside, path)
        aside.unlink(missing_ok=True)
        return
    _log.warning(
        "%s could not be read (%s: %s); set aside as %s",
        path,
        type(error).__name__,
        error,
        aside.name,
    )


def _write_frame(frame: pd.DataFrame, path: Path, *, sync_directory: bool = True) -> _Signature:
    table = pa.Table.from_pandas(frame, preserve_index=True, nthreads=1)
    return _write_table(table, path, sync_directory=sync_directory)


def _write_table(table: pa.Table, path: Path, *, sync_directory: bool = True) -> _Signature:
    """Write ``table`` to ``path`` atomically: temporary file, fsync, rename, fsync dir.

    With page checksums and a digest of the values (see ``_read_table``), so that a flipped
    bit is found when the file is read instead of read as other numbers.

    Returns the signature of the file written (taken before the rename, which keeps it).
    Without ``sync_directory`` the caller fsyncs the directory later (``BarsBatch.sync``).
    Dictionary encoding is off: prices and volumes rarely repeat, and trying it costs more
    time than anything else in the write (files come out smaller without it, too).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = dict(table.schema.metadata or {})
    metadata[_DIGEST_KEY] = json.dumps(_digest(table)).encode()
    table = table.replace_schema_metadata(metadata)
    with _temporary_file(path) as (handle, temporary):
        pq.write_table(table, handle, use_dictionary=False, write_page_checksum=True)
        handle.flush()
        os.fsync(handle.fileno())
        stat = os.fstat(handle.fileno())
        handle.close()
        os.replace(temporary, path)
    if sync_directory:
        _fsync_directory(path.parent)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _digest(table: pa.Table) -> dict[str, Any]:
    """The CRC-32 of each column's values, as they read back (chunking and nulls aside), and
    of the pandas metadata (which says which column is the index)."""
    return {
        "columns": {name: _crc(table.column(name)) for name in table.column_names},
        "pandas": zlib.crc32((table.schema.metadata or {}).get(b"pandas", b"")),
    }


def _crc(column: pa.ChunkedArray) -> int:
    """The CRC of a column's type (a unit is part of a timestamp's value) and values."""
    kind = column.type
    crc = zlib.crc32(str(kind).encode())
    if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_timestamp(kind):
        values = np.ascontiguousarray(column.to_numpy())
        return zlib.crc32(values.view(np.uint8), crc) if values.size else crc
    return zlib.crc32(json.dumps(column.to_pylist(), default=str).encode(), crc)


def _verify(table: pa.Table) -> None:
    """``ValueError`` unless the columns read and the pandas metadata match their digest.

    Files without a digest (written before it existed, or by pandas) are trusted, but not
    without pandas metadata: every frame stored has it, and a flip in the footer can drop
    the metadata, digest and all (an index would then read as one more column).
    """
    metadata = table.schema.metadata or {}
    if b"pandas" not in metadata:
        raise ValueError("the file has no pandas metadata: it was not written from a frame")
    written = metadata.get(_DIGEST_KEY)
    if written is None:
        return
    expected = json.loads(written)
    columns = expected.get("columns") if isinstance(expected, dict) else None
    if not isinstance(columns, dict):
        raise ValueError(f"the digest is not a JSON object of columns: {written[:80]!r}")
    if expected.get("pandas") != zlib.crc32(metadata.get(b"pandas", b"")):
        raise ValueError("the pandas metadata differs from what was written (digest mismatch)")
    for name in table.column_names:
        if columns.get(name) != _crc(table.column(name)):
            raise ValueError(f"column {name!r} differs from what was written (digest mismatch)")


@contextmanager
def _temporary_file(path: Path) -> Iterator[tuple[IO[bytes], Path]]:
    """A new hidden file beside ``path``, removed unless it was renamed into place."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, temporary
    finally:
        temporary.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
