"""The price chart: weekly (or daily) candlesticks, data in, ``go.Figure`` out."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

SIMULATED_LABEL = "SIMULATED DATA"


def price_figure(bars: pd.DataFrame, title: str, simulated: bool = False) -> go.Figure:
    """Candlesticks of ``bars`` (open/high/low/close by date); the partial bar is marked.

    ``bars`` may carry a boolean ``partial`` column (weekly bars do): that bar gets a note.
    A simulated series is watermarked so no screenshot can pass it off as real data.
    """
    missing = {"open", "high", "low", "close"} - set(bars.columns)
    if missing:
        raise ValueError(f"price_figure needs open, high, low, close columns; missing {missing}")
    figure = go.Figure(
        go.Candlestick(
            x=bars.index,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            close=bars["close"],
            name=title,
            increasing_line_color="#26a69a",
            decreasing_line_color="#ef5350",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_rangeslider_visible=False,
        hovermode="x unified",
        margin={"l": 50, "r": 20, "t": 50, "b": 30},
        template="plotly_white",
    )
    if "partial" in bars.columns and len(bars) and bool(bars["partial"].iloc[-1]):
        figure.add_annotation(
            x=bars.index[-1],
            y=float(bars["high"].iloc[-1]),
            text="week in progress",
            showarrow=True,
            arrowhead=2,
            ay=-30,
        )
    if simulated:
        figure.add_annotation(
            text=SIMULATED_LABEL,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 48, "color": "rgba(200, 0, 0, 0.12)"},
        )
    return figure


def message_figure(message: str) -> go.Figure:
    """An empty chart that shows ``message`` in place of data (unknown ticker, failed fetch).

    Plotly renders some HTML tags in annotation text, so the message is escaped.
    """
    figure = go.Figure()
    figure.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
        annotations=[
            {
                "text": html.escape(message),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 16},
            }
        ],
    )
    return figure
