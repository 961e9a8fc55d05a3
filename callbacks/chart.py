"""Wiring of the chart area: the view in; price chart, relative chart and read out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from analysis.monthly import monthly_bars
from analysis.numbers import price, price_decimals, signed
from analysis.read import TechnicalRead, technical_read
from analysis.study import Study
from analysis.weekly import weekly_bars
from callbacks.services import Services
from charts.compare import compare_figure
from charts.plain_arrays import with_plain_arrays
from charts.price import ChannelLines, ChartInput, ChartStyle, message_figure, price_figure
from components import ids
from components.chart_panel import (
    HIDDEN_CHART,
    SHOWN_CHART,
    ChartContent,
    create_read_content,
    graph_config,
)
from components.view_state import ViewState, parse_query, to_query
from market.bars import bars_as_of
from market.data import UnknownTickerError
from market.tickers import RATE_TICKERS

RANGE_OFFSETS: dict[str, pd.DateOffset | pd.Timedelta] = {
    "1m": pd.DateOffset(months=1),
    "3m": pd.DateOffset(months=3),
    "6m": pd.DateOffset(months=6),
    "1y": pd.Timedelta(weeks=52),
    "2y": pd.Timedelta(weeks=104),
    "5y": pd.Timedelta(weeks=261),
    "10y": pd.Timedelta(weeks=522),
}
"""How far back each range reaches from the last bar; ``ytd`` starts on January 1st and
``max`` at the first bar."""
AVERAGES = {
    "sma50": ("SMA 50", 50, Study.sma),
    "sma20": ("SMA 20", 20, Study.sma),
    "sma200": ("SMA 200", 200, Study.sma),
    "ema20": ("EMA 20", 20, Study.ema),
}
"""Moving averages by overlay key; the order fixes each one's colour (SMA 50 first)."""
BARS_PER_WEEK = {"1wk": 1.0, "1d": 5.0, "1mo": 12 / 52}
MIN_CHANNEL_BARS = 3


@dataclass(frozen=True)
class ChartView:
    """What the chart area shows for one view."""

    figure: dict[str, Any]
    """A plain figure dict, as ``dcc.Graph`` takes it (see ``charts.price.price_figure``)."""
    message: str
    read: TechnicalRead | None


def display_start(index: pd.DatetimeIndex, range_: str) -> pd.Timestamp | None:
    """The first date shown for a range (None: from the first bar)."""
    if index.empty or range_ == "max":
        return None
    if range_ == "ytd":
        return pd.Timestamp(year=index[-1].year, month=1, day=1)
    offset = RANGE_OFFSETS.get(range_)
    return None if offset is None else pd.Timestamp(index[-1] - offset)


def chart_input(
    ticker: str,
    bars: pd.DataFrame,
    state: ViewState,
    title: str,
    also_drawn: Iterable[str] = (),
    study: Study | None = None,
) -> ChartInput:
    """Indicators on all bars (so warm-up is right), then cut to the range shown.

    The overlays shown are drawn, and so are ``also_drawn`` ones, hidden: the browser
    toggles overlays the figure holds without asking for a new one. ``study`` is a Study
    of ``bars`` that already holds some of the indicators (the read's).
    """
    study = study or Study(bars)
    if study.bars is not bars:
        raise ValueError("study must be a Study of the bars drawn")
    close = study.close
    shown = set(state.indicators)
    drawn = set(state.overlays) | set(also_drawn)
    start = display_start(pd.DatetimeIndex(bars.index), state.range)

    def cut(frame: Any) -> Any:
        return frame if start is None else frame.loc[frame.index >= start]

    averages = {
        label: cut(function(study, length))
        for key, (label, length, function) in AVERAGES.items()
        if key in drawn and len(close) >= length
    }
    channel = None
    lookback = max(MIN_CHANNEL_BARS, round(state.channel * BARS_PER_WEEK[state.interval]))
    if "channel" in drawn and len(close) >= MIN_CHANNEL_BARS:
        fitted = study.channel(lookback, anchor=state.channel_end)
        channel = ChannelLines(
            lines=cut(fitted.lines),
            fit_start=fitted.fit_start if start is None else max(fitted.fit_start, start),
            fit_end=fitted.fit_end,
            label=f"{state.channel}-week channel",
        )
    return ChartInput(
        bars=cut(bars),
        title=title,
        averages=averages,
        bollinger=cut(study.bbands()) if "bb" in drawn else None,
        channel=channel,
        macd=cut(study.macd()) if "macd" in shown else None,
        rsi=cut(study.rsi()) if "rsi" in shown else None,
        volume="volume" in shown,
        overlay_keys={label: key for key, (label, _, _) in AVERAGES.items()},
        hidden=frozenset(drawn - shown),
    )


