"""The price chart: candlesticks with channel and averages over price, and indicator panels.

Data in, ``go.Figure`` out. All panels share one time axis; there is no range slider and
the hover is unified, so one vertical line reads every panel at once.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.theme import (
    AVERAGE_COLORS,
    CHANNEL_COLOR,
    DOWN_COLOR,
    UP_COLOR,
    template_for,
    watermark,
)

PANEL_TITLES = {"volume": "Volume", "macd": "MACD (12, 26, 9)", "rsi": "RSI (14)"}
PANEL_ORDER = ("volume", "macd", "rsi")


@dataclass(frozen=True)
class ChannelLines:
    """The regression channel to draw: lines by date, and the window it was fitted on."""

    lines: pd.DataFrame
    """Columns ``upper``, ``middle``, ``lower`` indexed by bar date."""
    fit_start: pd.Timestamp
    fit_end: pd.Timestamp
    label: str = "Channel"


@dataclass(frozen=True)
class ChartInput:
    """Everything the chart shows; ``None`` or empty means 'not shown'."""

    bars: pd.DataFrame
    """OHLCV by date; an optional boolean ``partial`` column marks an unfinished bar."""
    title: str
    averages: dict[str, pd.Series] = field(default_factory=dict)
    """Moving averages over price, by legend label (e.g. ``SMA 50``)."""
    bollinger: pd.DataFrame | None = None
    """Columns ``lower``, ``middle``, ``upper``."""
    channel: ChannelLines | None = None
    macd: pd.DataFrame | None = None
    """Columns ``macd``, ``signal``, ``hist``."""
    rsi: pd.Series | None = None
    volume: bool = True
    overlay_keys: dict[str, str] = field(default_factory=dict)
    """The overlay key of each average's label (``SMA 50`` -> ``sma50``); default: the label."""
    hidden: frozenset[str] = frozenset()
    """Overlays drawn but hidden (by key: ``sma50``, ``bb``, ``channel``), so that the
    browser can show them without asking the server for a new figure."""

    def overlay_trace_style(self, key: str) -> dict[str, object]:
        """What marks a trace as overlay ``key``, and whether it starts visible."""
        return {"meta": {"overlay": key}, "visible": key not in self.hidden}


@dataclass(frozen=True)
class ChartStyle:
    """How the chart is drawn, independent of what it shows."""

    log_scale: bool = False
    daily: bool = False
    simulated: bool = False
    dark: bool = False


def panels_of(data: ChartInput) -> list[str]:
    """The indicator panels below price, in their fixed order."""
    shown = {"volume": data.volume, "macd": data.macd is not None, "rsi": data.rsi is not None}
    return [name for name in PANEL_ORDER if shown[name]]


def price_figure(data: ChartInput, style: ChartStyle | None = None) -> go.Figure:
    """The whole chart: price row first, then volume, MACD and RSI rows as asked."""
    style = style or ChartStyle()
    bars = data.bars
    missing = {"open", "high", "low", "close", "volume"} - set(bars.columns)
    if missing:
        raise ValueError(f"price_figure needs OHLCV columns; missing {sorted(missing)}")
    if bars.empty:
        return message_figure(f"{data.title}: no bars to show", style)
    panels = panels_of(data)
    rows = 1 + len(panels)
    heights = [0.55] + [0.45 / len(panels)] * len(panels) if panels else [1.0]
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.025,
        row_heights=heights,
        subplot_titles=[""] + [PANEL_TITLES[p] for p in panels],
    )
    _add_price(figure, data, style)
    for row, panel in enumerate(panels, start=2):
        if panel == "volume":
            _add_volume(figure, bars, row)
        elif panel == "macd" and data.macd is not None:
            _add_macd(figure, data.macd, row)
        elif panel == "rsi" and data.rsi is not None:
            _add_rsi(figure, data.rsi, row)
    figure.update_layout(
        template=template_for(style.dark),
        title={"text": html.escape(data.title), "x": 0.01, "xanchor": "left"},
        hovermode="x unified",
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        margin={"l": 55, "r": 20, "t": 60, "b": 30},
        uirevision=data.title,
    )
    figure.update_xaxes(rangeslider_visible=False, showspikes=True, spikemode="across")
    if style.daily:
        figure.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])
    figure.update_yaxes(type="log" if style.log_scale else "linear", row=1, col=1)
    if style.simulated:
        figure.add_annotation(watermark())
    return figure


