"""The index's sectors: weight in the index and median return over the movers' period."""

from __future__ import annotations

from typing import Any

import pandas as pd

from charts.theme import DOWN_COLOR, UP_COLOR, template_json, watermark

SECTOR_COLUMNS = ("sector", "weight", "median_return_pct")


def sector_label(sector: str, weight: float) -> dict[str, object]:
    """The name and weight of a sector written above its bar, at the plot's left edge: as
    tick labels they would take half a phone's width from the bars."""
    return {
        "text": f"{sector} · {weight:.1%}",
        "xref": "paper",
        "x": 0,
        "xanchor": "left",
        "yref": "y",
        "y": sector,
        "yanchor": "bottom",
        "yshift": 11,
        "showarrow": False,
        "font": {"size": 12},
    }


def sector_figure(
    summary: pd.DataFrame,
    *,
    selected: str | None = None,
    period_label: str = "",
    simulated: bool = False,
    dark: bool = False,
) -> dict[str, Any]:
    """Horizontal bars of each sector's median return, each under its name and weight.

    A click on a bar reports the sector name as the point's ``y`` (callbacks use it to
    filter the movers). The ``selected`` sector is outlined. A plain figure dict, as
    ``dcc.Graph`` takes it: a validated ``go.Figure`` of a dozen bars and labels took
    longer to build than ranking the whole universe (see ``charts.price.price_figure``).
    """
    missing = set(SECTOR_COLUMNS) - set(summary.columns)
    if missing:
        raise ValueError(f"sector_figure needs columns {SECTOR_COLUMNS}; missing {sorted(missing)}")
    rows = summary.sort_values("weight", ascending=True)
    returns = rows["median_return_pct"].fillna(0).astype("float64")
    sectors = [str(sector) for sector in rows["sector"]]
    bars = {
        "type": "bar",
        "x": [float(r) for r in rows["median_return_pct"].astype("float64")],
        "y": sectors,
        "orientation": "h",
        "marker": {
            "color": [UP_COLOR if r >= 0 else DOWN_COLOR for r in returns],
            "line": {
                "width": [3 if s == selected else 0 for s in sectors],
                "color": "#212529",
            },
        },
        "text": [f"{r:+.1f}%" for r in returns],
        "textposition": "auto",
        "cliponaxis": False,
        "customdata": [float(w) for w in rows["weight"]],
        "hovertemplate": "%{y}: median %{x:.1f}%<br>%{customdata:.1%} of the index<extra></extra>",
    }
    annotations = [
        sector_label(sector, float(weight))
        for sector, weight in zip(sectors, rows["weight"], strict=True)
    ]
    if simulated:
        annotations.append(watermark(dark))
    layout = {
        "template": template_json(dark),
        "title": {
            "text": f"Median return {period_label} by sector (weight in the index)".strip(),
            "x": 0.01,
            "font": {"size": 14},
        },
        "xaxis": {
            "ticksuffix": "%",
            "zeroline": True,
            "fixedrange": True,
            "range": _label_room(returns),
        },
        "yaxis": {"showticklabels": False, "fixedrange": True},
        "bargap": 0.5,
        "margin": {"l": 10, "r": 40, "t": 40, "b": 30},
        "clickmode": "event",
        "annotations": annotations,
    }
    return {"data": [bars], "layout": layout}


LABEL_ROOM = 0.2
"""Share of the bars' span added beyond the longest bar on each side that has bars: a
label drawn outside a short bar (a phone's 340 px plot) is then never cut at the edge."""


def _label_room(returns: pd.Series) -> list[float]:
    """The x range: every bar and zero, with room for the labels outside the bars."""
    low, high = min(float(returns.min()), 0.0), max(float(returns.max()), 0.0)
    span = (high - low) or 1.0
    return [
        low - LABEL_ROOM * span if low < 0 else low,
        high + LABEL_ROOM * span if high > 0 else high,
    ]
