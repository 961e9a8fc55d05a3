"""Source resolution: demo, csv:DIR and yahoo as named; auto picks live, stored or demo.

Every ``resolve_source`` call passes ``probe=``, so no test asks the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from market.csv_source import CsvProvider
from market.demo import DEMO_INDEX, DemoProvider
from market.sources import CACHED, DIRECT, LIVE, csv_namespace, resolve_source
from market.store import Store
from market.universe import make_universe
from market.yahoo import YahooProvider
from settings import Settings
from tests.store_fakes import synthetic_bars

CSV_FIXTURES = Path(__file__).parent / "data" / "csv"


class _Probe:
    """A connectivity probe with a fixed answer that counts how often it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.answer


def _settings(source: str, cache: Path) -> Settings:
    return Settings(source=source, cache_dir=cache)


def _stored_yahoo_copy(cache: Path, universe: bool = True, index_bars: bool = True) -> Store:
    """A Yahoo store as a past refresh leaves it: the universe and the index's bars."""
    store = Store(cache / "yahoo")
    if universe:
        frame = pd.DataFrame(
            {
                "ticker": ["AAA", "BBB"],
                "name": ["AAA Inc.", "BBB Inc."],
                "sector": ["Financials", "Industrials"],
                "weight": [0.6, 0.4],
            }
        )
        assert store.write_universe(make_universe(frame))
    if index_bars:
        assert store.write_bars("IWM", synthetic_bars("IWM", "2025-01-02", "2025-06-04"))
    return store


def test_demo_is_simulated_and_read_directly(tmp_path):
    probe = _Probe(True)

    source = resolve_source(_settings("demo", tmp_path), probe=probe)

    assert isinstance(source.provider, DemoProvider)
    assert source.simulated is True
    assert source.mode == DIRECT
    assert "simulated" in source.label.lower()
    assert source.note is None
    assert source.store.root == tmp_path / "demo"
    assert source.provider.index_ticker == DEMO_INDEX
    assert probe.calls == 0


def test_csv_dir_reads_the_users_files_directly(tmp_path):
    source = resolve_source(_settings(f"csv:{CSV_FIXTURES}", tmp_path), probe=_Probe(True))

    assert isinstance(source.provider, CsvProvider)
    assert source.provider.directory == CSV_FIXTURES
    assert source.mode == DIRECT
    assert source.simulated is False
    assert str(CSV_FIXTURES) in source.label
    assert source.store.root == tmp_path / csv_namespace(CSV_FIXTURES)
    assert source.provider.index_ticker == "IWM"


