"""The price chart: candlesticks with channel and averages over price, and indicator panels.

Data in, a plain Plotly figure dict out (see ``price_figure``), drawn as TradingView users
expect: price axis on the right with the last close tagged, a crosshair, one readout of every
panel at the hovered bar, a drag that pans and room right of the last candle. No range slider.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec

from analysis.numbers import compact, price, price_decimals, signed
from charts.frame import LEGEND_BELOW, TITLE_MARGIN_TOP, corner_title, title_with_caption
from charts.theme import (
    AVERAGE_COLORS,
    CHANNEL_COLOR,
    DOWN_COLOR,
    TRANSPARENT,
    UP_COLOR,
    template_for,
    template_json,
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

Figure = dict[str, Any]
"""A Plotly figure as plain data: ``{"data": [trace, ...], "layout": {...}}``."""


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


def price_figure(data: ChartInput, style: ChartStyle | None = None) -> Figure:
    """The whole chart: price first, then volume, MACD and RSI panels on one time axis.

    One x axis for every panel (``hoversubplots='axis'``): the unified hover reads every
    panel at the hovered bar, and the crosshair's vertical line crosses them all.

    A plain figure dict (``{"data": [...], "layout": {...}}``), as ``dcc.Graph`` takes it:
    building a ``go.Figure`` validated every property and every bar's colour, nine tenths
    of the chart callback's time (Plotly's maintainers advise dicts for Dash in that case).
    The tests read it through ``go.Figure``, which checks that plotly accepts all of it.
    """
    style = style or ChartStyle()
    bars = data.bars
    missing = {"open", "high", "low", "close", "volume"} - set(bars.columns)
    if missing:
        raise ValueError(f"price_figure needs OHLCV columns; missing {sorted(missing)}")
    if bars.empty:
        return message_figure(f"{data.title}: no bars to show", style).to_plotly_json()
    decimals = price_decimals(float(bars["close"].iloc[-1]))
    panels = panels_of(data)
    traces: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout = _axes_layout(panels, bars, style, decimals)
    _add_price(traces, shapes, annotations, data, style, decimals)
    for number, panel in enumerate(panels, start=2):
        axis = f"y{number}"
        axis_layout = layout[_layout_axis(axis)]
        if panel == "volume":
            traces.append(_volume(bars, axis))
            axis_layout.update({"tickformat": "~s", "nticks": 3})
        elif panel == "macd" and data.macd is not None:
            traces.extend(_macd(data.macd, axis))
            shapes.append(_hline(axis, 0.0))
            axis_layout.update({"nticks": 4})
        elif panel == "rsi" and data.rsi is not None:
            traces.append(_rsi(data.rsi, axis))
            shapes.extend(_hline(axis, level, "dot") for level in (30, 70))
            axis_layout.update({"range": [0, 100], "tickvals": [30, 70]})
        annotations.append(corner_title(panel_title(panel, data), axis))
    layout.update(
        template=template_json(style.dark),
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
    shape, tag = _last_price_tag(bars, style, decimals)
    shapes.append(shape)
    annotations.append(tag)
    if style.simulated:
        annotations.append(watermark(style.dark))
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": traces, "layout": layout}


def _dates(index: pd.Index) -> np.ndarray:
    """Dates as plotly's JSON writes them (ISO text), since no ``go.Figure`` converts them."""
    return np.datetime_as_string(pd.DatetimeIndex(index).to_numpy(), unit="s")


def _values(series: pd.Series) -> object:
    """Numbers as plotly.js typed arrays (base64 float64, with NaN as gaps), written by the
    same function ``go.Figure`` uses: the JSON is as compact as a validated figure's."""
    return to_typed_array_spec(series.to_numpy(dtype="float64"))


