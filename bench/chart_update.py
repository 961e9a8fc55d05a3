"""Figure 1: the chart callback's work and JSON size, beside the bare minimum.

Measured: ``callbacks.chart.chart_view`` for 10 years of weekly bars of the demo index with
channel, SMA 50, MACD, RSI and volume (what the callback computes: daily bars, weekly bars,
the technical read, indicators, the figure dict), then ``plotly.io.to_json`` without
validation (what Dash sends).
Floor: the weekly Bars already in memory -> pandas-ta indicators -> the same traces in a
``go.Figure`` -> ``plotly.io.to_json``, in the same process.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandas_ta as ta
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from analysis.weekly import weekly_bars
from app import create_services
from bench.report import Row
from bench.timing import CPU, paired
from callbacks.chart import chart_view
from callbacks.services import Services
from charts.theme import CHANNEL_COLOR, DOWN_COLOR, UP_COLOR, watermark
from components.view_state import ViewState, parse_query
from settings import Settings

FIGURE = "1 Chart update"
VIEW_QUERY = "?ticker=DEMO-R2K&interval=1wk&range=10y&ind=sma50,channel,volume,macd,rsi"
SHOWN_WEEKS = 522
CHANNEL_WEEKS = 104


def demo_services(cache_dir: Path) -> Services:
    """The app's services on the demo market, as ``create_services`` builds them."""
    return create_services(Settings(source="demo", cache_dir=cache_dir))


def ten_year_view(services: Services) -> ViewState:
    """The view measured: the demo index, weekly, 10 years, the default indicators."""
    return parse_query(VIEW_QUERY, services.default_ticker, date.today())


def callback_json(services: Services, state: ViewState) -> str:
    """What the chart callback computes and Dash sends for ``state``."""
    return pio.to_json(chart_view(services, state).figure, validate=False)


def _colors(up: pd.Series) -> list[str]:
    return [UP_COLOR if flag else DOWN_COLOR for flag in up]


def _channel(close: pd.Series, lookback: int) -> pd.DataFrame:
    window = close.iloc[-lookback:]
    x = np.arange(len(window), dtype="float64")
    slope, intercept = np.polyfit(x, window.to_numpy(), 1)
    middle = intercept + slope * x
    deviation = float(np.std(window.to_numpy() - middle, ddof=1))
    return pd.DataFrame(
        {"upper": middle + 2 * deviation, "middle": middle, "lower": middle - 2 * deviation},
        index=window.index,
    )


def floor_json(weekly: pd.DataFrame, title: str) -> str:
    """The same figure the shortest way: pandas-ta, numpy, go.Figure, to_json."""
    close = weekly["close"]
    sma50 = ta.sma(close, length=50, talib=True)
    macd = ta.macd(close, talib=True)
    rsi = ta.rsi(close, talib=True)
    start = weekly.index[-1] - pd.Timedelta(weeks=SHOWN_WEEKS)
    bars = weekly.loc[weekly.index >= start]
    sma50, macd, rsi = sma50.loc[bars.index], macd.loc[bars.index], rsi.loc[bars.index]
    channel = _channel(close, CHANNEL_WEEKS)
    figure = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.025,
        row_heights=[0.55, 0.15, 0.15, 0.15],
        subplot_titles=["", "Volume", "MACD (12, 26, 9)", "RSI (14)"],
    )
    figure.add_trace(
        go.Candlestick(
            x=bars.index,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            close=bars["close"],
            name="Weekly",
            increasing={"line": {"color": UP_COLOR}, "fillcolor": UP_COLOR},
            decreasing={"line": {"color": DOWN_COLOR}, "fillcolor": DOWN_COLOR},
        ),
        row=1,
        col=1,
    )
    for column in ("upper", "middle", "lower"):
        figure.add_trace(
            go.Scatter(
                x=channel.index,
                y=channel[column],
                name=f"Channel {column}",
                line={"color": CHANNEL_COLOR, "width": 1.4},
            ),
            row=1,
            col=1,
        )
    figure.add_vrect(
        x0=channel.index[0], x1=channel.index[-1], fillcolor=CHANNEL_COLOR, opacity=0.06, row=1
    )
    figure.add_trace(go.Scatter(x=bars.index, y=sma50, name="SMA 50"), row=1, col=1)
    up = bars["close"] >= bars["open"]
    figure.add_trace(
        go.Bar(x=bars.index, y=bars["volume"], marker={"color": _colors(up)}), row=2, col=1
    )
    hist = macd.iloc[:, 1]
    figure.add_trace(go.Bar(x=bars.index, y=hist, marker={"color": _colors(hist >= 0)}), 3, 1)
    figure.add_trace(go.Scatter(x=bars.index, y=macd.iloc[:, 0], name="MACD"), row=3, col=1)
    figure.add_trace(go.Scatter(x=bars.index, y=macd.iloc[:, 2], name="Signal"), row=3, col=1)
    figure.add_hline(y=0, row=3, col=1)
    figure.add_trace(go.Scatter(x=bars.index, y=rsi, name="RSI 14"), row=4, col=1)
    for level in (30, 70):
        figure.add_hline(y=level, row=4, col=1)
    figure.update_layout(template="plotly_white", title=title, hovermode="x unified")
    figure.update_xaxes(rangeslider_visible=False)
    figure.add_annotation(watermark())
    return pio.to_json(figure)


def measure(cache_dir: Path, repeat: int = 15) -> list[Row]:
    """Time and bytes of the chart callback and of its floor, alternately, same process."""
    services = demo_services(cache_dir)
    state = ten_year_view(services)
    weekly = weekly_bars(services.market.daily_bars(state.ticker))
    title = f"{state.ticker} · simulated"
    ours_json = callback_json(services, state)
    floor = floor_json(weekly, title)
    ours_s, floor_s = paired(
        lambda: callback_json(services, state), lambda: floor_json(weekly, title), repeat, clock=CPU
    )
    weeks = int((weekly.index >= weekly.index[-1] - pd.Timedelta(weeks=SHOWN_WEEKS)).sum())
    note = f"{weeks} weekly bars; CPU time, median of {repeat}"
    return [
        Row(FIGURE, "time (server)", ours_s * 1e3, "ms", floor_s * 1e3, goal_ratio=1.3, note=note),
        Row(FIGURE, "JSON size", len(ours_json) / 1e3, "kB", len(floor) / 1e3, goal_ratio=1.1),
    ]
