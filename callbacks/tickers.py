"""Wiring of the ticker box's completions: the universe's tickers and names, once drawn.

The list (about 2,000 pairs) is sent after the chart is painted, like the tables, so it
never holds the first chart back, as plain data: the browser makes the <option> elements
itself (as 2,000 Dash components they took long enough to hold the tables back).
"""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output

from callbacks.services import Services
from components import ids

FILL_OPTIONS_JS = """
function (choices) {
    const list = document.getElementById("TICKER_OPTIONS");
    if (list && Array.isArray(choices)) {
        list.replaceChildren(...choices.map(([ticker, name]) => {
            const option = document.createElement("option");
            option.value = ticker;
            option.label = name;
            return option;
        }));
    }
    return window.dash_clientside.no_update;
}
""".replace("TICKER_OPTIONS", ids.TICKER_OPTIONS)


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
        Output(ids.TICKER_CHOICES, "data"),
        Input(ids.CHART_PAINTED, "data"),
        prevent_initial_call=True,
    )
    def _send_choices(_painted: object) -> list[tuple[str, str]]:
        market = services.market
        first = list(dict.fromkeys([market.index_ticker, market.benchmark_ticker]))
        return ticker_choices(market.universe(), first)

    app.clientside_callback(
        FILL_OPTIONS_JS,
        Output(ids.TICKER_OPTIONS, "className"),  # never set: the options are made in place
        Input(ids.TICKER_CHOICES, "data"),
        prevent_initial_call=True,
    )
