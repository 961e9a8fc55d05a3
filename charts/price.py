"""The price chart: candlesticks with channel and averages over price, and indicator panels.

Data in, ``go.Figure`` out, drawn as TradingView users expect: price axis on the right with
the last close tagged, a crosshair, one readout of every panel at the hovered bar, a drag
that pans and room right of the last candle. No range slider.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from analysis.numbers import compact, price, price_decimals, signed
from charts.frame import LEGEND_BELOW, TITLE_MARGIN_TOP, title_with_caption
from charts.theme import (
    AVERAGE_COLORS,
    CHANNEL_COLOR,
    DOWN_COLOR,
    TRANSPARENT,
    UP_COLOR,
    template_for,
    watermark,
)

PANEL_TITLES = {"volume": "Volume", "macd": "MACD (12, 26, 9)", "rsi": "RSI (14)"}
PANEL_ORDER = ("volume", "macd", "rsi")
PANEL_GAP = 0.03
"""Paper height between two panels; each panel's title sits inside its own top edge."""
RIGHT_ROOM_BARS = 3
"""Empty bars right of the last candle, as TradingView leaves them."""
HOVER_FORMATS = {"1d": "%a %b %d, %Y", "1wk": "Week of %b %d, %Y", "1mo": "%B %Y"}
LINE_GREY = "#888"


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
    caption: str = ""
    """Lines under the title: as-of date and source, so an exported PNG says both."""

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
    monthly: bool = False

    @property
    def interval(self) -> str:
        """The bar interval drawn: ``1d``, ``1wk`` or ``1mo``."""
        return "1d" if self.daily else "1mo" if self.monthly else "1wk"


def panels_of(data: ChartInput) -> list[str]:
    """The indicator panels below price, in their fixed order."""
    shown = {"volume": data.volume, "macd": data.macd is not None, "rsi": data.rsi is not None}
    return [name for name in PANEL_ORDER if shown[name]]


def panel_domains(count: int) -> list[tuple[float, float]]:
    """Paper y ranges of price (first, 55% of the height) and ``count`` panels below it."""
    if count < 0:
        raise ValueError(f"panel count must be >= 0, got {count}")
    if count == 0:
        return [(0.0, 1.0)]
    usable = 1.0 - PANEL_GAP * count
    heights = [0.55 * usable] + [0.45 * usable / count] * count
    domains, top = [], 1.0
    for height in heights:
        domains.append((max(top - height, 0.0), top))
        top -= height + PANEL_GAP
    return domains


def price_figure(data: ChartInput, style: ChartStyle | None = None) -> go.Figure:
    """The whole chart: price first, then volume, MACD and RSI panels on one time axis.

    One x axis for every panel (``hoversubplots='axis'``): the unified hover reads every
    panel at the hovered bar, and the crosshair's vertical line crosses them all.
    """
    style = style or ChartStyle()
    bars = data.bars
    missing = {"open", "high", "low", "close", "volume"} - set(bars.columns)
    if missing:
        raise ValueError(f"price_figure needs OHLCV columns; missing {sorted(missing)}")
    if bars.empty:
        return message_figure(f"{data.title}: no bars to show", style)
    decimals = price_decimals(float(bars["close"].iloc[-1]))
    panels = panels_of(data)
    figure = go.Figure()
    _lay_out_axes(figure, panels, bars, style, decimals)
    _add_price(figure, data, style, decimals)
    for number, panel in enumerate(panels, start=2):
        axis = f"y{number}"
        if panel == "volume":
            _add_volume(figure, bars, axis)
        elif panel == "macd" and data.macd is not None:
            _add_macd(figure, data.macd, axis)
        elif panel == "rsi" and data.rsi is not None:
            _add_rsi(figure, data.rsi, axis)
        figure.add_annotation(_panel_title(panel_title(panel, data), axis))
    figure.update_layout(
        template=template_for(style.dark),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        title=title_with_caption(data.title, data.caption),
        hovermode="x unified",
        hoversubplots="axis",
        dragmode="pan",
        modebar={"bgcolor": TRANSPARENT},
        hoverlabel={
            "bgcolor": "rgba(33, 37, 41, 0.85)" if style.dark else "rgba(255, 255, 255, 0.85)"
        },
        showlegend=True,
        legend=LEGEND_BELOW,
        margin={"l": 10, "r": 70, "t": TITLE_MARGIN_TOP, "b": 30},
        # A zoom survives redraws of the same bars (an indicator added), not a new range.
        uirevision=f"{data.title}|{style.interval}|{bars.index[0]:%Y-%m-%d}",
    )
    _tag_last_price(figure, bars, style, decimals)
    if style.simulated:
        figure.add_annotation(watermark(style.dark))
    return figure


