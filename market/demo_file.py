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
CRC-32 of its values, kept beside it, is checked on every mapping (about 12 ms): a file
with changed bytes is built again, not shown.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import BinaryIO

import filelock
import numpy as np

SIMULATION_CODE = ("demo.py", "demo_rates.py", "universe.py")
"""The modules of ``market`` whose code decides the demo's numbers."""
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

    A missing, truncated or foreign file gives None: the caller builds it again.
    """
    try:
        table = np.load(path, mmap_mode="r", allow_pickle=False)
        expected = int(checksum_file(path).read_text())
    except (OSError, ValueError):
        return None
    if table.shape != shape or table.dtype != np.float64 or not table.flags.f_contiguous:
        return None
    if _crc32(table) != expected:
        return None
    return np.asarray(table)  # a plain array over the mapping, not an np.memmap


def checksum_file(path: Path) -> Path:
    """Where the CRC-32 of the values in the table file ``path`` is kept."""
    return path.with_name(path.name + ".crc32")


def _crc32(table: np.ndarray) -> int:
    """CRC-32 of a Fortran-order table's values, in their order in the file."""
    return zlib.crc32(table.ravel(order="F").view(np.uint8))


def write_table(table: np.ndarray, path: Path) -> None:
    """Write ``table`` (2-D float64) to ``path`` in Fortran order, and its checksum beside it.

    Each file is written atomically, the checksum first: one left without its table (by a
    process stopped in between) at worst has the next process build the table again.
    """
    if table.ndim != 2 or table.dtype != np.float64:
        raise ValueError(f"expected a 2-D float64 table, got {table.ndim}-D {table.dtype}")
    table = np.asfortranarray(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(checksum_file(path), lambda handle: handle.write(b"%d" % _crc32(table)))
    _write_atomically(path, lambda handle: np.save(handle, table, allow_pickle=False))


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` the file ``path`` through a temporary file renamed into place."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
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
