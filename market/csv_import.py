"""The import of a ``csv:DIR`` into its Parquet store: every file once, then changed ones.

Reading two thousand CSV files for every movers table took most of a minute. The import
reads them once, several at a time (pyarrow's CSV reader releases the GIL), and writes the
store's closes file, which movers then read in one go (the chart reads one ticker's file,
which takes a few milliseconds).
A manifest in the store remembers each file's (mtime_ns, size) as imported, so the next
import re-reads only files whose size or time changed. Imports take the store's lock: of
several workers, one imports and the others wait, then find nothing left to do. While it
runs, the importing process writes its progress to a file every process can read, so any
worker's page can say how far it is.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from market.csv_source import CsvProvider, FileKey, file_key, read_bars_csv
from market.provider import DataFormatError
from market.store import Store

MANIFEST = "csv-files.json"
"""In the store: each imported ticker's file key, as [mtime_ns, size]."""
PROGRESS = "csv-import.json"
"""In the store: how far the running import is (written by the importing process)."""
READERS = 4
"""Files read at once."""
CHUNK = 100
"""Files read, then written, per step; progress is reported after each."""
RESCAN_SECONDS = 60.0
"""After an import, changed files are looked for again when asked this much later."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportProgress:
    """Files read of those to read, and those that failed (ticker -> why)."""

    done: int
    total: int
    finished: bool = False
    failed: dict[str, str] = field(default_factory=dict)


def import_directory(
    provider: CsvProvider,
    store: Store,
    report: Callable[[ImportProgress], None] = lambda _: None,
    readers: int = READERS,
) -> ImportProgress:
    """Bring ``store``'s closes up to date with ``provider``'s files, reading changed ones only.

    Holds the store's lock throughout. The bars stay in the user's files (the chart reads
    them there); the store keeps the wide closes movers need. A file that fails to read
    keeps its previous closes (if any) and is reported; it is read again once it changes.
    """
    if readers < 1:
        raise ValueError(f"readers must be >= 1, got {readers}")
    with store.lock():
        files = provider.ticker_files()
        imported = read_manifest(store)
        keys = {ticker: file_key(path) for ticker, path in files.items()}
        changed = [t for t, key in keys.items() if key is not None and imported.get(t) != key]
        if not changed and store.closes_path.exists():
            return ImportProgress(0, 0, True)
        failed: dict[str, str] = {}
        progress = ImportProgress(0, len(changed))
        _write_progress(store, progress)
        report(progress)
        closes = _previous_closes(store, files, imported)
        with ThreadPoolExecutor(readers, thread_name_prefix="csv-read") as pool:
            for chunk in _chunks(changed, CHUNK):
                paths = [files[t] for t in chunk]
                for ticker, read in zip(chunk, pool.map(_read, chunk, paths), strict=True):
                    if isinstance(read, str):
                        failed[ticker] = read
                    else:
                        closes[ticker] = read
                    imported[ticker] = keys[ticker] or imported.get(ticker, (0, 0))
                progress = ImportProgress(progress.done + len(chunk), len(changed), False, failed)
                _write_progress(store, progress)
                report(progress)
        store.write_closes(closes)
        _write_json(store.root / MANIFEST, {t: list(k) for t, k in imported.items() if t in files})
        progress = ImportProgress(len(changed), len(changed), True, failed)
        _write_progress(store, progress)
    report(progress)
    return progress


def _previous_closes(
    store: Store, files: dict[str, Path], imported: dict[str, FileKey]
) -> dict[str, pd.Series]:
    """The stored closes of tickers still in ``files`` that were imported before."""
    if not imported:
        return {}
    wide = store.read_closes([t for t in files if t in imported])
    return {str(t): wide[t].dropna() for t in wide.columns}


def read_manifest(store: Store) -> dict[str, FileKey]:
    """Each imported ticker's file key; empty when nothing was imported (or it is unreadable)."""
    try:
        raw = json.loads((store.root / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        str(ticker): (int(key[0]), int(key[1]))
        for ticker, key in raw.items()
        if isinstance(key, list) and len(key) == 2
    }


def read_progress(store: Store) -> ImportProgress | None:
    """The progress the importing process last wrote; None when there is none."""
    try:
        raw = json.loads((store.root / PROGRESS).read_text())
        return ImportProgress(**raw)
    except (OSError, ValueError, TypeError):
        return None


class BackgroundImport:
    """Runs ``import_directory`` in a thread of this process and says how far it is.

    Once the first import has finished, the stored closes stand; asked again after
    ``rescan_seconds``, it looks for changed files (a few milliseconds when there are none)
    and imports them in the background, so a long-running server sees edited files too.
    """

    def __init__(
        self,
        provider: CsvProvider,
        store: Store,
        rescan_seconds: float = RESCAN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.store = store
        self._rescan_seconds = rescan_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._progress: ImportProgress | None = None
        self._imported = threading.Event()

    def start(self) -> None:
        """Start the import, unless one runs or the last one started under a rescan ago."""
        with self._lock:
            thread = self._thread
            due = self._clock() - self._started_at >= self._rescan_seconds
            if thread is None or (not thread.is_alive() and due):
                self._started_at = self._clock()
                self._thread = threading.Thread(target=self._run, name="csv-import", daemon=True)
                self._thread.start()

    def progress(self) -> ImportProgress | None:
        """How far the first import is; None once it has finished (starting it if need be).

        While another process imports (this one waits for the lock), its progress file.
        """
        self.start()
        if self._imported.is_set():
            return None
        with self._lock:
            own = self._progress
        return own or read_progress(self.store) or ImportProgress(0, 0)

    def wait(self) -> None:
        """Start the import if need be and wait until the first one has finished."""
        self.start()
        self._imported.wait()

    def join(self) -> None:
        """Wait for the import running now, if any (the first or a rescan)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def _report(self, progress: ImportProgress) -> None:
        with self._lock:
            self._progress = progress

    def _run(self) -> None:
        try:
            result = import_directory(self.provider, self.store, self._report)
            if result.failed:
                _log.warning("csv import: %d files failed: %s", len(result.failed), result.failed)
        except Exception:  # the page must keep working: it reads what was stored
            _log.exception("csv import of %s failed", self.provider.directory)
        finally:
            self._imported.set()


def _read(ticker: str, path: Path) -> pd.Series | str:
    """The closes of one file, or why it could not be read."""
    try:
        bars = read_bars_csv(path, ticker)
    except (DataFormatError, OSError) as error:
        return str(error)
    return bars["close"] if not bars.empty else f"{path}: the file holds no rows"


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_progress(store: Store, progress: ImportProgress) -> None:
    _write_json(store.root / PROGRESS, asdict(progress))


def _write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON atomically (temporary file, rename): readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(value, handle)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