def _lay_out_axes(
    figure: go.Figure, panels: list[str], bars: pd.DataFrame, style: ChartStyle, decimals: int
) -> None:
    """One time axis at the bottom; price and panel axes on the right, stacked."""
    domains = panel_domains(len(panels))
    spikes = {
        "showspikes": True,
        "spikemode": "across",
        "spikesnap": "cursor",
        "spikedash": "dot",
        "spikethickness": 1,
        "spikecolor": LINE_GREY,
    }
    step = pd.Series(bars.index).diff().median() if len(bars) > 1 else pd.Timedelta(days=7)
    xaxis: dict[str, object] = {
        "anchor": "y" if not panels else f"y{len(domains)}",
        "domain": [0.0, 1.0],
        "rangeslider": {"visible": False},
        "range": [bars.index[0] - step / 2, bars.index[-1] + step * RIGHT_ROOM_BARS],
        "hoverformat": HOVER_FORMATS[style.interval],
        **spikes,
    }
    if style.daily:
        xaxis["rangebreaks"] = [{"bounds": ["sat", "mon"]}]
    axes: dict[str, object] = {"xaxis": xaxis}
    for number, domain in enumerate(domains, start=1):
        name = "yaxis" if number == 1 else f"yaxis{number}"
        axes[name] = {
            "domain": list(domain),
            "anchor": "x",
            "side": "right",
            "ticklabelposition": "outside",
            **spikes,
        }
    axes["yaxis"] = {
        **axes["yaxis"],  # type: ignore[dict-item]
        "type": "log" if style.log_scale else "linear",
        "tickformat": f",.{decimals}f",
        "hoverformat": f",.{decimals}f",
    }
    figure.update_layout(**axes)


def panel_title(panel: str, data: ChartInput) -> str:
    """A panel's name and its value at the last bar, as TradingView's pane legends show."""
    name = PANEL_TITLES[panel]
    if panel == "volume":
        return f"{name}  {compact(float(data.bars['volume'].iloc[-1]))}"
    if panel == "macd" and data.macd is not None:
        last = data.macd.iloc[-1]
        values = [("", last["macd"]), ("signal ", last["signal"]), ("hist ", last["hist"])]
        return name + "".join(
            f"  {label}{price(float(value), 2)}" for label, value in values if not pd.isna(value)
        )
    if panel == "rsi" and data.rsi is not None and not pd.isna(data.rsi.iloc[-1]):
        return f"{name}  {price(float(data.rsi.iloc[-1]), 1)}"
    return name


def _panel_title(text: str, axis: str) -> dict[str, object]:
    """A title inside the top-left corner of its own panel, never on the panel above."""
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


def readout(bars: pd.DataFrame, decimals: int) -> list[str]:
    """Each bar's OHLC, change from the previous close and volume, for the hover readout."""
    previous = bars["close"].shift(1)
    lines = []
    for (o, h, low, c, v), before in zip(
        bars[["open", "high", "low", "close", "volume"]].itertuples(index=False, name=None),
        previous,
        strict=True,
    ):
        text = (
            f"O {price(o, decimals)}  H {price(h, decimals)}  "
            f"L {price(low, decimals)}  C {price(c, decimals)}"
        )
        if not pd.isna(before) and before:
            change = c - before
            text += f"  {signed(change, decimals)} ({signed(100.0 * change / before, 2, '%')})"
        lines.append(f"{text}  Vol {compact(v)}")
    return lines


def _add_price(figure: go.Figure, data: ChartInput, style: ChartStyle, decimals: int) -> None:
    bars = data.bars
    names = {"1d": "Daily", "1wk": "Weekly", "1mo": "Monthly"}
    figure.add_trace(
        go.Candlestick(
            x=bars.index,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            close=bars["close"],
            name=names[style.interval],
            text=readout(bars, decimals),
            hovertemplate="%{text}<extra></extra>",
            increasing={"line": {"color": UP_COLOR}, "fillcolor": UP_COLOR},
            decreasing={"line": {"color": DOWN_COLOR}, "fillcolor": DOWN_COLOR},
            xaxis="x",
            yaxis="y",
        )
    )
    if data.channel is not None:
        _add_channel(figure, data.channel, data.overlay_trace_style("channel"), decimals)
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
                    hoverinfo="skip",
                    yaxis="y",
                    **data.overlay_trace_style("bb"),
                )
            )
    for position, (label, series) in enumerate(data.averages.items()):
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series,
                name=label,
                line={"width": 1.6, "color": AVERAGE_COLORS[position % len(AVERAGE_COLORS)]},
                hovertemplate=f"%{{y:,.{decimals}f}}",
                yaxis="y",
                **data.overlay_trace_style(data.overlay_keys.get(label, label)),
            )
        )
    if "partial" in bars.columns and bool(bars["partial"].iloc[-1]):
        figure.add_annotation(
            x=bars.index[-1],
            y=1.0,
            xref="x",
            yref="y domain",
            yanchor="top",
            text="in progress",
            showarrow=False,
            font={"size": 11, "color": LINE_GREY},
            bgcolor="rgba(128, 128, 128, 0.12)",
        )


