"""A figure's arrays as plain JSON lists instead of plotly.py's base64 typed arrays.

plotly.py writes numeric arrays as ``{"dtype": "f8", "bdata": ...}``, which plotly.js decodes
into new typed arrays on every update, and ``Plotly.react`` takes a typed array for a changed
one (it diffs only ``Array.isArray`` arrays): it redraws every trace even when given the very
figure it shows. With plain arrays it draws nothing then. The page's first chart needs that:
it is drawn before Dash starts and handed to the dcc.Graph, whose first ``Plotly.react`` on
it must be a no-op (``assets/first-chart.js``).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def typed_array(spec: dict[str, Any]) -> np.ndarray:
    """The numpy array of a plotly.js typed-array spec (``dtype``, ``bdata``, ``shape``)."""
    if not isinstance(spec.get("bdata"), str) or not isinstance(spec.get("dtype"), str):
        raise ValueError(f"expected a typed-array spec with 'dtype' and 'bdata', got {spec!r:.80}")
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    shape = spec.get("shape")
    if shape is None:
        return array
    return array.reshape(tuple(int(size) for size in str(shape).split(",")))


def with_plain_arrays(value: Any) -> Any:
    """``value`` (a figure dict or any part of one) with every typed-array spec replaced by
    its numpy array, which plotly's JSON writer (orjson or its encoder) writes as a list."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            return typed_array(value)
        return {key: with_plain_arrays(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_plain_arrays(item) for item in value]
    return value
