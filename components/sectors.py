"""The index's sectors (a clickable bar chart) and its largest holdings."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.chart_panel import GRAPH_CONFIG


def create_sectors_section() -> dbc.Row:
    """Sector returns beside the top holdings table."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader("Sectors (click one to filter the tables)"),
                        dcc.Loading(
                            dcc.Graph(
                                id=ids.SECTOR_CHART,
                                config=GRAPH_CONFIG,
                                style={"height": "380px"},
                            ),
                            type="dot",
                            delay_show=250,
                        ),
                    ]
                ),
                lg=7,
                className="mb-3",
            ),
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader("Largest holdings"),
                        dbc.CardBody(id=ids.HOLDINGS_TABLE, className="p-0"),
                    ]
                ),
                lg=5,
                className="mb-3",
            ),
        ]
    )


def create_holdings_table(holdings: pd.DataFrame) -> dbc.Table | html.P:
    """The largest holdings by weight: ticker, name, sector, weight (text only)."""
    if holdings.empty:
        return html.P("No holdings to show.", className="p-3 mb-0")
    header = html.Thead(
        html.Tr(
            [
                html.Th("Ticker"),
                html.Th("Name"),
                html.Th("Sector"),
                html.Th("Weight", className="text-end"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(str(row.ticker)),
                    html.Td(str(row.name)),
                    html.Td(str(row.sector)),
                    html.Td(f"{row.weight:.2%}", className="text-end"),
                ]
            )
            for row in holdings.loc[:, ["ticker", "name", "sector", "weight"]].itertuples(
                index=False
            )
        ]
    )
    return dbc.Table([header, body], size="sm", hover=True, className="mb-0 small")
