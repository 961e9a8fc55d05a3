"""The on-disk store of one source: Parquet bars per ticker, the universe, and wide closes.

Layout under ``root`` (one source's namespace, e.g. ``cache_dir / "yahoo"``)::

    bars/<TICKER>.parquet   daily Bars of one ticker
    universe.parquet        the last good Universe
    closes.parquet          every ticker's closes, wide (date x ticker), for movers
    .refresh.lock           taken by refreshes so that several processes serialise
    .updated                its modification time is when the store last changed

Every write goes to a temporary file in the same directory, is fsynced and then renamed
over the old file, so a crash leaves the old file or the new one, never half of either.
A file that fails to read is renamed aside (``<name>.corrupt-<time>``) and treated as
absent, so that it is fetched again instead of silently used.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import filelock
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from market.bars import validate_bars
from market.tickers import check_ticker, parse_ticker
from market.universe import validate_universe

_SOURCES_KEY = b"r2k_sources"
"""closes.parquet metadata: the (inode, mtime_ns, size) of each bars file it was built from."""

_Check = Callable[[pd.DataFrame], pd.DataFrame]
"""Checks the shape of a frame just read, raising ``ValueError`` when it is wrong."""

_log = logging.getLogger(__name__)


class Store:
    """Parquet files of one data source under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

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
        path = self.bars_path(ticker)
        validate_bars(bars)
        if bars.empty:
            return False
        stored = self.read_bars(ticker)
        merged = bars if stored is None else _merge_bars(stored, bars)
        if merged.empty or (stored is not None and len(merged) < len(stored)):
            return False
        if stored is None or not merged.equals(stored):
            _write_frame(merged, path)
        self._touch()
        return True

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

    def rebuild_closes(self) -> None:
        """Bring closes.parquet up to date with the bars files, re-reading only changed ones."""
        current = self._signatures()
        if current == self._built_from():
            return
        closes, sources = self._build_closes(current)
        if closes.columns.empty:
            self.closes_path.unlink(missing_ok=True)
            return
        table = pa.Table.from_pandas(closes, preserve_index=True)
        metadata = dict(table.schema.metadata or {})
        metadata[_SOURCES_KEY] = json.dumps(sources).encode()
        _write_table(table.replace_schema_metadata(metadata), self.closes_path)
        self._touch()

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
        return _read_frame(path, _as_closes, columns=columns)

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
        self, current: dict[str, list[int]] | None = None
    ) -> tuple[pd.DataFrame, dict[str, list[int]]]:
        """Wide closes and the signatures of the files they came from (see _SOURCES_KEY)."""
        current = self._signatures() if current is None else current
        built_from = self._built_from() or {}
        previous = _read_frame(self.closes_path, _as_closes) if built_from else None
        if previous is None:
            previous, built_from = _empty_closes(), {}
        unchanged = [
            t for t in previous.columns if t in current and built_from.get(t) == current[t]
        ]
        parts: list[pd.DataFrame | pd.Series] = [previous.loc[:, unchanged]]
        sources = {t: current[t] for t in unchanged}
        for ticker, signature in current.items():
            if ticker in sources:
                continue
            bars = self.read_bars(ticker)
            if bars is not None and not bars.empty:
                parts.append(bars["close"].rename(ticker))
                sources[ticker] = signature
        closes = pd.concat(parts, axis=1).astype("float64")
        closes = closes.sort_index().loc[:, sorted(closes.columns)]
        closes.index.name = "date"
        return closes.dropna(how="all"), sources


def _merge_bars(stored: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    merged = pd.concat([stored, new])
    merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    merged.index.name = "date"
    return merged


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


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_frame(path: Path, check: _Check, columns: list[str] | None = None) -> pd.DataFrame | None:
    """Read a Parquet frame and ``check`` its shape; set the file aside if either fails."""
    before = _signature(path)
    if before is None:
        return None
    try:
        table = pq.read_pandas(path, columns=columns, use_threads=False)
        return check(table.to_pandas(use_threads=False))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        _set_aside(path, before, error)
        return None


def _set_aside(path: Path, failed: tuple[int, int, int], error: Exception) -> None:
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


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    _write_table(pa.Table.from_pandas(frame, preserve_index=True, nthreads=1), path)


def _write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically: temporary file, fsync, rename, fsync dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_file(path) as (handle, temporary):
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, path)
    _fsync_directory(path.parent)


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
