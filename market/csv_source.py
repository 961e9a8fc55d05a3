"""The ``csv:DIR`` source: the user's own files, one ``DIR/<TICKER>.csv`` per ticker.

A ticker file is either Yahoo's download (``Date,Open,High,Low,Close[,Adj Close],Volume``)
or what ``yf.download(...).to_csv()`` writes: two header rows (price fields, then tickers,
in either order) and, from pandas' named index, a third ``Date,,,,,`` row. With an
``Adj Close`` column, open, high, low and close are scaled by Adj Close / Close, so prices
are adjusted as everywhere else. ``DIR/universe.csv`` is an iShares holdings file or a plain
``Ticker,Name,Sector[,Weight]`` table. Only files listed in DIR whose name is a valid
ticker are ever opened: a ticker cannot name a path. Files in Yahoo's plain layout are read
with pyarrow's CSV reader; the others (and any file it rejects) with a careful parser that
says what is wrong. ``market.csv_import`` keeps the closes of all files in the store.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from market.bars import BAR_COLUMNS, empty_bars, to_bars
from market.holdings import parse_holdings
from market.provider import DataFormatError, FetchResult, SourceUnavailableError
from market.tickers import parse_ticker
from market.universe import make_universe

UNIVERSE_FILE = "universe.csv"
DEFAULT_INDEX = "IWM"
DEFAULT_BENCHMARK = "SPY"
UNKNOWN_SECTOR = "Unknown"
"""The sector of every name when DIR has no universe.csv to say better."""

EXPECTED_LAYOUT = (
    "expected Yahoo's download format (a header Date,Open,High,Low,Close[,Adj Close],Volume) "
    "or the file yf.download(...).to_csv() writes (header rows Price,... and Ticker,...)"
)

_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "open": "open",
        "high": "high",
        "low": "low",
        "close": "close",
        "adj close": "adj close",
        "adj_close": "adj close",
        "adjclose": "adj close",
        "volume": "volume",
    }
)
"""Header cells that name a price field (case-insensitive), and the field they name."""
_DATE_CELL = re.compile(r"^\d{4}-\d{2}-\d{2}")
_BLANK_VALUES = frozenset({"", "null", "nan", "NaN", "NA", "N/A", "None"})
_MAX_HEADER_ROWS = 3

_log = logging.getLogger(__name__)

FileKey = tuple[int, int]
"""(mtime_ns, size) of a file: when it changes, the file is read again."""


class CsvProvider:
    """Bars and the universe from CSV files in one directory; nothing is simulated."""

    def __init__(self, directory: Path, index_ticker: str | None = None) -> None:
        self.directory = Path(directory).expanduser()
        if not self.directory.is_dir():
            raise SourceUnavailableError(f"CSV source: {self.directory} is not a directory")
        self.name = f"csv:{self.directory}"
        self.simulated = False
        self.benchmark_ticker = DEFAULT_BENCHMARK
        self.index_ticker = self._pick_index(index_ticker)
        self._lock = threading.Lock()
        self._closes_cache: dict[str, tuple[FileKey, pd.Series]] = {}
        self._universe_cache: tuple[tuple[Path, FileKey], pd.DataFrame] | None = None
        self._closes_frame: tuple[tuple[tuple[str, FileKey], ...], pd.DataFrame] | None = None

    def tickers(self) -> list[str]:
        """Every ticker with a file in the directory, sorted."""
        return sorted(self.ticker_files())

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        """Bars of each ticker from its file, cut to [start, end].

        A ticker that is not a valid symbol, has no file or no rows in the window is
        missing; a file that cannot be read or parsed is failed, with the reason.
        """
        files = self.ticker_files()
        found: dict[str, pd.DataFrame] = {}
        missing: list[str] = []
        failed: dict[str, str] = {}
        for ticker in dict.fromkeys(tickers):
            symbol = parse_ticker(ticker)
            path = files.get(symbol) if symbol is not None else None
            if symbol is None or path is None:
                missing.append(ticker)
                continue
            try:
                bars = read_bars_csv(path, symbol)
            except (DataFormatError, OSError) as error:
                failed[ticker] = str(error)
                continue
            bars = bars.loc[_timestamp(start) : _timestamp(end)]
            if bars.empty:
                missing.append(ticker)
            else:
                found[ticker] = bars
        return FetchResult(bars=found, missing=tuple(missing), failed=failed)

    def universe(self) -> pd.DataFrame:
        """The universe from DIR/universe.csv; without one, every ticker file but the index's.

        Without universe.csv the names are the tickers, the sector is ``Unknown`` and the
        weights are equal.
        """
        path = self._universe_path()
        if path is not None:
            return self._universe_from(path).copy(deep=False)
        others = [t for t in self.tickers() if t not in {self.index_ticker, self.benchmark_ticker}]
        return make_universe(
            pd.DataFrame(
                {
                    "ticker": others,
                    "name": others,
                    "sector": UNKNOWN_SECTOR,
                    "weight": 1.0 / len(others) if others else 0.0,
                }
            )
        )

    def closes(self) -> pd.DataFrame:
        """Daily closes of the universe's tickers that have a readable file, wide.

        A ``date`` index by one column per ticker, in universe order. Files that fail to
        parse are left out (and logged); ``bars`` reports why.
        """
        files = self.ticker_files()
        wanted = [t for t in self.universe()["ticker"] if t in files]
        signature = tuple((t, key) for t in wanted if (key := file_key(files[t])) is not None)
        with self._lock:
            if self._closes_frame is not None and self._closes_frame[0] == signature:
                return self._closes_frame[1].copy(deep=False)
        series = {}
        for ticker, key in signature:
            close = self._closes_of(ticker, files[ticker], key)
            if close is not None:
                series[ticker] = close
        if series:
            frame = pd.concat(series, axis=1, sort=True)
        else:
            frame = pd.DataFrame(index=empty_bars().index, dtype="float64")
        frame.index.name = "date"
        frame.columns.name = "ticker"
        with self._lock:
            self._closes_frame = (signature, frame)
        return frame.copy(deep=False)

    def _universe_from(self, path: Path) -> pd.DataFrame:
        key = file_key(path)
        with self._lock:
            cached = self._universe_cache
        if cached is not None and key is not None and cached[0] == (path, key):
            return cached[1]
        try:
            universe = parse_holdings(path.read_bytes()).universe
        except DataFormatError as error:
            raise DataFormatError(f"{path}: {error}") from error
        if key is not None:
            with self._lock:
                self._universe_cache = ((path, key), universe)
        return universe

    def _closes_of(self, ticker: str, path: Path, key: FileKey) -> pd.Series | None:
        with self._lock:
            cached = self._closes_cache.get(ticker)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            close = read_bars_csv(path, ticker)["close"]
        except (DataFormatError, OSError) as error:
            _log.warning("left out of closes: %s", error)
            return None
        with self._lock:
            self._closes_cache[ticker] = (key, close)
        return close

    def _pick_index(self, index_ticker: str | None) -> str:
        if index_ticker is not None:
            symbol = parse_ticker(index_ticker)
            if symbol is None:
                raise ValueError(f"{index_ticker[:40]!r} is not a ticker")
            return symbol
        tickers = self.tickers()
        if DEFAULT_INDEX in tickers or not tickers:
            return DEFAULT_INDEX
        return tickers[0]

    def ticker_files(self) -> dict[str, Path]:
        """Ticker -> file, for files named ``<TICKER>.csv`` (any case; exact case wins)."""
        files: dict[str, Path] = {}
        for path in sorted(self.directory.iterdir()):
            if path.suffix.lower() != ".csv" or path.name.lower() == UNIVERSE_FILE:
                continue
            ticker = parse_ticker(path.stem)
            if ticker is None or not path.is_file():
                continue
            if ticker not in files or path.stem == ticker:
                files[ticker] = path
        return files

    def _universe_path(self) -> Path | None:
        for path in sorted(self.directory.iterdir()):
            if path.name.lower() == UNIVERSE_FILE and path.is_file():
                return path
        return None


def read_bars_csv(path: Path, ticker: str | None = None) -> pd.DataFrame:
    """Bars from one CSV file (see the module docstring for the formats).

    Yahoo's plain layout goes through pyarrow's CSV reader (about ten times faster); any
    other layout, or a file that reader rejects, through ``parse_bars_csv``, which names
    the problem. Raises ``DataFormatError`` naming the file and what was expected.
    """
    data = path.read_bytes()
    plain = _read_plain(data)
    if plain is not None:
        return plain
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: expected UTF-8 text; {EXPECTED_LAYOUT}") from None
    return parse_bars_csv(text, str(path), ticker)


def _read_plain(data: bytes) -> pd.DataFrame | None:
    """Bars from a file in Yahoo's plain layout (one header row, ``YYYY-MM-DD`` dates).

    None for any other layout or any cell the careful parser would judge: that parser then
    reads the file again and says what is wrong, so both paths accept the same files.
    """
    try:
        header = data.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    cells = [cell.strip().casefold() for cell in header.strip().split(",")]
    fields = [_FIELDS.get(cell) for cell in cells[1:]]
    if cells[0] != "date" or None in fields or len(set(fields)) != len(fields):
        return None
    names = [field for field in fields if field is not None]
    if any(field not in names for field in BAR_COLUMNS):
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, skip_rows=1, column_names=["date", *names]
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={"date": pa.string(), **dict.fromkeys(names, pa.float64())},
                null_values=sorted(_BLANK_VALUES),
                strings_can_be_null=False,
            ),
        )
        text = table["date"]
        if not pc.all(pc.match_substring_regex(text, _DATE_CELL.pattern)).as_py():
            return None
        days = pc.strptime(pc.utf8_slice_codeunits(text, 0, 10), "%Y-%m-%d", unit="s")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    stamps = days.to_numpy(zero_copy_only=False)
    if stamps.size > 1 and not (stamps[1:] > stamps[:-1]).all():
        return None  # unsorted or repeated dates: the careful parser sorts them out
    values = {field: table[field].to_numpy(zero_copy_only=False) for field in names}
    close = values["close"]
    if "adj close" in values:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = values["adj close"] / np.where(close > 0, close, np.nan)
        ratio[np.isnan(ratio)] = 1.0
        for field in ("open", "high", "low", "close"):
            values[field] = values[field] * ratio
    kept = ~np.isnan(values["close"])
    index = pd.DatetimeIndex(stamps[kept], name="date").as_unit(_date_unit())
    return pd.DataFrame({field: values[field][kept] for field in BAR_COLUMNS}, index=index)


def _date_unit() -> Literal["s", "ms", "us", "ns"]:
    """The time unit pandas gives parsed dates (it changed between versions)."""
    return pd.to_datetime(pd.Series(["2000-01-03"]), format="%Y-%m-%d").dt.unit


def _adjusted_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Bars from parsed fields, prices scaled by Adj Close / Close when there is one."""
    if "adj close" in frame.columns:
        ratio = frame["adj close"] / frame["close"].where(frame["close"] > 0)
        ratio = ratio.where(ratio.notna(), 1.0)
        for field in ("open", "high", "low", "close"):
            frame[field] = frame[field] * ratio
    return to_bars(frame.loc[:, list(BAR_COLUMNS)])


