"""Wiring of the price chart: ticker in, figure and message out."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import Dash, Input, Output

from analysis.weekly import weekly_bars
from callbacks.services import Services
from charts.price import message_figure, price_figure
from components import ids
from market.data import UnknownTickerError


def chart_for_ticker(services: Services, ticker: str | None) -> tuple[go.Figure, str]:
    """The weekly chart of ``ticker`` and a message ('' when all went well)."""
    symbol = (ticker or services.default_ticker).strip() or services.default_ticker
    try:
        daily = services.market.daily_bars(symbol)
    except UnknownTickerError as error:
        return message_figure("No chart: unknown ticker or no data."), str(error)
    weekly = weekly_bars(daily)
    title = symbol.upper()
    if services.market.source.simulated:
        title += " (simulated)"
    return price_figure(weekly, title, simulated=services.market.source.simulated), ""


def register(app: Dash, services: Services) -> None:
    """Attach the chart callbacks to ``app``."""

    @app.callback(
        Output(ids.PRICE_CHART, "figure"),
        Output(ids.CHART_MESSAGE, "children"),
        Input(ids.TICKER_INPUT, "value"),
    )
    def _update_chart(ticker: str | None) -> tuple[go.Figure, str]:
        return chart_for_ticker(services, ticker)
