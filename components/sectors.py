"""The index's sectors (a clickable bar chart) and its largest holdings."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.chart_panel import GRAPH_CONFIG
from market.universe import GICS_SECTORS

LOADING_TEXT = "Loading…"
# On a phone the holdings' sector goes under the name: four columns are wider than a phone's
# card, and the page would scroll sideways. Screen readers skip the hidden one of the two.
WIDE_ONLY = "d-none d-sm-table-cell"
PHONE_ONLY = "d-sm-none small text-body-secondary"


def format_weight(weight: float) -> str:
    """A weight in percent with enough decimals to tell small holdings apart (0.034%)."""
    return f"{weight:.2%}" if abs(weight) >= 0.01 else f"{weight:.3%}"


def create_sector_buttons() -> html.Div:
    """One button per sector for keyboard users, hidden until focused: Enter filters the
    tables to it, as a click on its bar does (a plot's bars cannot take focus)."""
    return html.Div(
        [
            html.Button(
                f"Filter the tables to {sector}",
                id=ids.sector_button(sector),
                className="btn btn-sm btn-outline-primary visually-hidden-focusable m-1",
            )
            for sector in GICS_SECTORS
        ],
        className="px-2",
    )


def create_sectors_section() -> dbc.Row:
    """Sector returns beside the top holdings table, each showing that it is at work."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader("Sectors (click one to filter the tables)"),
                        create_sector_buttons(),
                        dcc.Loading(
                            dcc.Graph(
                                id=ids.SECTOR_CHART,
                                config={**GRAPH_CONFIG, "displayModeBar": False},
                                style={"height": "540px"},
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
                        dcc.Loading(
                            dbc.CardBody(
                                html.P(LOADING_TEXT, className="p-3 mb-0 text-body-secondary"),
                                id=ids.HOLDINGS_TABLE,
                                className="p-0",
                            ),
                            type="dot",
                            delay_show=250,
                        ),
                    ]
                ),
                lg=5,
                className="mb-3",
            ),
        ]
    )


def create_holdings_table(holdings: pd.DataFrame) -> dbc.Table | html.P:
    """The largest holdings by weight: ticker (a button that charts it), name, sector, weight;
    on a phone, the sector under the name."""
    if holdings.empty:
        return html.P("No holdings to show.", className="p-3 mb-0")
    header = html.Thead(
        html.Tr(
            [
                html.Th("Ticker"),
                html.Th("Name"),
                html.Th("Sector", className=WIDE_ONLY),
                html.Th("Weight", className="text-end"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        html.Button(
                            str(row.ticker),
                            id=ids.holding(str(row.ticker)),
                            title=f"Chart {row.ticker}",
                            className="btn btn-link btn-sm p-0 r2k-holding",
                        )
                    ),
                    html.Td(
                        [
                            str(row.name),
                            html.Div(str(row.sector), className=PHONE_ONLY),
                        ]
                    ),
                    html.Td(str(row.sector), className=WIDE_ONLY),
                    html.Td(format_weight(float(str(row.weight))), className="text-end"),
                ]
            )
            for row in holdings.loc[:, ["ticker", "name", "sector", "weight"]].itertuples(
                index=False
            )
        ]
    )
    return dbc.Table([header, body], size="sm", hover=True, className="mb-0 small")
