"""The index's sectors: weight in the index and median return over the movers' period."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.theme import DOWN_COLOR, UP_COLOR, template_for, watermark

SECTOR_COLUMNS = ("sector", "weight", "median_return_pct")


def sector_figure(
    summary: pd.DataFrame,
    *,
    selected: str | None = None,
    period_label: str = "",
    simulated: bool = False,
    dark: bool = False,
) -> go.Figure:
    """Horizontal bars of each sector's median return; the weight is in the label.

    A click on a bar reports the sector name as the point's ``y`` (callbacks use it to
    filter the movers). The ``selected`` sector is outlined.
    """
    missing = set(SECTOR_COLUMNS) - set(summary.columns)
    if missing:
        raise ValueError(f"sector_figure needs columns {SECTOR_COLUMNS}; missing {sorted(missing)}")
    rows = summary.sort_values("weight", ascending=True)
    returns = rows["median_return_pct"]
    figure = go.Figure(
        go.Bar(
            x=returns,
            y=rows["sector"],
            orientation="h",
            marker={
                "color": [UP_COLOR if r >= 0 else DOWN_COLOR for r in returns.fillna(0)],
                "line": {
                    "width": [3 if s == selected else 0 for s in rows["sector"]],
                    "color": "#212529",
                },
            },
            text=[f"{r:+.1f}%" for r in returns.fillna(0)],
            textposition="auto",
            customdata=rows["weight"],
            hovertemplate="%{y}: median %{x:.1f}%<br>%{customdata:.1%} of the index<extra></extra>",
        )
    )
    figure.update_yaxes(
        tickvals=list(rows["sector"]),
        ticktext=[f"{s} · {w:.1%}" for s, w in zip(rows["sector"], rows["weight"], strict=True)],
    )
    figure.update_layout(
        template=template_for(dark),
        title={
            "text": f"Median return {period_label} · sector weight in the index".strip(),
            "x": 0.01,
        },
        xaxis={"ticksuffix": "%", "zeroline": True},
        margin={"l": 10, "r": 40, "t": 40, "b": 30},
        clickmode="event",
    )
    if simulated:
        figure.add_annotation(watermark(dark))
    return figure
