"""The hand-made mutants of issue 14: each a bug the suite once missed, with the tests that
must now catch it. Each ``old`` must occur exactly once in its file, so that a change to the
code that moves it makes the mutant fail loudly instead of testing nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` by ``new`` in ``path``; one of ``tests`` must then fail."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


CHANNEL_TESTS = ("tests/test_channel.py",)
MOVERS_TESTS = ("tests/test_movers.py",)
READ_TESTS = ("tests/test_read.py",)
STORE_TESTS = ("tests/test_store.py",)

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "anchored channel drops the anchor's own bar",
        "analysis/channel.py",
        'searchsorted(pd.Timestamp(anchor), side="right")) - 1',
        'searchsorted(pd.Timestamp(anchor), side="left")) - 1',
        CHANNEL_TESTS,
    ),
    Mutant(
        "a channel needs more than 3 bars",
        "analysis/channel.py",
        "    if n < _MIN_BARS:",
        "    if n <= _MIN_BARS:",
        CHANNEL_TESTS,
    ),
    Mutant(
        "the read draws no channel over exactly 3 weeks",
        "analysis/read.py",
        "if len(weeks) >= 3 else None",
        "if len(weeks) > 3 else None",
        READ_TESTS,
    ),
    Mutant(
        "sector summary: mean instead of median",
        "analysis/movers.py",
        '"median_return_pct": grouped["return_pct"].median(),',
        '"median_return_pct": grouped["return_pct"].mean(),',
        MOVERS_TESTS,
    ),
    Mutant(
        "min_price drops a price equal to the minimum",
        "analysis/movers.py",
        "cheap = ranked & (last < float(min_price))",
        "cheap = ranked & (last <= float(min_price))",
        MOVERS_TESTS,
    ),
    Mutant(
        "the read builds weeks ignoring as_of",
        "analysis/read.py",
        "Study(weekly_bars(daily, as_of, in_progress=in_progress))",
        "Study(weekly_bars(daily, None, in_progress=in_progress))",
        READ_TESTS,
    ),
    Mutant(
        "week_partial always False",
        "analysis/read.py",
        'week_partial=bool(weeks["partial"].iloc[-1]),',
        "week_partial=False,",
        READ_TESTS,
    ),
    Mutant(
        "the data file is renamed without its own fsync",
        "market/store.py",
        "        handle.flush()\n        os.fsync(handle.fileno())\n",
        "        handle.flush()\n",
        STORE_TESTS,
    ),
    Mutant(
        "closes are rebuilt only when the tickers change",
        "market/store.py",
        "        if current == self._built_from():\n            return\n",
        "        if set(current) == set(self._built_from()):\n            return\n",
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: a column's type is left out of its CRC",
        "market/store.py",
        "    crc = zlib.crc32(str(kind).encode())\n",
        "    crc = 0\n",
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: a number column's values are left out of its CRC",
        "market/store.py",
        "return zlib.crc32(values.view(np.uint8), crc) if values.size else crc",
        "return crc",
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: the values read are not compared with the digest",
        "market/store.py",
        "if columns.get(name) != _crc(table.column(name)):",
        "if name not in columns:",
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: the pandas metadata is not compared with the digest",
        "market/store.py",
        'if expected.get("pandas") != zlib.crc32(metadata.get(b"pandas", b"")):',
        'if "pandas" not in expected:',
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: a file without pandas metadata is trusted",
        "market/store.py",
        'if b"pandas" not in metadata:',
        "if not metadata:",
        STORE_TESTS,
    ),
    Mutant(
        "store checksum: a closes file whose footer fails is left in place",
        "market/store.py",
        "pa.ArrowException):\n            return _read_frame(path, _as_closes)\n",
        "pa.ArrowException):\n            return None\n",
        STORE_TESTS,
    ),
)