def chart_view(
    services: Services, state: ViewState, dark: bool = False, also_drawn: Iterable[str] = ()
) -> ChartView:
    """The price chart and the technical read of ``state``; a message instead on failure.

    ``also_drawn`` overlays are drawn hidden (see :func:`chart_input`).
    """
    style = ChartStyle(
        log_scale=state.scale == "log",
        daily=state.interval == "1d",
        monthly=state.interval == "1mo",
        simulated=services.market.source.simulated,
        dark=dark,
    )
    try:
        daily = bars_as_of(services.market.daily_bars(state.ticker), state.as_of)
    except UnknownTickerError as error:
        message = f"No chart for {state.ticker}: {error}."
        figure = message_figure(f"No data for {state.ticker}", style).to_plotly_json()
        return ChartView(figure, message, None)
    if daily.empty:
        message = f"{state.ticker} has no data on or before {state.as_of}."
        return ChartView(message_figure(message, style).to_plotly_json(), message, None)
    message = stale_message(services, state, daily.index[-1])
    in_progress = (
        state.as_of is None and services.market.freshness(state.ticker).in_progress is not None
    )
    # One weekly Study for the read and (on weekly charts) the figure: computed once.
    weekly = Study(weekly_bars(daily, as_of=state.as_of, in_progress=in_progress))
    try:
        read = technical_read(
            state.ticker,
            daily,
            lookback=state.channel,
            anchor=state.channel_end,
            weekly=weekly,
            in_progress=in_progress,
        )
    except ValueError as error:
        message = f"{message} Channel end {state.channel_end} ignored: {error}.".lstrip()
        state = replace(state, channel_end=None)
        read = technical_read(
            state.ticker, daily, lookback=state.channel, weekly=weekly, in_progress=in_progress
        )
    drawn = weekly if state.interval == "1wk" else Study(interval_bars(daily, state))
    title = state.ticker + (" · simulated" if style.simulated else "")
    chart = replace(
        chart_input(state.ticker, drawn.bars, state, title, also_drawn, drawn),
        caption=chart_caption(state, daily.index[-1], services.market.source.label),
    )
    return ChartView(price_figure(chart, style), message, read)


def interval_bars(daily: pd.DataFrame, state: ViewState) -> pd.DataFrame:
    """The bars the chart draws: daily as stored, weeks and months built from them."""
    if state.interval == "1wk":
        return weekly_bars(daily, as_of=state.as_of)
    if state.interval == "1mo":
        return monthly_bars(daily, as_of=state.as_of)
    return daily


INTERVAL_NAMES = {"1d": "Daily", "1wk": "Weekly", "1mo": "Monthly"}


def chart_caption(state: ViewState, last: pd.Timestamp, source: str) -> str:
    """The lines under the chart's title: bars, as-of date and source (an exported PNG
    keeps them)."""
    return f"{INTERVAL_NAMES[state.interval]} bars · as of {last:%Y-%m-%d}\nSource: {source}"


def file_name(parts: Iterable[str]) -> str:
    """``parts`` joined by '_', each reduced to letters, digits, dots and dashes (safe on any
    system)."""
    return "_".join(re.sub(r"[^A-Za-z0-9.]+", "-", part).strip("-") for part in parts)


def export_name(ticker: str, read: TechnicalRead | None, source: str) -> str:
    """The PNG export's file name: ``IWM_2025-04-01_Yahoo-Finance``."""
    return file_name([ticker] + ([f"{read.as_of:%Y-%m-%d}"] if read is not None else []) + [source])


def stale_message(services: Services, state: ViewState, last: pd.Timestamp) -> str:
    """What to say when the chart shows a stored copy that could not be brought up to date,
    or ends with a bar of a session still open.

    Only for the current view: a replay (``as_of``) needs no newer data.
    """
    if state.as_of is not None:
        return ""
    freshness = services.market.freshness(state.ticker)
    if freshness.in_progress is not None:
        return (
            f"The last bar ({freshness.in_progress:%Y-%m-%d}) is in progress: "
            "the session is open, so its close is not final."
        )
    problem = services.market.fetch_problem(state.ticker)
    if problem is None:
        return ""
    return (
        f"Stale data: {state.ticker} is shown as stored, up to {last:%Y-%m-%d}; "
        f"it could not be updated ({problem})."
    )


