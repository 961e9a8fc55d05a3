"""plotly.py's typed arrays back to numpy arrays, written as plain JSON lists."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from _plotly_utils.utils import to_typed_array_spec
from plotly.io.json import to_json_plotly

from charts.plain_arrays import typed_array, with_plain_arrays

PRICES = {"open": [1.0, 2.0], "high": [3.0, 4.0], "low": [0.5, 1.0], "close": [2.0, 3.0]}


@pytest.mark.parametrize(
    "array",
    [
        np.array([1.5, -2.25, 3.0]),
        np.array([1, 2, 300], dtype=np.int64),
        np.arange(6, dtype=np.float32).reshape(2, 3),
    ],
)
def test_a_typed_array_spec_decodes_to_its_values(array: np.ndarray) -> None:
    decoded = typed_array(to_typed_array_spec(array))

    np.testing.assert_array_equal(decoded, array)
    assert decoded.shape == array.shape


def test_a_figure_is_written_with_lists_and_the_same_values() -> None:
    x = np.array(["2025-01-06", "2025-01-13"], dtype="datetime64[ns]")
    prices = {key: np.array(values, dtype=float) for key, values in PRICES.items()}
    figure = go.Figure(go.Candlestick(x=x, **prices))
    encoded = figure.to_plotly_json()
    assert "bdata" in to_json_plotly(encoded)

    plain = json.loads(to_json_plotly(with_plain_arrays(encoded)))

    candle = plain["data"][0]
    assert candle["open"] == [1.0, 2.0] and candle["close"] == [2.0, 3.0]
    assert "bdata" not in json.dumps(plain)
    assert plain["layout"] == json.loads(to_json_plotly(encoded))["layout"]


def test_a_spec_without_data_is_refused() -> None:
    with pytest.raises(ValueError, match="dtype"):
        typed_array({"dtype": "f8", "bdata": None})
