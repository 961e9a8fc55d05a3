"""Reading a figure dict (``charts.price.price_figure``) in tests, as a ``go.Figure``."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import plotly.graph_objects as go


def figure_of(figure: dict[str, Any]) -> go.Figure:
    """``figure`` as a ``go.Figure``, its typed arrays decoded to numpy arrays first.

    ``go.Figure`` raises unless Plotly accepts every property and value of the dict, so a
    test reading a figure through this also checks that it is a valid Plotly figure.
    """
    return go.Figure(_decoded(figure))


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value