def treasury_yields(services: Services, as_of: date | None) -> dict[str, pd.Series]:
    """The yields the source has (``RATE_TICKERS``), labelled; a missing one is left out."""
    found: dict[str, pd.Series] = {}
    for ticker, label in RATE_TICKERS.items():
        try:
            bars = bars_as_of(services.market.daily_bars(ticker), as_of)
        except UnknownTickerError:
            continue
        found[f"{label} ({ticker})"] = bars["close"]
    return found


class CompareView(NamedTuple):
    """The relative chart of one view, what went wrong ('' when nothing), and its PNG's name."""

    figure: go.Figure
    problem: str
    export_name: str = "relative"


def compare_view(services: Services, state: ViewState, dark: bool = False) -> CompareView:
    """The ticker against the comparison ticker (default: the source's benchmark).

    Its caption and PNG file name say both tickers, the last common date and the source.
    """
    market = services.market
    other = state.compare or market.benchmark_ticker
    if other == state.ticker:
        other = market.benchmark_ticker if other != market.benchmark_ticker else market.index_ticker
    style = ChartStyle(dark=dark, simulated=services.market.source.simulated)
    try:
        closes = [
            bars_as_of(services.market.daily_bars(symbol), state.as_of)["close"].rename(symbol)
            for symbol in (state.ticker, other)
        ]
    except UnknownTickerError as error:
        return CompareView(message_figure(f"Nothing to compare: {error}", style), str(error))
    start = display_start(pd.DatetimeIndex(closes[0].index), state.range)
    if start is not None:
        closes = [series.loc[series.index >= start] for series in closes]
    yields = treasury_yields(services, state.as_of) if state.rates else None
    common = pd.concat(closes, axis=1).dropna().index
    source = market.source.label
    dated = [f"{common[-1]:%Y-%m-%d}"] if len(common) else []
    caption = " · ".join(["Daily closes rebased to 100", *(f"as of {d}" for d in dated)])
    figure = compare_figure(
        closes[0],
        closes[1],
        simulated=style.simulated,
        dark=dark,
        yields=yields,
        caption=f"{caption}\nSource: {source}",
    )
    return CompareView(figure, "", file_name([f"{state.ticker} vs {other}", *dated, source]))


def read_figures(read: TechnicalRead) -> list[tuple[str, str, str]]:
    """The read's key numbers as (label, value, tone); prices to the chart's decimals."""
    decimals = price_decimals(read.close)
    figures = [
        ("Close", price(read.close, decimals), ""),
        ("From high", signed(read.drawdown_pct, 1, "%"), "down" if read.drawdown_pct < 0 else ""),
    ]
    if read.sma50w is not None:
        distance = (read.close / read.sma50w - 1.0) * 100.0
        figures.append(
            ("vs 50-wk avg", signed(distance, 1, "%"), "up" if distance >= 0 else "down")
        )
    if read.macd is not None and read.macd_signal is not None:
        tone = "up" if read.macd >= read.macd_signal else "down"
        pair = f"{price(read.macd, 2)} / {price(read.macd_signal, 2)}"
        figures.append(("MACD / signal", pair, tone))
    if read.rsi14 is not None:
        tone = "down" if read.rsi14 < 40 else "up" if read.rsi14 > 60 else ""
        figures.append(("RSI 14", f"{read.rsi14:.1f}", tone))
    if read.channel is not None:
        tone = {"above": "up", "below": "down"}.get(read.channel.position, "")
        figures.append(("Channel", read.channel.position, tone))
    return figures


def read_content(read: TechnicalRead | None, message: str) -> list[Any]:
    """The read panel's children: figures and sentences, or the message."""
    if read is None:
        return create_read_content([], [message or "No read."])
    return create_read_content(read_figures(read), [read.summary])


