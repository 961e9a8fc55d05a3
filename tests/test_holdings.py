"""The iShares IWM holdings parser, on a fixture in the real download's format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from market.holdings import (
    ISHARES_HEADER,
    SYMBOL_OVERRIDES,
    alternate_symbol,
    parse_holdings,
    yahoo_symbol,
)
from market.provider import DataFormatError
from market.universe import validate_universe

DATA = Path(__file__).parent / "data"
IWM = DATA / "IWM_holdings.csv"
PLAIN = DATA / "universe_plain.csv"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def iwm():
    return parse_holdings(IWM.read_bytes())


def test_the_fixture_has_the_quirks_of_the_real_download():
    raw = IWM.read_bytes()
    text = raw.decode("utf-8-sig")
    lines = text.split("\n")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert lines[8] == NBSP and lines[9] == ",".join(ISHARES_HEADER)
    assert '"1,532,594,919.50"' in text
    assert text.count(f"\n{NBSP}\n") == 2
    assert '"The content' in text


def test_equity_rows_become_a_universe_of_yahoo_symbols(iwm):
    universe = validate_universe(iwm.universe)
    tickers = universe["ticker"].tolist()
    assert len(tickers) == 20
    assert {"MOG-A", "GEF-B", "UAA", "BATRA", "VERA", "CRDO"} <= set(tickers)
    assert not {"MOGA", "GEFB", "XTSLA", "USD", "CAD", "RTYM6", "TPIC", "-"} & set(tickers)
    assert tickers[0] == "CRDO"  # sorted by weight, largest first


def test_weights_become_fractions_and_names_and_sectors_are_kept(iwm):
    row = iwm.universe.set_index("ticker").loc["CRDO"]
    assert row["weight"] == pytest.approx(0.0063)
    assert row["name"] == "CREDO TECHNOLOGY GROUP HOLDING LTD"
    assert row["sector"] == "Information Technology"
    assert iwm.universe.set_index("ticker").loc["BATRA", "sector"] == "Communication"
    assert iwm.universe["weight"].sum() == pytest.approx(0.05)


def test_the_as_of_date_comes_from_the_metadata(iwm):
    assert iwm.as_of == date(2025, 11, 21)


def test_what_was_dropped_is_counted_by_reason(iwm):
    assert iwm.dropped == {
        "Money Market": 1,
        "Cash": 2,
        "Cash Collateral and Margins": 1,
        "Futures": 1,
        "no ticker": 1,
        "escrow": 1,
        "unlisted": 1,
        "duplicate": 1,
    }


def test_a_duplicate_ticker_keeps_the_row_with_the_larger_weight(iwm):
    ensg = iwm.universe[iwm.universe["ticker"] == "ENSG"]
    assert len(ensg) == 1
    assert ensg["name"].item() == "ENSIGN GROUP INC"
    assert ensg["weight"].item() == pytest.approx(0.0032)


def test_renamed_tickers_are_reported(iwm):
    assert iwm.renamed == {"MOGA": "MOG-A", "GEFB": "GEF-B"}


def test_text_with_windows_line_endings_and_no_bom_parses_the_same(iwm):
    text = IWM.read_text(encoding="utf-8-sig").replace("\n", "\r\n")
    again = parse_holdings(text)
    assert again.universe.equals(iwm.universe)
    assert again.as_of == iwm.as_of and again.dropped == iwm.dropped


def test_the_table_ends_at_the_first_blank_line():
    lines = IWM.read_text(encoding="utf-8-sig").split("\n")
    header = lines.index(",".join(ISHARES_HEADER))
    cut = [*lines[: header + 4], NBSP, *lines[header + 4 :]]
    holdings = parse_holdings("\n".join(cut))
    assert holdings.universe["ticker"].tolist() == ["CRDO", "BE"]  # XTSLA, the 2nd row, is cash


def test_the_metadata_may_have_any_number_of_lines():
    text = IWM.read_text(encoding="utf-8-sig")
    shorter = text.replace('Inception Date,"May 22, 2000"\n', "").replace('Bond,"-"\n', "")
    assert parse_holdings(shorter).universe["ticker"].tolist()[:3] == ["CRDO", "BE", "FN"]


def test_an_unreadable_as_of_date_is_none():
    text = IWM.read_text(encoding="utf-8-sig").replace('"Nov 21, 2025"', '"-"')
    assert parse_holdings(text).as_of is None


# --- the plain table ----------------------------------------------------------------------


def test_a_plain_table_is_a_universe_too():
    holdings = parse_holdings(PLAIN.read_text())
    universe = validate_universe(holdings.universe)
    assert universe["ticker"].tolist() == ["CRDO", "MOG-A", "BRK-B", "EXLS"]
    assert universe["weight"].tolist() == pytest.approx([0.40, 0.25, 0.20, 0.15])
    assert universe.set_index("ticker").loc["EXLS", "sector"] == "Communication"
    assert holdings.as_of is None and holdings.dropped == {}


def test_plain_weights_in_percent_become_fractions():
    text = "Ticker,Name,Sector,Weight\nAAA,A Inc,Energy,60\nBBB,B Inc,Utilities,40\n"
    weights = parse_holdings(text).universe["weight"].tolist()
    assert weights == pytest.approx([0.6, 0.4])


def test_a_plain_table_without_weights_weighs_tickers_equally():
    text = "ticker,name,sector\nAAA,A Inc,Energy\nBBB,B Inc,Utilities\nAAA,A again,Energy\n"
    holdings = parse_holdings(text)
    assert holdings.universe["weight"].tolist() == pytest.approx([0.5, 0.5])
    assert holdings.dropped == {"duplicate": 1}


# --- malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no header row starting with 'Ticker'"),
        ("Symbol,Company\nAAA,A Inc\n", "no header row starting with 'Ticker'"),
        ("<html><body>Please enable cookies</body></html>", "HTML page"),
        ("Ticker,Name\nAAA,A Inc\n", "missing Sector"),
        ("Ticker,Name,Sector,Asset Class\nAAA,A,Energy,Equity\n", r"missing Weight \(%\)"),
        ("Ticker,Name,Sector,Asset Class,Weight (%)\nAAA,A,Energy,Equity,lots\n", "line 2"),
        ("Ticker,Name,Sector,Asset Class,Weight (%)\nAAA,A,Energy\n", "expected 5 fields"),
        ("Ticker,Name,Sector,Asset Class,Weight (%)\nUSD,Cash,-,Cash,1.0\n", "1 Cash"),
    ],
    ids=[
        "empty",
        "no-ticker-header",
        "html",
        "plain-no-sector",
        "no-weight",
        "bad-number",
        "short-row",
        "no-equity",
    ],
)
def test_malformed_input_says_what_was_expected(content, expected):
    with pytest.raises(DataFormatError, match=expected):
        parse_holdings(content)


# --- symbols ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticker", "name", "exchange", "symbol"),
    [
        ("MOGA", "MOOG INC CLASS A", "New York Stock Exchange Inc.", "MOG-A"),
        ("BRKB", "BERKSHIRE HATHAWAY INC CLASS B", "New York Stock Exchange Inc.", "BRK-B"),
        ("BRK.B", "", "", "BRK-B"),
        ("BRK B", "", "", "BRK-B"),
        ("UAA", "UNDER ARMOUR INC CLASS A", "New York Stock Exchange Inc.", "UAA"),
        ("UA", "UNDER ARMOUR INC CLASS C", "New York Stock Exchange Inc.", "UA"),
        ("BATRA", "ATLANTA BRAVES HOLDINGS INC SERIES A", "NASDAQ", "BATRA"),
        ("LILA", "LIBERTY LATIN AMERICA LTD CLASS A", "NASDAQ", "LILA"),
        ("SHAK", "SHAKE SHACK INC CLASS A", "New York Stock Exchange Inc.", "SHAK"),
        ("NOVA", "SUNNOVA ENERGY INTERNATIONAL INC", "New York Stock Exchange Inc.", "NOVA"),
        ("CWENA", "CLEARWAY ENERGY INC CLASS A", "New York Stock Exchange Inc.", "CWEN-A"),
        ("crdo", "", "", "CRDO"),
    ],
)
def test_yahoo_symbol(ticker, name, exchange, symbol):
    assert yahoo_symbol(ticker, name, exchange) == symbol


def test_overrides_win_over_the_rule():
    for ticker, symbol in SYMBOL_OVERRIDES.items():
        assert yahoo_symbol(ticker, "SOME CO CLASS " + ticker[-1], "NYSE") == symbol


@pytest.mark.parametrize(
    ("symbol", "alternate"),
    [
        ("MOG-A", "MOGA"),
        ("BRK-B", "BRKB"),
        ("UAA", "UA-A"),
        ("KELYA", "KELY-A"),
        ("MOGA", "MOG-A"),
        ("AAPL", None),
        ("A", None),
        ("^RUT", None),
        ("BF-Z", None),
    ],
)
def test_alternate_symbol(symbol, alternate):
    assert alternate_symbol(symbol) == alternate
