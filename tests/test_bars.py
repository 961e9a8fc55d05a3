"""The Bars contract: normalisation at the boundary and strict validation."""

import numpy as np
import pandas as pd
import pytest

from market.bars import BAR_COLUMNS, bars_as_of, empty_bars, to_bars, validate_bars


def _raw() -> pd.DataFrame:
    index = pd.DatetimeIndex(
        ["2024-01-03", "2024-01-02", "2024-01-03", "2024-01-04"], tz="America/New_York"
    )
    return pd.DataFrame(
        {
            "Open": [2.0, 1.0, 3.0, 4.0],
            "High": [2.5, 1.5, 3.5, 4.5],
            "Low": [1.5, 0.5, 2.5, 3.5],
            "Close": [2.2, 1.2, 3.2, np.nan],
            "Volume": [10, 20, 30, 40],
        },
        index=index,
    )


def test_to_bars_sorts_dedupes_drops_missing_close_and_strips_timezone():
    bars = to_bars(_raw())
    assert validate_bars(bars) is bars
    assert list(bars.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert bars.loc["2024-01-03", "close"] == 3.2  # the last duplicate wins
    assert bars.index.tz is None and bars.index.name == "date"
    assert all(dtype == "float64" for dtype in bars.dtypes)


def test_to_bars_names_missing_columns():
    with pytest.raises(ValueError, match="missing volume"):
        to_bars(_raw().drop(columns="Volume"))


def test_validate_bars_rejects_unsorted_and_wrong_columns():
    bars = to_bars(_raw())
    with pytest.raises(ValueError, match="sorted ascending"):
        validate_bars(bars.iloc[::-1])
    with pytest.raises(ValueError, match="exactly the columns"):
        validate_bars(bars.rename(columns={"close": "Close"}))


def test_empty_bars_is_valid_and_as_of_cuts_later_rows():
    assert tuple(validate_bars(empty_bars()).columns) == BAR_COLUMNS
    bars = to_bars(_raw())
    assert list(bars_as_of(bars, "2024-01-02").index) == [pd.Timestamp("2024-01-02")]
    assert bars_as_of(bars, None) is bars