SHOW_OVERLAYS_JS = """
function (overlays, figure) {
    if (!figure || !figure.data || !overlays) {
        return window.dash_clientside.no_update;
    }
    const shown = new Set(overlays);
    const data = figure.data.map(function (trace) {
        const key = trace.meta && trace.meta.overlay;
        return key ? Object.assign({}, trace, {visible: shown.has(key)}) : trace;
    });
    const shapes = (figure.layout.shapes || []).map(function (shape) {
        const name = shape.name || "";
        return name.startsWith("overlay:")
            ? Object.assign({}, shape, {visible: shown.has(name.slice(8))})
            : shape;
    });
    return Object.assign({}, figure, {
        data: data,
        layout: Object.assign({}, figure.layout, {shapes: shapes}),
    });
}
"""
"""Shows the chosen overlays (drawn by the server, hidden or not) with no server round trip."""


FIT_AXES_JS = """
function (relayout) {
    const skip = window.dash_clientside.no_update;
    const changed = Object.keys(relayout || {}).some((key) => key.startsWith("xaxis."));
    const gd = document.querySelector("#PRICE_CHART .js-plotly-plot");
    if (!changed || !gd || !gd._fullData || !gd._fullLayout.xaxis) {
        return skip;
    }
    const xaxis = gd._fullLayout.xaxis;
    const [start, end] = xaxis.range.map((value) => xaxis.r2l(value));
    const extent = {};
    const widen = (axis, value) => {
        if (value === null || value === undefined || !isFinite(value)) return;
        const seen = extent[axis] || (extent[axis] = [Infinity, -Infinity]);
        seen[0] = Math.min(seen[0], value);
        seen[1] = Math.max(seen[1], value);
    };
    const panels = new Set(["Volume", "MACD hist", "MACD", "Signal"]);
    // _fullData: plotly.js has decoded the figure's base64 arrays there.
    gd._fullData.forEach((trace) => {
        const axis = trace.yaxis || "y";
        const fits = trace.type === "candlestick" || panels.has(trace.name);
        if (!fits || trace.visible !== true) return;
        for (let i = 0; i < trace.x.length; i++) {
            const at = xaxis.d2l(trace.x[i]);
            if (at < start || at > end) continue;
            if (trace.type === "candlestick") {
                widen(axis, trace.low[i]);
                widen(axis, trace.high[i]);
            } else {
                widen(axis, trace.y[i]);
                if (trace.name === "Volume") widen(axis, 0);
            }
        }
    });
    const update = {};
    Object.entries(extent).forEach(([axis, [low, high]]) => {
        if (!isFinite(low)) return;
        const name = "yaxis" + axis.slice(1);
        const log = gd._fullLayout[name].type === "log";
        const [a, b] = log ? [Math.log10(low), Math.log10(high)] : [low, high];
        const pad = (b - a) * 0.05 || Math.abs(b) * 0.01 || 1;
        update[name + ".range"] = [a - pad, b + pad];
    });
    if (Object.keys(update).length) {
        window.Plotly.relayout(gd, update);
    }
    return skip;
}
""".replace("PRICE_CHART", ids.PRICE_CHART)
"""Fits the price, volume and MACD axes to the bars in view after a zoom or pan, as
TradingView does (Plotly would keep the whole series' price range)."""


def drawn_for(query: str | None, dark: bool) -> dict[str, Any]:
    """What a figure is drawn for: the view it was asked for and the theme."""
    return {"view": query, "dark": bool(dark)}


def chart_content(
    services: Services,
    asked: str | None,
    latest: str | None,
    dark: bool,
    plain_arrays: bool = False,
) -> ChartContent:
    """The chart area for the view ``asked`` (drawn) and ``latest`` (shown), from the cache.

    ``asked`` is the view the redraw was asked for: its overlays are drawn (those toggled
    off since stay, hidden); what is shown comes from the latest view. Figures are cached
    per view, theme and data version, as plain dicts (fast to unpickle and to send). With
    ``plain_arrays`` the figure's arrays are JSON lists, cached apart (see ``first_chart``).
    """
    today = _today()
    drawn = parse_query(asked or "", services.default_ticker, today).overlays
    state = parse_query(latest or asked or "", services.default_ticker, today)
    key = services.result_key("chart", state, bool(dark), drawn)

    def compute() -> tuple[dict[str, Any], str, TechnicalRead | None]:
        view = chart_view(services, state, bool(dark), drawn)
        return view.figure, view.message, view.read

    def compute_plain() -> tuple[dict[str, Any], str, TechnicalRead | None]:
        figure, message, read = services.cache.get_or_compute(key, compute)
        return with_plain_arrays(figure), message, read

    if plain_arrays:
        plain_key = services.result_key("chart-plain", state, bool(dark), drawn)
        figure, message, read = services.cache.get_or_compute(plain_key, compute_plain)
    else:
        figure, message, read = services.cache.get_or_compute(key, compute)
    return ChartContent(
        figure,
        message,
        read_content(read, message),
        drawn_for(asked, dark),
        export_name(state.ticker, read, services.market.source.label),
    )


