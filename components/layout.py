"""The page layout, built by create_* functions from the services it shows."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.services import Services
from components import ids


def create_source_badge(services: Services) -> dbc.Badge:
    """The data source and how fresh it is, always visible in the header."""
    source = services.market.source
    updated = services.market.updated_at()
    text = source.label if updated is None else f"{source.label} · updated {updated:%Y-%m-%d %H:%M}"
    return dbc.Badge(
        text,
        id=ids.SOURCE_BADGE,
        color="danger" if source.simulated else "secondary",
        className="ms-2",
    )


def create_source_banner(services: Services) -> dbc.Alert | None:
    """A banner on every view of simulated or stale data, saying what the user sees."""
    source = services.market.source
    lines = []
    if source.simulated:
        lines.append(
            "Simulated data: this is the offline demo market (index DEMO-R2K and fictional "
            "companies). No number on this page is a real price."
        )
    if source.note:
        lines.append(source.note)
    if not lines:
        return None
    return dbc.Alert(
        [html.Div(line) for line in lines],
        id=ids.SOURCE_BANNER,
        color="warning",
        className="py-2 mb-2",
    )


def create_layout(services: Services) -> dbc.Container:
    """The whole page."""
    return dbc.Container(
        [
            html.Div(
                [html.H4("r2k-dash", className="mb-0"), create_source_badge(services)],
                className="d-flex align-items-center my-2",
            ),
            create_source_banner(services),
            dbc.InputGroup(
                [
                    dbc.InputGroupText("Ticker"),
                    dbc.Input(
                        id=ids.TICKER_INPUT,
                        value=services.default_ticker,
                        debounce=True,
                        maxLength=15,
                    ),
                ],
                className="mb-2",
                style={"maxWidth": "320px"},
            ),
            html.Div(id=ids.CHART_MESSAGE, className="text-danger"),
            dcc.Loading(dcc.Graph(id=ids.PRICE_CHART, style={"height": "600px"})),
        ],
        fluid=True,
    )
