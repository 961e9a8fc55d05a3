"""The csv:DIR source: Yahoo downloads, yf.download(...).to_csv() files, universe.csv."""

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market.bars import validate_bars
from market.csv_source import CsvProvider, parse_bars_csv, read_bars_csv
from market.provider import DataFormatError, SourceUnavailableError
from market.universe import validate_universe

FIXTURES = Path(__file__).parent / "data" / "csv"

ISHARES_UNIVERSE = (
    "\ufeffiShares Russell 2000 ETF\n"
    'Fund Holdings as of,"Jan 10, 2025"\n'
    'Inception Date,"May 22, 2000"\n'
    'Shares Outstanding,"265,300,000.00"\n'
    "Stock,-\n"
    "Bond,-\n"
    "Cash,-\n"
    "Other,-\n"
    "\xa0\n"
    "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,"
    "Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date\n"
    '"MOGA","MOOG INC CLASS A","Industrials","Equity","128,318,442.10","0.55",'
    '"128,318,442.10","646,669.00","198.43","United States","New York Stock Exchange Inc.",'
    '"USD","1.00","USD","-"\n'
    '"ABCL","ABCELLERA BIOLOGICS INC","Health Care","Equity","9,512,002.40","0.04",'
    '"9,512,002.40","3,314,286.00","2.87","Canada","NASDAQ","USD","1.00","USD","-"\n'
    '"XTSLA","BLK CSH FND TREASURY SL AGENCY","Cash and/or Derivatives","Money Market",'
    '"201,734,111.55","0.87","201,734,111.55","201,734,111.55","1.00","United States","-",'
    '"USD","1.00","USD","-"\n'
    "\xa0\n"
    '"The content contained herein is owned or licensed by BlackRock\n'
    'and/or its third-party information providers."\n'
)


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture directory, free to change."""
    directory = tmp_path / "prices"
    shutil.copytree(FIXTURES, directory)
    return directory


def _yf_download_frame(tickers, fields=("Close", "High", "Low", "Open", "Volume")):
    """A frame shaped like ``yf.download(tickers)``: (Price, Ticker) columns, a Date index."""
    dates = pd.DatetimeIndex(pd.bdate_range("2025-03-03", periods=5), name="Date")
    columns = pd.MultiIndex.from_product([list(fields), list(tickers)], names=["Price", "Ticker"])
    base = np.linspace(100.0, 104.0, 5)
    data = {}
    for position, (field, ticker) in enumerate(columns):
        offset = {"Open": 0.5, "High": 2.0, "Low": -2.0}.get(field, 0.0) + position * 0.01
        data[(field, ticker)] = 1e6 + base * 1000 if field == "Volume" else base + offset
    return pd.DataFrame(data, index=dates, columns=columns)


def _expected_bars(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    flat = frame.xs(ticker, axis=1, level="Ticker")
    expected = flat.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
    expected.index = pd.DatetimeIndex(expected.index.tz_localize(None), name="date")
    expected.columns.name = None
    return expected


def test_yahoo_download_with_adj_close_is_adjusted_by_its_ratio():
    raw = pd.read_csv(FIXTURES / "SPY.csv", index_col="Date", parse_dates=True)
    bars = validate_bars(read_bars_csv(FIXTURES / "SPY.csv", "SPY"))
    ratio = (raw["Adj Close"] / raw["Close"]).to_numpy()
    np.testing.assert_allclose(bars["close"], raw["Adj Close"], rtol=1e-12)
    np.testing.assert_allclose(bars["open"], raw["Open"] * ratio, rtol=1e-12)
    np.testing.assert_allclose(bars["high"], raw["High"] * ratio, rtol=1e-12)
    np.testing.assert_allclose(bars["low"], raw["Low"] * ratio, rtol=1e-12)
    np.testing.assert_array_equal(bars["volume"], raw["Volume"])
    assert bars["close"].iloc[0] == 578.79


def test_yahoo_download_without_adj_close_drops_null_rows():
    bars = validate_bars(read_bars_csv(FIXTURES / "MOG-A.csv", "MOG-A"))
    assert len(bars) == 5
    assert pd.Timestamp("2025-01-07") not in bars.index
    assert bars.loc["2025-01-02"].tolist() == [197.20, 199.85, 195.10, 198.43, 212300.0]


def test_the_fixture_written_by_to_csv_of_a_yf_download_frame_reads_as_bars():
    text = (FIXTURES / "IWM.csv").read_text()
    assert text.splitlines()[:3] == [
        "Price,Close,High,Low,Open,Volume",
        "Ticker,IWM,IWM,IWM,IWM,IWM",
        "Date,,,,,",
    ]
    bars = validate_bars(read_bars_csv(FIXTURES / "IWM.csv", "IWM"))
    assert len(bars) == 8
    assert bars.index[0] == pd.Timestamp("2025-01-02")
    assert bars.iloc[-1].tolist() == [216.5, 219.0, 216.6, 217.4, 26001500.0]
    assert bars["open"].iloc[0] == pytest.approx(220.26)


@pytest.mark.parametrize(
    "shape",
    ["yfinance 1.x", "unnamed levels", "ticker level first", "tz-aware index", "adj close"],
)
def test_what_pandas_writes_for_a_yf_download_frame_today_reads_back(shape):
    fields = ("Adj Close", "Close", "High", "Low", "Open", "Volume")
    frame = _yf_download_frame(["IWM"], fields if shape == "adj close" else fields[1:])
    expected = _expected_bars(frame, "IWM")
    if shape == "unnamed levels":
        frame.columns = frame.columns.set_names([None, None])
    if shape == "ticker level first":
        frame.columns = frame.columns.swaplevel(0, 1).set_names(["Ticker", "Price"])
    if shape == "tz-aware index":
        frame.index = frame.index.tz_localize("America/New_York")
    text = frame.to_csv()
    bars = validate_bars(parse_bars_csv(text, "IWM.csv", "IWM"))
    if shape == "adj close":
        ratio = frame.iloc[:, 0] / frame.iloc[:, 1]
        for field in ("open", "high", "low", "close"):
            expected[field] = expected[field] * ratio.to_numpy()
    pd.testing.assert_frame_equal(bars, expected, check_freq=False, rtol=1e-12)


def test_a_multi_ticker_download_gives_each_file_its_own_columns():
    frame = _yf_download_frame(["IWM", "SPY"])
    text = frame.to_csv()
    for ticker in ("IWM", "SPY"):
        bars = parse_bars_csv(text, f"{ticker}.csv", ticker)
        pd.testing.assert_frame_equal(bars, _expected_bars(frame, ticker), check_freq=False)
    with pytest.raises(DataFormatError, match=r"QQQ\.csv: holds columns for IWM, SPY, not for QQQ"):
        parse_bars_csv(text, "QQQ.csv", "QQQ")


def test_the_older_two_header_variant_and_a_ticker_first_file_read_as_bars():
    older = validate_bars(read_bars_csv(FIXTURES / "ABCL.csv", "ABCL"))
    assert older.loc["2025-01-02"].tolist() == [2.90, 2.95, 2.80, 2.87, 3120400.0]
    grouped = validate_bars(read_bars_csv(FIXTURES / "KRE.csv", "KRE"))
    assert grouped["close"].tolist() == [60.4, 61.5, 60.7, 59.2]


def test_a_time_and_utc_offset_after_the_date_keep_the_session_date():
    text = (
        "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
        "2025-01-02 00:00:00-05:00,10,11,9,10.5,1000,0.0,0.0\n"
        "2025-01-03 00:00:00+09:00,10.5,12,10,11.5,1200,0.0,0.0\n"
    )
    bars = parse_bars_csv(text, "X.csv")
    assert list(bars.index) == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-03")]
    assert bars["close"].tolist() == [10.5, 11.5]


def test_unsorted_and_repeated_dates_are_put_in_order():
    text = (
        "Date,Open,High,Low,Close,Volume\n"
        "2025-01-03,2,2,2,2,1\n2025-01-02,1,1,1,1,1\n2025-01-03,3,3,3,3,1\n\n"
    )
    bars = validate_bars(parse_bars_csv(text, "X.csv"))
    assert bars["close"].tolist() == [1.0, 3.0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date,Open,High,Low,Close\n2025-01-02,1,2,0.5,1.5\n", r"missing Volume"),
        ("2025-01-02,1,2,0.5,1.5,10\n", r"found no header row"),
        ("Date,Open,High,Low,Close,Volume\n02/01/2025,1,2,0.5,1.5,10\n", r"expected a date"),
        ("Date,Open,High,Low,Close,Volume\n2025-01-02,1,2,x,1.5,10\n", r"a number for Low"),
        ("Date,Open,High,Low,Close,Volume\n2025-01-02,1,2,0.5,1.5,10,7,8\n", r"expected Yahoo"),
        ("Date,Open,Open,High,Low,Close,Volume\n", r"column Open appears twice"),
        ("<html><body>Sign in</body></html>\n", r"expected Yahoo's download format"),
        ("a\nb\nc\nd\ne\n", r"no date like 2024-01-02"),
    ],
)
def test_malformed_files_raise_naming_the_file_and_what_was_expected(tmp_path, text, expected):
    path = tmp_path / "ODD.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=expected) as raised:
        read_bars_csv(path, "ODD")
    assert str(path) in str(raised.value)


def test_a_file_that_is_not_utf8_is_malformed(tmp_path):
    path = tmp_path / "ODD.csv"
    path.write_bytes(b"Date,Open,High,Low,Close,Volume\n2025-01-02,\xff\xfe,1,1,1,1\n")
    with pytest.raises(DataFormatError, match="expected UTF-8"):
        read_bars_csv(path)


def test_a_header_only_file_has_no_bars(csv_dir):
    (csv_dir / "EMPTY.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    assert read_bars_csv(csv_dir / "EMPTY.csv").empty
    result = CsvProvider(csv_dir).bars(["EMPTY"])
    assert result.missing == ("EMPTY",) and result.bars == {}


def test_bars_sorts_tickers_into_found_missing_and_failed():
    provider = CsvProvider(FIXTURES)
    result = provider.bars(["IWM", "spy", "MOG-A", "NOFILE", "BAD", "IWM"])
    assert sorted(result.bars) == ["IWM", "MOG-A", "spy"]
    assert result.missing == ("NOFILE",)
    assert list(result.failed) == ["BAD"]
    assert "BAD.csv" in result.failed["BAD"]
    assert "expected a number for High on 2025-01-03" in result.failed["BAD"]
    for bars in result.bars.values():
        validate_bars(bars)


def test_bars_are_cut_to_the_window():
    provider = CsvProvider(FIXTURES)
    result = provider.bars(["IWM", "SPY"], start=date(2025, 1, 8), end=date(2025, 1, 9))
    assert list(result.bars["IWM"].index.strftime("%Y-%m-%d")) == ["2025-01-08", "2025-01-09"]
    assert "SPY" in result.bars and len(result.bars["SPY"]) == 1
    later = provider.bars(["IWM"], start=date(2025, 2, 1))
    assert later.missing == ("IWM",)


def test_no_ticker_can_name_a_path_and_nothing_outside_dir_is_opened(tmp_path, monkeypatch):
    directory = tmp_path / "prices"
    (directory / "SUB").mkdir(parents=True)
    shutil.copy(FIXTURES / "IWM.csv", directory / "IWM.csv")
    shutil.copy(FIXTURES / "IWM.csv", directory / "SUB" / "IWM.csv")
    shutil.copy(FIXTURES / "IWM.csv", tmp_path / "SECRET.csv")
    opened: list[Path] = []
    real_read_bytes = Path.read_bytes

    def spy(self: Path) -> bytes:
        opened.append(self)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    attempts = ["../SECRET", "..", "SUB/IWM", "/etc/passwd", "", "IWM.csv/..", "~", "I W M"]
    result = CsvProvider(directory).bars(attempts)
    assert result.missing == tuple(attempts)
    assert opened == []


def test_file_names_match_tickers_in_any_case(tmp_path):
    shutil.copy(FIXTURES / "MOG-A.csv", tmp_path / "mog-a.csv")
    provider = CsvProvider(tmp_path)
    assert provider.tickers() == ["MOG-A"]
    assert list(provider.bars(["MOG-A"]).bars) == ["MOG-A"]


def test_the_provider_describes_itself():
    provider = CsvProvider(FIXTURES)
    assert provider.name == f"csv:{FIXTURES}"
    assert provider.simulated is False
    assert provider.index_ticker == "IWM"
    assert provider.benchmark_ticker == "SPY"
    assert provider.tickers() == ["ABCL", "BAD", "IWM", "KRE", "MOG-A", "SPY"]


def test_the_index_is_the_setting_else_iwm_else_the_first_file(tmp_path):
    assert CsvProvider(FIXTURES, index_ticker="spy").index_ticker == "SPY"
    shutil.copy(FIXTURES / "KRE.csv", tmp_path / "KRE.csv")
    shutil.copy(FIXTURES / "ABCL.csv", tmp_path / "ABCL.csv")
    assert CsvProvider(tmp_path).index_ticker == "ABCL"
    with pytest.raises(ValueError, match="not a ticker"):
        CsvProvider(tmp_path, index_ticker="../IWM")


def test_a_directory_that_does_not_exist_is_unavailable(tmp_path):
    with pytest.raises(SourceUnavailableError, match="is not a directory"):
        CsvProvider(tmp_path / "nowhere")


def test_a_plain_universe_table_is_the_universe():
    universe = validate_universe(CsvProvider(FIXTURES).universe())
    assert universe["ticker"].tolist() == ["MOG-A", "ABCL", "KRE", "BAD", "NOFILE"]
    assert universe.loc[0, "sector"] == "Industrials"
    assert universe["weight"].sum() == pytest.approx(1.0)


def test_an_ishares_holdings_file_is_the_universe(csv_dir):
    (csv_dir / "universe.csv").write_bytes(ISHARES_UNIVERSE.encode("utf-8"))
    universe = validate_universe(CsvProvider(csv_dir).universe())
    assert universe["ticker"].tolist() == ["MOG-A", "ABCL"]
    assert universe["weight"].tolist() == pytest.approx([0.0055, 0.0004])


def test_a_malformed_universe_file_raises_naming_it(csv_dir):
    (csv_dir / "universe.csv").write_text("Symbol,Company\nIWM,iShares\n")
    with pytest.raises(DataFormatError, match=r"universe\.csv: expected"):
        CsvProvider(csv_dir).universe()


def test_without_universe_csv_every_other_file_is_a_constituent(csv_dir):
    (csv_dir / "universe.csv").unlink()
    universe = validate_universe(CsvProvider(csv_dir).universe())
    assert sorted(universe["ticker"]) == ["ABCL", "BAD", "KRE", "MOG-A"]
    assert set(universe["sector"]) == {"Unknown"}
    assert universe["weight"].tolist() == pytest.approx([0.25] * 4)


def test_closes_are_wide_for_the_universe_tickers_with_readable_files():
    closes = CsvProvider(FIXTURES).closes()
    assert list(closes.columns) == ["MOG-A", "ABCL", "KRE"]
    assert closes.index.name == "date"
    assert closes.index.is_monotonic_increasing
    assert closes.loc["2025-01-02"].tolist() == [198.43, 2.87, 60.4]
    assert np.isnan(closes.loc["2025-01-07", "MOG-A"])
    assert np.isnan(closes.loc["2025-01-10", "KRE"])


def test_closes_follow_changes_to_the_files(csv_dir):
    provider = CsvProvider(csv_dir)
    assert provider.closes()["ABCL"].iloc[-1] == 2.81
    path = csv_dir / "ABCL.csv"
    path.write_text(path.read_text() + "2025-01-13,3.125,3.20,2.95,3.10,4100000\n")
    assert provider.closes()["ABCL"].iloc[-1] == 3.125
    path.unlink()
    assert "ABCL" not in provider.closes().columns


def test_closes_of_a_directory_without_data_are_empty(tmp_path):
    closes = CsvProvider(tmp_path).closes()
    assert closes.empty and closes.index.name == "date"


def test_the_universe_follows_changes_to_its_file(csv_dir):
    provider = CsvProvider(csv_dir)
    assert len(provider.universe()) == 5
    path = csv_dir / "universe.csv"
    path.write_text(path.read_text() + "NEW,New Listing Inc,Materials,0.01\n")
    assert provider.universe()["ticker"].iloc[-1] == "NEW"
