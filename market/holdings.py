"""Read the Russell 2000 universe from iShares' IWM holdings file (or a plain table).

The iShares download is a report, not a clean CSV: a byte-order mark, metadata lines (one
of them "Fund Holdings as of"), a "blank" line holding a non-breaking space, the holdings
table, another such line, and a multi-line quoted legal notice. Only equity rows that
Yahoo can price are kept; everything else is dropped and counted by reason.

Tickers become Yahoo symbols here. iShares writes class shares without a separator
(``MOGA``, ``BRKB``) where Yahoo writes ``MOG-A``, ``BRK-B``; Nasdaq class shares (``BATRA``)
and some single-class companies (``UAA``, ``VERA``) already are the Yahoo symbol. So the rule
uses the company name and exchange, an override table corrects what it gets wrong, and
``alternate_symbol`` gives the other form to try when Yahoo knows neither.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

import pandas as pd

from market.provider import DataFormatError
from market.tickers import parse_ticker
from market.universe import make_universe

ISHARES_HEADER: tuple[str, ...] = (
    "Ticker",
    "Name",
    "Sector",
    "Asset Class",
    "Market Value",
    "Weight (%)",
    "Notional Value",
    "Quantity",
    "Price",
    "Location",
    "Exchange",
    "Currency",
    "FX Rate",
    "Market Currency",
    "Accrual Date",
)
"""The holdings table's header as iShares writes it."""

SYMBOL_OVERRIDES: Mapping[str, str] = MappingProxyType(
    {
        "UAA": "UAA",  # Under Armour class A trades as UAA, not UA-A
        "VERA": "VERA",  # Vera Therapeutics "Class A": single listed class
        "ZETA": "ZETA",  # Zeta Global "Class A": single listed class
        "DOMA": "DOMA",  # Doma Holdings "Class A": single listed class
        "LILA": "LILA",  # Liberty Latin America class A, a Nasdaq symbol
        "CWENA": "CWEN-A",  # Clearway Energy class A: NYSE CWEN.A, five letters
        "UHALB": "UHAL-B",  # U-Haul Holding non-voting series N: NYSE UHAL.B
    }
)
"""iShares tickers whose Yahoo symbol the class-share rule gets wrong."""

_PREAMBLE_ROWS = 40
_CLASS_IN_NAME = re.compile(r"\b(?:CLASS|CL|SERIES|SER)\s+([A-Z])\b")
_SEPARATORS = re.compile(r"[.\s/]+")
_ESCROW = re.compile(r"\bESC(?:ROW)?\b")
_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y")
_SECTOR_ALIASES: Mapping[str, str] = MappingProxyType(
    {"Communication Services": "Communication", "Information Tech": "Information Technology"}
)


@dataclass(frozen=True)
class HoldingsFile:
    """A parsed holdings file.

    ``universe`` is a Universe frame of Yahoo symbols; ``as_of`` the fund's holdings date
    (None for a plain table); ``dropped`` the number of rows left out, by reason (the
    asset class of non-equity rows, such as ``Cash`` or ``Futures``; ``no ticker``,
    ``unlisted``, ``escrow``, ``not a ticker`` or ``duplicate`` for equity rows);
    ``renamed`` every file ticker whose Yahoo symbol differs (``MOGA`` -> ``MOG-A``), so a
    ticker Yahoo does not know can be traced back to the file.
    """

    universe: pd.DataFrame
    as_of: date | None
    dropped: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)


def yahoo_symbol(ishares_ticker: str, name: str = "", exchange: str = "") -> str:
    """The Yahoo symbol of an iShares ticker (``MOGA`` of "MOOG INC CLASS A" -> ``MOG-A``).

    Separators become dashes (``BRK.B``, ``BRK B`` -> ``BRK-B``). Without a separator, a
    ticker of two to four letters ending in the share class its ``name`` states is split
    off as a class suffix, unless it trades on Nasdaq (whose class shares are plain
    five-letter symbols). ``SYMBOL_OVERRIDES`` wins over the rule.
    """
    raw = ishares_ticker.strip().upper()
    if raw in SYMBOL_OVERRIDES:
        return SYMBOL_OVERRIDES[raw]
    symbol = _SEPARATORS.sub("-", raw).strip("-")
    if symbol != raw:
        return symbol
    share_class = _CLASS_IN_NAME.search(name.upper())
    if (
        share_class is not None
        and raw.isalpha()
        and 2 <= len(raw) <= 4
        and raw.endswith(share_class.group(1))
        and "NASDAQ" not in exchange.upper()
    ):
        return f"{raw[:-1]}-{raw[-1]}"
    return raw


