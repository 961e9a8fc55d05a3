"""Market internals on the page: the breadth panel under the index chart and the screen table."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.channel import LOOKBACK_WEEKS
from analysis.screen import SCREEN_STATES
from components import ids
from components.controls import labelled
from components.view_state import SCREEN_ALL, WITHIN_MAX, ViewState

STATE_LABELS: dict[str, str] = {
    "below_channel": f"Closed below its {LOOKBACK_WEEKS}-week channel",
    "above_channel": f"Closed above its {LOOKBACK_WEEKS}-week channel",
    "crossed_below_sma50w": "Crossed below its 50-week average",
    "crossed_above_sma50w": "Crossed above its 50-week average",
    "rsi_oversold": "Weekly RSI under 30",
    "rsi_overbought": "Weekly RSI over 70",
    "macd_cross_down": "MACD crossed below its signal",
    "macd_cross_up": "MACD crossed above its signal",
}

SCREEN_COLUMN_DEFS = [
    {"field": "ticker", "headerName": "Ticker", "width": 105, "pinned": "left"},
    {"field": "name", "headerName": "Name", "flex": 2, "minWidth": 120},
    {"field": "sector", "headerName": "Sector", "flex": 1, "minWidth": 100},
    {"field": "state_label", "headerName": "State", "flex": 2, "minWidth": 150},
    {"field": "since", "headerName": "Since (week)", "width": 118},
    {
        "field": "close",
        "headerName": "Close",
        "width": 86,
        "type": "rightAligned",
        "valueFormatter": {"function": "d3.format(',.2f')(params.value)"},
    },
    {
        "field": "rsi14",
        "headerName": "RSI 14",
        "width": 82,
        "type": "rightAligned",
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('.1f')(params.value)"
        },
    },
]


RANKS = ("return", "contribution")


def create_rank_switch() -> html.Div:
    """Rank the movers tables by return or by contribution to the index's return."""
    return html.Div(
        [
            dbc.Label("Rank by", html_for=ids.MOVERS_RANK, className="small mb-0 me-2"),
            dbc.RadioItems(
                id=ids.MOVERS_RANK,
                options=[
                    {"label": "Return", "value": "return"},
                    {"label": "Contribution to the index", "value": "contribution"},
                ],
                value="return",
                inline=True,
                className="small",
            ),
        ],
        className="d-flex align-items-center mb-1",
    )


def create_screen_grid() -> dag.AgGrid:
    """The screen's table; put on the page once the chart is drawn, filled by the view."""
    return dag.AgGrid(
        id=ids.SCREEN_TABLE_ID,
        rowData=[],
        columnDefs=SCREEN_COLUMN_DEFS,
        defaultColDef={"sortable": True, "resizable": True},
        getRowId="params.data.row_id",
        dashGridOptions={
            "animateRows": False,
            "pagination": True,
            "paginationPageSize": 20,
            "paginationPageSizeSelector": False,
            "domLayout": "autoHeight",
        },
        className="r2k-grid",
        style={"height": None},
    )


def create_breadth_panel(shown: bool) -> html.Div:
    """The breadth chart under the price chart; shown only for the index with ``ind=breadth``."""
    return html.Div(
        dbc.Card(
            dbc.CardBody(
                dcc.Graph(id=ids.BREADTH_CHART, config={"displaylogo": False, "scrollZoom": True}),
                className="p-1",
            ),
            className="mb-3",
        ),
        id=ids.BREADTH_PANEL,
        hidden=not shown,
    )


def create_screen_section(state: ViewState) -> dbc.Card:
    """The technical screen: a state filter, a weeks window and the table (a click charts)."""
    options = [{"label": "Every state", "value": SCREEN_ALL}] + [
        {"label": STATE_LABELS[name], "value": name} for name in SCREEN_STATES
    ]
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Technical screen of the constituents", className="h6 m-0")),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            labelled(
                                "State",
                                dcc.Dropdown(
                                    id=ids.SCREEN_STATE,
                                    options=options,
                                    value=state.screen or SCREEN_ALL,
                                    clearable=False,
                                ),
                                width="18rem",
                                target=ids.SCREEN_STATE,
                            ),
                            labelled(
                                "Began in the last N weeks",
                                dbc.Input(
                                    id=ids.SCREEN_WITHIN,
                                    type="number",
                                    min=1,
                                    max=WITHIN_MAX,
                                    step=1,
                                    value=state.within,
                                    placeholder="any",
                                    debounce=True,
                                    size="sm",
                                    style={"width": "7rem"},
                                ),
                                target=ids.SCREEN_WITHIN,
                            ),
                        ],
                        className="d-flex flex-wrap gap-3 align-items-end mb-2",
                    ),
                    html.P(id=ids.SCREEN_NOTE, className="small text-body-secondary mb-2"),
                    dcc.Store(id=ids.SCREEN_SENT),
                    html.Div(
                        html.Div("Screening…", className="small text-body-secondary p-3"),
                        id=ids.SCREEN_SLOT,
                    ),
                ]
            ),
        ],
        className="mb-3",
    )
