"""The demo market mapped from one file: the same numbers as simulated, one copy per host."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import market.demo
from market.demo import DEMO_BENCHMARK, DEMO_INDEX, DemoProvider
from market.demo_file import checksum_file, map_table, write_table
from market.sources import resolve_source
from settings import Settings


@pytest.fixture(scope="module")
def simulated() -> DemoProvider:
    return DemoProvider()


def _tickers(provider: DemoProvider) -> list[str]:
    return [DEMO_INDEX, DEMO_BENCHMARK, *provider.universe()["ticker"].iloc[[0, 7, -1]]]


def _refuse_to_simulate(*_args: object) -> np.ndarray:
    raise AssertionError("simulated again: the file was not mapped")


def test_a_second_process_maps_the_same_numbers_without_simulating(
    simulated, tmp_path, monkeypatch
):
    first = DemoProvider(directory=tmp_path)
    pd.testing.assert_frame_equal(first.closes(), simulated.closes())
    (written,) = tmp_path.glob("*.npy")

    monkeypatch.setattr(market.demo, "_simulate", _refuse_to_simulate)
    second = DemoProvider(directory=tmp_path)
    closes = second.closes()
    pd.testing.assert_frame_equal(closes, simulated.closes())
    pd.testing.assert_frame_equal(second.universe(), simulated.universe())
    tickers = _tickers(simulated)
    expected, mapped = simulated.bars(tickers).bars, second.bars(tickers).bars
    for ticker in tickers:
        pd.testing.assert_frame_equal(mapped[ticker], expected[ticker])
    assert not closes.to_numpy().flags.writeable  # pages of the file, not a copy
    assert list(tmp_path.glob("*.npy")) == [written]


def test_a_damaged_file_is_simulated_and_written_again(simulated, tmp_path):
    DemoProvider(directory=tmp_path).closes()
    (path,) = tmp_path.glob("*.npy")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    again = DemoProvider(directory=tmp_path)
    pd.testing.assert_frame_equal(again.closes(), simulated.closes())
    assert path.stat().st_size > 50e6  # whole again: 3,134 rows x 2,002 columns of float64


def test_the_served_demo_keeps_its_market_in_the_source_store(tmp_path):
    source = resolve_source(Settings(source="demo", cache_dir=tmp_path))
    assert isinstance(source.provider, DemoProvider)
    assert source.provider.directory == source.store.root
    assert source.provider.closes().shape == (3132, 2000)
    assert len(list(source.store.root.glob("demo-market-*.npy"))) == 1


def test_only_a_float64_table_is_written(tmp_path):
    with pytest.raises(ValueError, match="2-D float64 table"):
        write_table(np.zeros(3, dtype="float32"), tmp_path / "table.npy")


def test_a_file_with_changed_values_is_simulated_and_written_again(simulated, tmp_path):
    """The right shape and size, one value changed: the checksum beside it tells."""
    DemoProvider(directory=tmp_path).closes()
    (path,) = tmp_path.glob("*.npy")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    again = DemoProvider(directory=tmp_path)
    pd.testing.assert_frame_equal(again.closes(), simulated.closes())
    assert path.read_bytes() != bytes(data)  # written again


def test_a_file_without_its_checksum_is_not_mapped(tmp_path):
    table = np.asfortranarray(np.arange(12, dtype="float64").reshape(4, 3))
    path = tmp_path / "table.npy"
    write_table(table, path)
    np.testing.assert_array_equal(map_table(path, (4, 3)), table)

    checksum_file(path).unlink()
    assert map_table(path, (4, 3)) is None