def _axes_layout(
    panels: list[str], bars: pd.DataFrame, style: ChartStyle, decimals: int
) -> dict[str, Any]:
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
        "range": [
            (bars.index[0] - step / 2).isoformat(),
            (bars.index[-1] + step * RIGHT_ROOM_BARS).isoformat(),
        ],
        "hoverformat": HOVER_FORMATS[style.interval],
        **spikes,
    }
    if style.daily:
        xaxis["rangebreaks"] = [{"bounds": ["sat", "mon"]}]
    axes: dict[str, Any] = {"xaxis": xaxis}
    for number, domain in enumerate(domains, start=1):
        name = "yaxis" if number == 1 else f"yaxis{number}"
        axes[name] = {
            "domain": list(domain),
            "anchor": "x",
            "side": "right",
            "ticklabelposition": "outside",
            **spikes,
        }
    axes["yaxis"].update(
        {
            "type": "log" if style.log_scale else "linear",
            "tickformat": f",.{decimals}f",
            "hoverformat": f",.{decimals}f",
        }
    )
    return axes


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


def _add_price(
    traces: list[dict[str, Any]],
    shapes: list[dict[str, Any]],
    annotations: list[dict[str, Any]],
    data: ChartInput,
    style: ChartStyle,
    decimals: int,
) -> None:
    bars = data.bars
    names = {"1d": "Daily", "1wk": "Weekly", "1mo": "Monthly"}
    traces.append(
        {
            "type": "candlestick",
            "x": _dates(bars.index),
            "open": _values(bars["open"]),
            "high": _values(bars["high"]),
            "low": _values(bars["low"]),
            "close": _values(bars["close"]),
            "name": names[style.interval],
            "text": readout(bars, decimals),
            "hovertemplate": "%{text}<extra></extra>",
            "increasing": {"line": {"color": UP_COLOR}, "fillcolor": UP_COLOR},
            "decreasing": {"line": {"color": DOWN_COLOR}, "fillcolor": DOWN_COLOR},
            "xaxis": "x",
            "yaxis": "y",
        }
    )
    if data.channel is not None:
        overlay = data.overlay_trace_style("channel")
        traces.extend(_channel_lines(data.channel, overlay, decimals))
        shapes.append(_channel_window(data.channel, overlay))
    if data.bollinger is not None:
        for column, dash in (("upper", "dot"), ("middle", "dash"), ("lower", "dot")):
            traces.append(
                {
                    "type": "scatter",
                    "x": _dates(data.bollinger.index),
                    "y": _values(data.bollinger[column]),
                    "name": f"BB {column}",
                    "legendgroup": "bollinger",
                    "showlegend": column == "middle",
                    "line": {"width": 1, "dash": dash, "color": "#8e7cc3"},
                    "hoverinfo": "skip",
                    "yaxis": "y",
                    **data.overlay_trace_style("bb"),
                }
            )
    for position, (label, series) in enumerate(data.averages.items()):
        traces.append(
            {
                "type": "scatter",
                "x": _dates(series.index),
                "y": _values(series),
                "name": label,
                "line": {"width": 1.6, "color": AVERAGE_COLORS[position % len(AVERAGE_COLORS)]},
                "hovertemplate": f"%{{y:,.{decimals}f}}",
                "yaxis": "y",
                **data.overlay_trace_style(data.overlay_keys.get(label, label)),
            }
        )
    if "partial" in bars.columns and bool(bars["partial"].iloc[-1]):
        annotations.append(
            {
                "x": bars.index[-1].isoformat(),
                "y": 1.0,
                "xref": "x",
                "yref": "y domain",
                "yanchor": "top",
                "text": "in progress",
                "showarrow": False,
                "font": {"size": 11, "color": LINE_GREY},
                "bgcolor": "rgba(128, 128, 128, 0.12)",
            }
        )