def first_chart(services: Services, state: ViewState) -> ChartContent:
    """The chart area the page starts with, in the light theme; with a ``compare`` ticker
    the relative chart too (the page opens on it).

    Its arrays are plain lists, so that the Graph takes over the page's early drawing
    without a redraw (``charts.plain_arrays``); the served HTML and the layout both ask for
    it on every page load, so it is one cache entry of its own.
    """
    query = to_query(state)
    content = chart_content(services, query, query, dark=False, plain_arrays=True)
    if state.compare is None:
        return content
    figure, name = compare_content(services, state, False)
    return replace(content, compare=figure, compare_export_name=name)


def compare_content(services: Services, state: ViewState, dark: bool) -> tuple[dict[str, Any], str]:
    """The relative chart of ``state`` as a plain dict, and its PNG's name, from the cache."""

    def compute() -> tuple[dict[str, Any], str]:
        view = compare_view(services, state, dark)
        return view.figure.to_plotly_json(), view.export_name

    # Not "compare": results cached under that key hold the figure alone (the package's
    # version, in every key, does not change with each commit).
    key = services.result_key("relative", state, dark)
    return services.cache.get_or_compute(key, compute)


def register(app: Dash, services: Services) -> None:
    """Attach the chart callbacks to ``app``."""

    @app.callback(
        Output(ids.PRICE_CHART, "figure"),
        Output(ids.CHART_MESSAGE, "children"),
        Output(ids.READ_PANEL, "children"),
        Output(ids.DRAWN_CHART, "data"),
        Output(ids.PRICE_CHART, "config"),
        Input(ids.CHART_VIEW, "data"),
        Input(ids.THEME_SWITCH, "value"),
        State(ids.VIEW_STORE, "data"),
        State(ids.DRAWN_CHART, "data"),
    )
    def _update_chart(query: Any, dark: bool, latest: Any, drawn: Any) -> tuple[Any, ...]:
        # Views are query strings; anything else (a crafted body) is no view at all.
        query = query if isinstance(query, str) else None
        latest = latest if isinstance(latest, str) else None
        if drawn == drawn_for(query, dark):
            raise PreventUpdate  # the page already shows it (its first chart)
        content = chart_content(services, query, latest, dark)
        return content.figure, content.message, content.read, content.drawn, content.config

    @app.callback(
        Output(ids.COMPARE_CHART, "figure"),
        Output(ids.COMPARE_CHART, "config"),
        Output(ids.PRICE_CHART, "style"),
        Output(ids.COMPARE_CHART, "style"),
        Input(ids.CHART_TABS, "active_tab"),
        Input(ids.CHART_VIEW, "data"),
        Input(ids.THEME_SWITCH, "value"),
    )
    def _update_compare(tab: str, query: str | None, dark: bool) -> tuple[Any, ...]:
        if ctx.triggered_id is None and (tab != "compare" or not dark):
            raise PreventUpdate  # the page opens on the tab (and chart) it was laid out with
        if tab != "compare":
            return no_update, no_update, SHOWN_CHART, HIDDEN_CHART
        state = parse_query(query or "", services.default_ticker, _today())
        figure, name = compare_content(services, state, bool(dark))
        return figure, graph_config(name), HIDDEN_CHART, SHOWN_CHART

    app.clientside_callback(
        FIT_AXES_JS,
        Output(ids.PRICE_FIT, "data"),
        Input(ids.PRICE_CHART, "relayoutData"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        SHOW_OVERLAYS_JS,
        Output(ids.PRICE_CHART, "figure", allow_duplicate=True),
        Input(ids.OVERLAY_VIEW, "data"),
        State(ids.PRICE_CHART, "figure"),
        prevent_initial_call=True,
    )


def _today() -> date:
    return pd.Timestamp.today().date()