def parse_bars_csv(text: str, source: str, ticker: str | None = None) -> pd.DataFrame:
    """Bars from the text of a CSV file; ``source`` names it in errors.

    When the file holds columns for several tickers (a multi-ticker ``yf.download``),
    ``ticker`` picks its columns.
    """
    lines = text.splitlines()
    first_data_line, width, columns = _read_header(lines, source, ticker)
    try:
        body = pd.read_csv(
            io.StringIO("\n".join(lines[first_data_line:])),
            header=None,
            dtype=str,
            keep_default_na=False,
        )
    except pd.errors.EmptyDataError:
        return empty_bars()
    except (ValueError, pd.errors.ParserError) as error:
        raise DataFormatError(f"{source}: {EXPECTED_LAYOUT}; {error}") from None
    if body.shape[1] > width:
        raise DataFormatError(
            f"{source}: {EXPECTED_LAYOUT}; rows have {body.shape[1]} fields, the header {width}"
        )
    body = body.loc[(body.fillna("").apply(lambda c: c.str.strip()) != "").any(axis=1)]
    dates = _dates(body[0], source)
    values = {field: _numbers(body[col], dates, field, source) for field, col in columns.items()}
    return _adjusted_bars(pd.DataFrame(values, index=dates))


def _read_header(
    lines: Sequence[str], source: str, ticker: str | None
) -> tuple[int, int, dict[str, int]]:
    """The first data line, the header's width, and the column of each field for ``ticker``."""
    rows: list[list[str]] = []
    first_data_line = len(lines)
    for number, line in enumerate(lines):
        row = [cell.strip() for cell in next(csv.reader([line]), [])]
        if not any(row):
            continue
        if _DATE_CELL.match(row[0]):
            first_data_line = number
            break
        if any(_is_number(cell) for cell in row[1:]):
            raise DataFormatError(
                f"{source}: expected a date like 2024-01-02 in the first column, got {row[0]!r}"
            )
        rows.append(row)
        if len(rows) > _MAX_HEADER_ROWS:
            raise DataFormatError(
                f"{source}: {EXPECTED_LAYOUT}; no date like 2024-01-02 in the first column "
                f"after {_MAX_HEADER_ROWS} header rows"
            )
    if not rows:
        raise DataFormatError(f"{source}: {EXPECTED_LAYOUT}; found no header row")
    field_row = max(rows, key=lambda r: sum(c.casefold() in _FIELDS for c in r[1:]))
    ticker_rows = [
        r
        for r in rows
        if r is not field_row and any(c and c.casefold() not in _FIELDS for c in r[1:])
    ]
    tickers = ticker_rows[0] if ticker_rows else []
    named = {t.upper() for t in tickers[1:] if t}
    wanted = ticker.upper() if ticker is not None else None
    if len(named) > 1 and wanted not in named:
        raise DataFormatError(
            f"{source}: holds columns for {', '.join(sorted(named))}, not for {ticker}"
        )
    columns: dict[str, int] = {}
    for position, cell in enumerate(field_row[1:], start=1):
        field = _FIELDS.get(cell.casefold())
        column_ticker = tickers[position].upper() if position < len(tickers) else ""
        if field is None or (len(named) > 1 and column_ticker != wanted):
            continue
        if field in columns:
            raise DataFormatError(f"{source}: {EXPECTED_LAYOUT}; column {cell} appears twice")
        columns[field] = position
    absent = [f.title() for f in BAR_COLUMNS if f not in columns]
    if absent:
        raise DataFormatError(
            f"{source}: {EXPECTED_LAYOUT}; missing {', '.join(absent)} "
            f"(header: {','.join(field_row)})"
        )
    return first_data_line, max(len(row) for row in rows), columns


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.casefold() not in {"nan", "inf", "-inf", "infinity"}


def _dates(cells: pd.Series, source: str) -> pd.DatetimeIndex:
    """Session dates from ``YYYY-MM-DD`` cells; a time or UTC offset after it is ignored."""
    text = cells.fillna("").str.strip()
    parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad = ~text.str.match(_DATE_CELL.pattern) | parsed.isna()
    if bad.any():
        raise DataFormatError(
            f"{source}: expected a date like 2024-01-02 in the first column, "
            f"got {text[bad].iloc[0]!r}"
        )
    return pd.DatetimeIndex(parsed, name="date")


def _numbers(cells: pd.Series, dates: pd.DatetimeIndex, field: str, source: str) -> pd.Series:
    text = cells.fillna("").str.strip()
    blank = text.isin(_BLANK_VALUES)
    values = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = ~blank & values.isna()
    if bad.any():
        first = int(bad.to_numpy().argmax())
        raise DataFormatError(
            f"{source}: expected a number for {field.title()} on {dates[first].date()}, "
            f"got {text.iloc[first]!r}"
        )
    return pd.Series(values.to_numpy(dtype="float64"), index=dates)


def file_key(path: Path) -> FileKey | None:
    """The file's (mtime_ns, size), or None when it cannot be looked at."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _timestamp(value: date | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)