def test_each_csv_directory_has_a_store_of_its_own(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    first = resolve_source(_settings(f"csv:{CSV_FIXTURES}", tmp_path))
    second = resolve_source(_settings(f"csv:{other}", tmp_path))
    assert first.store.root != second.store.root
    assert first.store.root.name.startswith("csv-")


def test_yahoo_is_live_without_asking_the_probe(tmp_path):
    probe = _Probe(False)

    source = resolve_source(_settings("yahoo", tmp_path), probe=probe)

    assert isinstance(source.provider, YahooProvider)
    assert source.mode == LIVE
    assert source.simulated is False
    assert source.store.root == tmp_path / "yahoo"
    assert probe.calls == 0


def test_auto_with_yahoo_reachable_is_live_yahoo(tmp_path):
    probe = _Probe(True)

    source = resolve_source(_settings("auto", tmp_path), probe=probe)

    assert isinstance(source.provider, YahooProvider)
    assert source.mode == LIVE
    assert source.label == "Yahoo Finance"
    assert source.note is None
    assert probe.calls == 1


def test_auto_unreachable_with_nothing_stored_is_the_demo_and_says_why(tmp_path):
    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert isinstance(source.provider, DemoProvider)
    assert source.simulated is True
    assert source.mode == DIRECT
    assert source.note is not None
    assert "Yahoo Finance is unreachable" in source.note
    assert "simulated" in source.note


def test_auto_unreachable_with_a_stored_copy_uses_it(tmp_path):
    _stored_yahoo_copy(tmp_path)

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert isinstance(source.provider, YahooProvider)
    assert source.mode == CACHED
    assert source.simulated is False
    assert source.store.root == tmp_path / "yahoo"
    assert "stored copy" in source.label
    assert source.note is not None
    assert "unreachable" in source.note and "stored" in source.note


@pytest.mark.parametrize(
    ("universe", "index_bars", "lacking"),
    [(True, False, "the bars of the index IWM"), (False, True, "the Russell 2000 membership")],
    ids=["no-index", "no-universe"],
)
def test_auto_unreachable_with_half_a_stored_copy_uses_it_and_names_the_rest(
    tmp_path, universe, index_bars, lacking
):
    _stored_yahoo_copy(tmp_path, universe=universe, index_bars=index_bars)

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert source.mode == CACHED
    assert source.simulated is False
    assert source.note is not None and f"It lacks {lacking}" in source.note
    assert "damaged" not in source.note


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    ("damaged", "lacking"),
    [
        ("universe.parquet", "the Russell 2000 membership (no movers), whose file was damaged"),
        ("bars/IWM.parquet", "the bars of the index IWM, whose file was damaged"),
    ],
    ids=["universe", "index"],
)
def test_auto_unreachable_with_one_truncated_file_keeps_the_stored_copy(tmp_path, damaged, lacking):
    store = _stored_yahoo_copy(tmp_path)
    for ticker in ("AAA", "BBB"):
        assert store.write_bars(ticker, synthetic_bars(ticker, "2025-01-02", "2025-06-04"))
    _truncate(store.root / damaged)

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert source.mode == CACHED
    assert isinstance(source.provider, YahooProvider) and source.simulated is False
    assert source.note is not None and lacking in source.note
    assert not (store.root / damaged).exists()
    assert store.set_aside() == [damaged]
    assert {"AAA", "BBB"} <= set(store.tickers())
    # The next start finds the file absent and still says it was damaged.
    again = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))
    assert again.mode == CACHED and again.note == source.note


def test_the_note_counts_other_damaged_files_and_forgets_those_written_again(tmp_path):
    store = _stored_yahoo_copy(tmp_path)
    tickers = [f"T{i}" for i in range(7)]
    for ticker in tickers:
        assert store.write_bars(ticker, synthetic_bars(ticker, "2025-01-02", "2025-06-04"))
        _truncate(store.bars_path(ticker))
        assert store.read_bars(ticker) is None
    assert store.write_bars("T0", synthetic_bars("T0", "2025-01-02", "2025-06-04"))

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert source.mode == CACHED and source.note is not None
    assert "It lacks 6 damaged files set aside (bars/T1.parquet, " in source.note
    assert "bars/T5.parquet and 1 more)" in source.note
    assert "T0" not in source.note


def test_auto_unreachable_with_only_damaged_files_is_the_demo(tmp_path):
    store = _stored_yahoo_copy(tmp_path)
    _truncate(store.universe_path)
    _truncate(store.bars_path("IWM"))

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(False))

    assert isinstance(source.provider, DemoProvider)
    assert source.note is not None
    assert "the stored copy is damaged (set aside: bars/IWM.parquet, universe.parquet)" in (
        source.note
    )


def test_auto_reachable_ignores_the_stored_copy_and_stays_live(tmp_path):
    _stored_yahoo_copy(tmp_path)

    source = resolve_source(_settings("auto", tmp_path), probe=_Probe(True))

    assert source.mode == LIVE
    assert source.note is None


@pytest.mark.parametrize("reachable", [True, False], ids=["live", "cached"])
def test_opening_the_source_tidies_leftovers_and_lagging_closes(tmp_path, reachable):
    store = _stored_yahoo_copy(tmp_path)
    store.rebuild_closes()
    assert store.write_bars("AAA", synthetic_bars("AAA", "2025-01-02", "2025-06-04"))
    leftover = store.bars_dir / ".AAA.parquet.k1ll3d.tmp"
    leftover.write_bytes(b"PAR1 half")
    os.utime(leftover, (0, 0))

    resolve_source(_settings("auto", tmp_path), probe=_Probe(reachable))

    assert not leftover.exists()
    assert list(store.read_closes().columns) == ["AAA", "IWM"]