def _last_price_tag(
    bars: pd.DataFrame, style: ChartStyle, decimals: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The last close tagged on the price axis, with a dotted line across, as TradingView does."""
    last = bars.iloc[-1]
    close = float(last["close"])
    at = math.log10(close) if style.log_scale and close > 0 else close
    color = UP_COLOR if close >= float(last["open"]) else DOWN_COLOR
    line = {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": close,
        "y1": close,
        "line": {"width": 1, "dash": "dot", "color": color},
        "name": "last price",
    }
    tag = {
        "text": price(close, decimals),
        "xref": "paper",
        "x": 1.0,
        "xanchor": "left",
        "yref": "y",
        "y": at,
        "showarrow": False,
        "bgcolor": color,
        "font": {"color": "#ffffff", "size": 11},
        "borderpad": 2,
        "name": "last price",
    }
    return line, tag


def _channel_lines(
    channel: ChannelLines, overlay: dict[str, object], decimals: int
) -> list[dict[str, Any]]:
    lines = channel.lines
    traces = []
    for column, dash in (("upper", "solid"), ("middle", "dash"), ("lower", "solid")):
        trace: dict[str, Any] = {
            "type": "scatter",
            "x": _dates(lines.index),
            "y": _values(lines[column]),
            "name": f"{channel.label} {column}",
            "legendgroup": "channel",
            "showlegend": column == "middle",
            "line": {"width": 1.4, "dash": dash, "color": CHANNEL_COLOR},
            "yaxis": "y",
            **overlay,
        }
        if column == "middle":
            trace["hoverinfo"] = "skip"
        else:
            trace["hovertemplate"] = f"%{{y:,.{decimals}f}}"
        traces.append(trace)
    return traces


def _channel_window(channel: ChannelLines, overlay: dict[str, object]) -> dict[str, Any]:
    """The fit window, shaded behind the bars."""
    return {
        "type": "rect",
        "xref": "x",
        "x0": pd.Timestamp(channel.fit_start).isoformat(),
        "x1": pd.Timestamp(channel.fit_end).isoformat(),
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
        "fillcolor": CHANNEL_COLOR,
        "opacity": 0.06,
        "line": {"width": 0},
        "layer": "below",
        "name": "overlay:channel",
        "visible": overlay["visible"],
    }


def _hline(axis: str, level: float, dash: str = "solid") -> dict[str, Any]:
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": axis,
        "y0": level,
        "y1": level,
        "line": {"width": 1, "dash": dash, "color": LINE_GREY},
    }


def _direction_colors(up: pd.Series) -> np.ndarray:
    return np.where(up.to_numpy(dtype=bool), UP_COLOR, DOWN_COLOR)


def _volume(bars: pd.DataFrame, axis: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": _dates(bars.index),
        "y": _values(bars["volume"]),
        "name": "Volume",
        "marker": {
            "color": _direction_colors(bars["close"] >= bars["open"]),
            "line": {"width": 0},
        },
        "showlegend": False,
        "hoverinfo": "skip",  # the price readout carries the volume
        "yaxis": axis,
    }


def _macd(macd: pd.DataFrame, axis: str) -> list[dict[str, Any]]:
    hist = macd["hist"]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": _dates(hist.index),
            "y": _values(hist),
            "name": "MACD hist",
            "marker": {"color": _direction_colors(hist >= 0)},
            "showlegend": False,
            "hovertemplate": "%{y:.2f}",
            "yaxis": axis,
        }
    ]
    for column, color in (("macd", "#1f77b4"), ("signal", "#ff7f0e")):
        traces.append(
            {
                "type": "scatter",
                "x": _dates(macd.index),
                "y": _values(macd[column]),
                "name": "MACD" if column == "macd" else "Signal",
                "line": {"width": 1.3, "color": color},
                "showlegend": False,
                "hovertemplate": "%{y:.2f}",
                "yaxis": axis,
            }
        )
    return traces


def _rsi(rsi: pd.Series, axis: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": _dates(rsi.index),
        "y": _values(rsi),
        "name": "RSI 14",
        "line": {"width": 1.3, "color": "#9467bd"},
        "showlegend": False,
        "hovertemplate": "%{y:.1f}",
        "yaxis": axis,
    }


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