def alternate_symbol(symbol: str) -> str | None:
    """The other spelling of a class-share symbol, to try when Yahoo returns nothing.

    ``MOG-A`` -> ``MOGA`` and ``UAA`` -> ``UA-A``: only for a class letter A to C after one
    to four letters. None for anything else.
    """
    text = symbol.strip().upper()
    dashed = re.fullmatch(r"([A-Z]{1,4})-([A-C])", text)
    if dashed:
        return dashed.group(1) + dashed.group(2)
    plain = re.fullmatch(r"([A-Z]{1,4})([A-C])", text)
    if plain:
        return f"{plain.group(1)}-{plain.group(2)}"
    return None


def parse_holdings(content: bytes | str) -> HoldingsFile:
    """Parse an iShares holdings download, or a plain ``Ticker,Name,Sector[,Weight]`` table.

    Raises ``DataFormatError`` naming what was expected when ``content`` is neither.
    """
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    preamble: list[list[str]] = []
    header: list[str] | None = None
    for row in reader:
        cells = [cell.strip() for cell in row]
        if cells and cells[0].casefold() == "ticker":
            header = cells
            break
        preamble.append(cells)
        if len(preamble) >= _PREAMBLE_ROWS:
            break
    if header is None:
        first = next((" ".join(c for c in cells if c) for cells in preamble if any(cells)), "")
        raise DataFormatError(
            "expected an iShares holdings file or a Ticker,Name,Sector[,Weight] table: "
            f"no header row starting with 'Ticker' in the first {_PREAMBLE_ROWS} lines "
            f"(first line: {first[:80]!r})"
        )
    table: list[tuple[int, list[str]]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            break
        table.append((reader.line_num, [cell.strip() for cell in row]))
    if "asset class" in {h.casefold() for h in header}:
        return _parse_ishares(header, table, _as_of(preamble))
    return _parse_plain(header, table)


def _decode(content: bytes | str) -> str:
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")
    elif isinstance(content, str):
        text = content.removeprefix("\ufeff")
    else:
        raise DataFormatError(f"expected holdings as bytes or str, got {type(content).__name__}")
    if text.lstrip().startswith("<"):
        raise DataFormatError(
            "expected the holdings CSV, got an HTML page (the download may have been blocked)"
        )
    return text


def _as_of(preamble: list[list[str]]) -> date | None:
    for cells in preamble:
        if len(cells) >= 2 and cells[0].casefold() == "fund holdings as of":
            for fmt in _DATE_FORMATS:
                try:
                    return datetime.strptime(cells[1], fmt).date()
                except ValueError:
                    continue
    return None


def _columns(header: list[str], required: tuple[str, ...], kind: str) -> dict[str, int]:
    positions = {name.casefold(): i for i, name in enumerate(header)}
    missing = [name for name in required if name.casefold() not in positions]
    if missing:
        raise DataFormatError(
            f"{kind} needs columns {', '.join(required)}; missing {', '.join(missing)} "
            f"(header: {','.join(header)})"
        )
    return positions


def _cell(row: list[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column.casefold())
    return row[index] if index is not None and index < len(row) else ""


def _number(text: str, line: int, column: str) -> float | None:
    cleaned = text.replace(",", "").replace("%", "").strip()
    if cleaned in {"", "-", "--"}:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise DataFormatError(f"line {line}: expected a number in {column}, got {text!r}") from None


def _check_width(row: list[str], header: list[str], line: int) -> None:
    if len(row) < len(header):
        raise DataFormatError(
            f"line {line}: expected {len(header)} fields as in the header, got {len(row)}"
        )


def _parse_ishares(
    header: list[str], table: list[tuple[int, list[str]]], as_of: date | None
) -> HoldingsFile:
    required = ("Ticker", "Name", "Sector", "Asset Class", "Weight (%)")
    positions = _columns(header, required, "an iShares holdings table")
    dropped: Counter[str] = Counter()
    records: list[dict[str, object]] = []
    renamed: dict[str, str] = {}
    for line, row in table:
        _check_width(row, header, line)
        ticker = _cell(row, positions, "Ticker")
        name = _cell(row, positions, "Name")
        exchange = _cell(row, positions, "Exchange")
        asset_class = _cell(row, positions, "Asset Class")
        weight = _number(_cell(row, positions, "Weight (%)"), line, "Weight (%)")
        if asset_class.casefold() != "equity":
            dropped[asset_class or "no asset class"] += 1
        elif ticker in {"", "-"}:
            dropped["no ticker"] += 1
        elif _ESCROW.search(name.upper()):
            dropped["escrow"] += 1
        elif exchange.casefold().startswith("no market"):
            dropped["unlisted"] += 1
        else:
            symbol = parse_ticker(yahoo_symbol(ticker, name, exchange))
            if symbol is None:
                dropped["not a ticker"] += 1
                continue
            if symbol != ticker.upper():
                renamed[ticker] = symbol
            records.append(
                {
                    "ticker": symbol,
                    "name": name,
                    "sector": _sector(_cell(row, positions, "Sector")),
                    "weight": (weight or 0.0) / 100.0,
                }
            )
    universe = make_universe(_deduplicate(records, dropped))
    return HoldingsFile(universe, as_of, dict(dropped), renamed)


def _parse_plain(header: list[str], table: list[tuple[int, list[str]]]) -> HoldingsFile:
    positions = _columns(header, ("Ticker", "Name", "Sector"), "a plain universe table")
    has_weight = "weight" in positions
    dropped: Counter[str] = Counter()
    records: list[dict[str, object]] = []
    for line, row in table:
        _check_width(row, header, line)
        ticker = _cell(row, positions, "Ticker")
        if ticker in {"", "-"}:
            dropped["no ticker"] += 1
            continue
        symbol = parse_ticker(_SEPARATORS.sub("-", ticker.upper()).strip("-"))
        if symbol is None:
            dropped["not a ticker"] += 1
            continue
        weight = _number(_cell(row, positions, "Weight"), line, "Weight") if has_weight else None
        records.append(
            {
                "ticker": symbol,
                "name": _cell(row, positions, "Name"),
                "sector": _sector(_cell(row, positions, "Sector")),
                "weight": weight,
            }
        )
    universe = _with_fraction_weights(_deduplicate(records, dropped))
    return HoldingsFile(universe, None, dict(dropped))


def _with_fraction_weights(frame: pd.DataFrame) -> pd.DataFrame:
    """A Universe whose weights are fractions.

    Weights summing to more than 1.5 are read as percentages; no weights at all mean equal
    weights.
    """
    weights = pd.to_numeric(frame["weight"], errors="coerce")
    if weights.isna().all():
        weights = pd.Series(1.0 / len(frame), index=frame.index)
    elif weights.sum() > 1.5:
        weights = weights / 100.0
    return make_universe(frame.assign(weight=weights.fillna(0.0)))


def _deduplicate(records: list[dict[str, object]], dropped: Counter[str]) -> pd.DataFrame:
    """``records`` as a frame, keeping the row with the larger weight of a repeated ticker."""
    if not records:
        kept = ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items())) or "no rows"
        raise DataFormatError(f"expected equity rows in the holdings table, found none ({kept})")
    frame = pd.DataFrame.from_records(records)
    order = pd.to_numeric(frame["weight"], errors="coerce").fillna(-1.0)
    frame = frame.loc[order.sort_values(ascending=False, kind="stable").index]
    repeated = frame["ticker"].duplicated(keep="first")
    if repeated.any():
        dropped["duplicate"] += int(repeated.sum())
    return frame.loc[~repeated]


def _sector(name: str) -> str:
    return _SECTOR_ALIASES.get(name, name)
