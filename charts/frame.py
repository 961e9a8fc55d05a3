"""The title block and legend every chart shares, placed so that neither runs into the
other, nor into Plotly's toolbar, at any width from a phone's 390 px up."""

from __future__ import annotations

import html

from charts.theme import TRANSPARENT

TITLE_MARGIN_TOP = 100
"""Pixels above the plot: the title and a caption of two lines."""

LEGEND_BELOW: dict[str, object] = {
    "orientation": "h",
    "yref": "container",
    "y": 0.0,
    "yanchor": "bottom",
    "x": 0.0,
    "xanchor": "left",
    "bgcolor": TRANSPARENT,
}
"""Under the time axis, from the left. A legend above the plot wraps onto the title on a
phone; in the figure's container, a legend that wraps pushes the plot up instead."""


def title_with_caption(title: str, caption: str = "") -> dict[str, object]:
    """The title at the top left, the caption under it (one line per line of ``caption``).

    Both are text, never HTML: they are escaped here.
    """
    block: dict[str, object] = {"text": html.escape(title), "x": 0.01, "xanchor": "left"}
    if caption:
        lines = "<br>".join(html.escape(line) for line in caption.splitlines())
        block["subtitle"] = {"text": lines, "font": {"size": 12}}
    return block


def corner_title(text: str, axis: str) -> dict[str, object]:
    """A panel's title inside the top-left corner of its y ``axis`` (``y2``...), never on the
    panel above; text, escaped here."""
    return {
        "text": html.escape(text),
        "xref": "paper",
        "yref": f"{axis} domain",
        "x": 0.0,
        "y": 1.0,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "font": {"size": 11},
    }