def _tag_last_price(
    figure: go.Figure, bars: pd.DataFrame, style: ChartStyle, decimals: int
) -> None:
    """The last close tagged on the price axis, with a dotted line across, as TradingView does."""
    last = bars.iloc[-1]
    close = float(last["close"])
    at = math.log10(close) if style.log_scale and close > 0 else close
    color = UP_COLOR if close >= float(last["open"]) else DOWN_COLOR
    figure.add_shape(
        type="line",
        xref="x domain",
        x0=0,
        x1=1,
        yref="y",
        y0=close,
        y1=close,
        line={"width": 1, "dash": "dot", "color": color},
        name="last price",
    )
    figure.add_annotation(
        text=price(close, decimals),
        xref="paper",
        x=1.0,
        xanchor="left",
        yref="y",
        y=at,
        showarrow=False,
        bgcolor=color,
        font={"color": "#ffffff", "size": 11},
        borderpad=2,
        name="last price",
    )


def _add_channel(
    figure: go.Figure, channel: ChannelLines, overlay: dict[str, object], decimals: int
) -> None:
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
                hovertemplate=None if column == "middle" else f"%{{y:,.{decimals}f}}",
                yaxis="y",
                **overlay,
            )
        )
    figure.add_shape(
        type="rect",
        xref="x",
        x0=channel.fit_start,
        x1=channel.fit_end,
        yref="y domain",
        y0=0,
        y1=1,
        fillcolor=CHANNEL_COLOR,
        opacity=0.06,
        line_width=0,
        layer="below",
        name="overlay:channel",
        visible=overlay["visible"],
    )


def _hline(figure: go.Figure, axis: str, level: float, dash: str = "solid") -> None:
    figure.add_shape(
        type="line",
        xref="x domain",
        x0=0,
        x1=1,
        yref=axis,
        y0=level,
        y1=level,
        line={"width": 1, "dash": dash, "color": LINE_GREY},
    )


def _add_volume(figure: go.Figure, bars: pd.DataFrame, axis: str) -> None:
    up = bars["close"] >= bars["open"]
    figure.add_trace(
        go.Bar(
            x=bars.index,
            y=bars["volume"],
            name="Volume",
            marker={"color": up.map({True: UP_COLOR, False: DOWN_COLOR}).tolist(), "line_width": 0},
            showlegend=False,
            hoverinfo="skip",  # the price readout carries the volume
            yaxis=axis,
        )
    )
    figure.update_layout({_layout_axis(axis): {"tickformat": "~s", "nticks": 3}})


def _add_macd(figure: go.Figure, macd: pd.DataFrame, axis: str) -> None:
    hist = macd["hist"]
    figure.add_trace(
        go.Bar(
            x=hist.index,
            y=hist,
            name="MACD hist",
            marker={"color": (hist >= 0).map({True: UP_COLOR, False: DOWN_COLOR}).tolist()},
            showlegend=False,
            hovertemplate="%{y:.2f}",
            yaxis=axis,
        )
    )
    for column, color in (("macd", "#1f77b4"), ("signal", "#ff7f0e")):
        figure.add_trace(
            go.Scatter(
                x=macd.index,
                y=macd[column],
                name="MACD" if column == "macd" else "Signal",
                line={"width": 1.3, "color": color},
                showlegend=False,
                hovertemplate="%{y:.2f}",
                yaxis=axis,
            )
        )
    _hline(figure, axis, 0.0)
    figure.update_layout({_layout_axis(axis): {"nticks": 4}})


def _add_rsi(figure: go.Figure, rsi: pd.Series, axis: str) -> None:
    figure.add_trace(
        go.Scatter(
            x=rsi.index,
            y=rsi,
            name="RSI 14",
            line={"width": 1.3, "color": "#9467bd"},
            showlegend=False,
            hovertemplate="%{y:.1f}",
            yaxis=axis,
        )
    )
    for level in (30, 70):
        _hline(figure, axis, level, "dot")
    figure.update_layout({_layout_axis(axis): {"range": [0, 100], "tickvals": [30, 70]}})


def _layout_axis(axis: str) -> str:
    """'y3' -> 'yaxis3'."""
    return "yaxis" + axis[1:]


def message_figure(message: str, style: ChartStyle | None = None) -> go.Figure:
    """An empty chart that shows ``message`` in place of data (unknown ticker, failed fetch).

    Plotly renders some HTML tags in annotation text, so the message is escaped.
    """
    style = style or ChartStyle()
    figure = go.Figure()
    figure.update_layout(
        template=template_for(style.dark),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
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
