"""Colours, templates and the simulated-data watermark shared by every figure."""

from __future__ import annotations

from typing import Any

import plotly.io as pio

UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
CHANNEL_COLOR = "#2962ff"
AVERAGE_COLORS = ("#f57c00", "#7b1fa2", "#00897b", "#c2185b")
SIMULATED_LABEL = "SIMULATED<br>DATA"
"""On two lines, so that at the watermark's size it fits a phone's chart whole (252 px wide,
in a plot 261 px wide at a 390 px window); on one line it was cut off at both ends."""
TRANSPARENT = "rgba(0, 0, 0, 0)"
"""Figure backgrounds: the card behind shows through, in either theme."""


def template_for(dark: bool) -> str:
    """The Plotly template matching the page theme."""
    return "plotly_dark" if dark else "plotly_white"


def template_json(dark: bool) -> dict[str, Any]:
    """The theme's Plotly template as plain JSON, for figures built as dicts: plotly.js
    knows templates by value only (plotly.py resolves a name when it validates)."""
    template: dict[str, Any] = pio.templates[template_for(dark)].to_plotly_json()
    return template


def watermark(dark: bool = False) -> dict[str, object]:
    """A large faint label across the plot so no screenshot passes simulated data as real.

    Stronger on the dark theme, where the light theme's faint red disappears.
    """
    return {
        "text": SIMULATED_LABEL,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.6,
        "showarrow": False,
        "font": {
            "size": 44,
            "color": "rgba(255, 99, 99, 0.24)" if dark else "rgba(220, 30, 30, 0.13)",
        },
    }