def _add_price(figure: go.Figure, data: ChartInput, style: ChartStyle) -> None:
    bars = data.bars
    figure.add_trace(
        go.Candlestick(
            x=bars.index,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            close=bars["close"],
            name="Daily" if style.daily else "Weekly",
            increasing={"line": {"color": UP_COLOR}, "fillcolor": UP_COLOR},
            decreasing={"line": {"color": DOWN_COLOR}, "fillcolor": DOWN_COLOR},
        ),
        row=1,
        col=1,
    )
    if data.channel is not None:
        _add_channel(figure, data.channel, data.overlay_trace_style("channel"))
    if data.bollinger is not None:
        for column, dash in (("upper", "dot"), ("middle", "dash"), ("lower", "dot")):
            figure.add_trace(
                go.Scatter(
                    x=data.bollinger.index,
                    y=data.bollinger[column],
                    name=f"BB {column}",
                    legendgroup="bollinger",
                    showlegend=column == "middle",
                    line={"width": 1, "dash": dash, "color": "#8e7cc3"},
                    **data.overlay_trace_style("bb"),
                ),
                row=1,
                col=1,
            )
    for position, (label, series) in enumerate(data.averages.items()):
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series,
                name=label,
                line={"width": 1.6, "color": AVERAGE_COLORS[position % len(AVERAGE_COLORS)]},
                **data.overlay_trace_style(data.overlay_keys.get(label, label)),
            ),
            row=1,
            col=1,
        )
    if "partial" in bars.columns and bool(bars["partial"].iloc[-1]):
        figure.add_annotation(
            x=bars.index[-1],
            y=float(bars["high"].iloc[-1]),
            text="in progress",
            showarrow=True,
            arrowhead=2,
            ay=-28,
            font={"size": 11},
            row=1,
            col=1,
        )


def _add_channel(figure: go.Figure, channel: ChannelLines, overlay: dict[str, object]) -> None:
    lines = channel.lines
    for column, dash in (("upper", "solid"), ("middle", "dash"), ("lower", "solid")):
        figure.add_trace(
            go.Scatter(
                x=lines.index,
                y=lines[column],
                name=f"{channel.label} {column}",
                legendgroup="channel",
                showlegend=column == "middle",
                line={"width": 1.4, "dash": dash, "color": CHANNEL_COLOR},
                hoverinfo="skip" if column == "middle" else None,
                **overlay,
            ),
            row=1,
            col=1,
        )
    figure.add_vrect(
        x0=channel.fit_start,
        x1=channel.fit_end,
        fillcolor=CHANNEL_COLOR,
        opacity=0.06,
        line_width=0,
        name="overlay:channel",
        visible=overlay["visible"],
        row=1,
        col=1,
    )


def _add_volume(figure: go.Figure, bars: pd.DataFrame, row: int) -> None:
    up = bars["close"] >= bars["open"]
    figure.add_trace(
        go.Bar(
            x=bars.index,
            y=bars["volume"],
            name="Volume",
            marker={"color": up.map({True: UP_COLOR, False: DOWN_COLOR}).tolist(), "line_width": 0},
            showlegend=False,
        ),
        row=row,
        col=1,
    )


def _add_macd(figure: go.Figure, macd: pd.DataFrame, row: int) -> None:
    hist = macd["hist"]
    figure.add_trace(
        go.Bar(
            x=hist.index,
            y=hist,
            name="MACD hist",
            marker={"color": (hist >= 0).map({True: UP_COLOR, False: DOWN_COLOR}).tolist()},
            showlegend=False,
        ),
        row=row,
        col=1,
    )
    for column, color in (("macd", "#1f77b4"), ("signal", "#ff7f0e")):
        figure.add_trace(
            go.Scatter(
                x=macd.index,
                y=macd[column],
                name="MACD" if column == "macd" else "Signal",
                line={"width": 1.3, "color": color},
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    figure.add_hline(y=0, line={"width": 1, "color": "#888"}, row=row, col=1)


def _add_rsi(figure: go.Figure, rsi: pd.Series, row: int) -> None:
    figure.add_trace(
        go.Scatter(
            x=rsi.index,
            y=rsi,
            name="RSI 14",
            line={"width": 1.3, "color": "#9467bd"},
            showlegend=False,
        ),
        row=row,
        col=1,
    )
    for level in (30, 70):
        figure.add_hline(y=level, line={"width": 1, "dash": "dot", "color": "#888"}, row=row, col=1)
    figure.update_yaxes(range=[0, 100], row=row, col=1)


def message_figure(message: str, style: ChartStyle | None = None) -> go.Figure:
    """An empty chart that shows ``message`` in place of data (unknown ticker, failed fetch).

    Plotly renders some HTML tags in annotation text, so the message is escaped.
    """
    style = style or ChartStyle()
    figure = go.Figure()
    figure.update_layout(
        template=template_for(style.dark),
        xaxis={"visible": False},
        yaxis={"visible": False},
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
