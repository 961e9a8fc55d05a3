"""The demo market's prices in one file that every process maps instead of building them.

Each worker used to simulate the market at start (about a second) and keep its own 50 MB
of float64 closes (3,132 days x 2,002 columns). The first process now writes them, with
each column's daily volatility and traded value as the last two rows, to a ``.npy`` file
in Fortran order (one column's closes contiguous, as the bars of a ticker read them); the
others map it read-only. Its pages are then the kernel's file cache, shared by every
worker, and the values are the very float64 ones the simulation made.

The file's name carries the seed, the end date and a digest of the code that simulates
the market, so changed code never maps an old file; it is written atomically (temporary
file, then rename) under a lock, so a process maps a whole file or builds it itself. A
CRC-32 of the file, kept beside it, is checked before every mapping (20-35 ms): a file
with changed bytes is built again, not shown.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import BinaryIO

import filelock
import numpy as np

SIMULATION_CODE = ("demo.py", "demo_rates.py", "universe.py")
"""The modules of ``market`` whose code decides the demo's numbers."""
CHUNK_BYTES = 1 << 20
"""How much of the file its checksum reads at a time."""
LOCK_SECONDS = 120.0
"""How long a process waits for another one writing the file before building its own."""


def demo_file(directory: Path, seed: int, end: date) -> Path:
    """Where the demo market of ``seed`` ending on ``end`` is kept under ``directory``."""
    digest = hashlib.blake2b(digest_size=6)
    for name in SIMULATION_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return directory / f"demo-market-{seed}-{end:%Y%m%d}-{digest.hexdigest()}.npy"


def map_table(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The float64 table in ``path`` mapped read-only, None unless it has ``shape``.

    A missing, truncated or foreign file, or one whose bytes do not match the checksum beside
    it, gives None: the caller builds it again.
    """
    try:
        expected = int(checksum_file(path).read_text())
        with path.open("rb") as handle:
            if _crc32(handle) != expected:
                return None
        # A file renamed over this one meanwhile holds the same values (the name says so).
        table = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if table.shape != shape or table.dtype != np.float64 or not table.flags.f_contiguous:
        return None
    return np.asarray(table)  # a plain array over the mapping, not an np.memmap


def checksum_file(path: Path) -> Path:
    """Where the CRC-32 of the table file ``path`` is kept."""
    return path.with_name(path.name + ".crc32")


def _crc32(handle: BinaryIO) -> int:
    """CRC-32 of a file's bytes, read from the file rather than through a mapping: the
    pages then stay out of this process's memory until its bars read them."""
    crc = 0
    while chunk := handle.read(CHUNK_BYTES):
        crc = zlib.crc32(chunk, crc)
    return crc


def write_table(table: np.ndarray, path: Path) -> None:
    """Write ``table`` (2-D float64) to ``path`` in Fortran order, and its checksum beside it.

    Each file is written atomically, the checksum first: one left without its table (by a
    process stopped in between) at worst has the next process build the table again.
    """
    if table.ndim != 2 or table.dtype != np.float64:
        raise ValueError(f"expected a 2-D float64 table, got {table.ndim}-D {table.dtype}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(path) as temporary:
        with temporary.open("w+b") as handle:
            np.save(handle, np.asfortranarray(table), allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            crc = _crc32(handle)
        with _temporary_beside(checksum_file(path)) as checksum:
            checksum.write_text(str(crc))
            os.replace(checksum, checksum_file(path))
        os.replace(temporary, path)


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A new empty file in ``path``'s directory, removed on leaving unless renamed."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def shared_table(path: Path, shape: tuple[int, int], build: Callable[[], np.ndarray]) -> np.ndarray:
    """The table in ``path`` mapped, after ``build``-ing and writing it if need be.

    One process builds while the others wait on the lock, then all map the same file.
    Where the file cannot be written, the table is built and kept in this process only.
    """
    table = map_table(path, shape)
    if table is not None:
        return table
    try:
        with filelock.FileLock(path.with_name(path.name + ".lock"), timeout=LOCK_SECONDS):
            table = map_table(path, shape)
            if table is None:
                write_table(build(), path)
                table = map_table(path, shape)
    except (OSError, filelock.Timeout):  # a read-only or stuck directory: a copy of our own
        table = None
    return np.asfortranarray(build()) if table is None else table
