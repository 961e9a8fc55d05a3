"""Wiring of the ticker box's completions: the universe's tickers and names, once drawn.

The list (about 2,000 options) is sent after the chart is painted, like the tables, so it
never holds the first chart back.
"""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, html

from callbacks.services import Services
from components import ids
from components.controls import create_ticker_options


def ticker_choices(universe: pd.DataFrame | None, first: list[str]) -> list[tuple[str, str]]:
    """(ticker, name) of ``first`` (the index, the benchmark) then the universe by ticker."""
    choices = [(ticker, "index" if n == 0 else "benchmark") for n, ticker in enumerate(first)]
    if universe is None or universe.empty:
        return choices
    missing = {"ticker", "name"} - set(universe.columns)
    if missing:
        raise ValueError(f"ticker_choices needs universe columns ticker, name; missing {missing}")
    rows = universe.drop_duplicates("ticker").sort_values("ticker")
    seen = set(first)
    choices += [
        (ticker, str(name))
        for ticker, name in zip(rows["ticker"], rows["name"], strict=True)
        if ticker not in seen
    ]
    return choices


def register(app: Dash, services: Services) -> None:
    """Attach the completions callback to ``app``."""

    @app.callback(
        Output(ids.TICKER_OPTIONS, "children"),
        Input(ids.CHART_PAINTED, "data"),
        prevent_initial_call=True,
    )
    def _fill_options(_painted: object) -> list[html.Option]:
        market = services.market
        first = list(dict.fromkeys([market.index_ticker, market.benchmark_ticker]))
        return create_ticker_options(ticker_choices(market.universe(), first))
