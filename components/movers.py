"""Movers and laggards: two linked dash-ag-grid tables and their filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.controls import create_labelled_date_picker
from components.internals import create_rank_switch
from components.refresh import HIDDEN
from market.universe import GICS_SECTORS

IMPORT_POLL_MS = 1000
"""How often the page asks how far the import of the user's CSV files is."""

PERIOD_OPTIONS = [
    {"label": "1W", "value": "1w"},
    {"label": "1M", "value": "1m"},
    {"label": "3M", "value": "3m"},
    {"label": "YTD", "value": "ytd"},
    {"label": "1Y", "value": "1y"},
    {"label": "From date", "value": "from"},
]

RETURN_CLASSES = {"r2k-up": "params.value > 0", "r2k-down": "params.value < 0"}
"""Returns in the chart's candle colours (tuned per theme for contrast in assets/r2k.css)."""

WEIGHT_FORMAT = (
    "params.value >= 0.01 ? d3.format('.2%')(params.value) : d3.format('.3%')(params.value)"
)
"""Small weights keep three decimals: most Russell 2000 members weigh well under 0.1%."""

GRID_ROWS_SHOWN = 15
"""Rows in view before scrolling; the grid holds every ranked row."""

FILL_POLL_MS = 1000
"""How often a page asks how far the first fill is, while it runs."""


@dataclass(frozen=True)
class FillNote:
    """What the movers area shows of the first fill of an empty store: plain words and counts.

    ``state`` changes only when the fill starts or ends; the tables are ranked again then.
    """

    state: str
    running: bool
    done: int
    total: int
    text: str


COLUMN_DEFS = [
    {"field": "ticker", "headerName": "Ticker", "width": 96, "pinned": "left"},
    {"field": "name", "headerName": "Name", "flex": 1, "minWidth": 250, "tooltipField": "name"},
    {"field": "sector", "headerName": "Sector", "width": 186},
    {
        "field": "weight",
        "headerName": "Weight",
        "width": 84,
        "type": "rightAligned",
        "valueFormatter": {"function": WEIGHT_FORMAT},
        "useValueFormatterForExport": False,
    },
    {
        "field": "last_price",
        "headerName": "Last",
        "width": 88,
        "type": "rightAligned",
        "valueFormatter": {"function": "d3.format(',.2f')(params.value)"},
        "useValueFormatterForExport": False,
    },
    {
        "field": "return_pct",
        "headerName": "Return",
        "width": 90,
        "pinned": "right",
        "type": "rightAligned",
        "valueFormatter": {"function": "d3.format('+,.1f')(params.value) + '%'"},
        "useValueFormatterForExport": False,
        "cellClassRules": RETURN_CLASSES,
    },
    {
        "field": "contribution_pct",
        "headerName": "Contrib.",
        "headerTooltip": "Contribution to the index's return, in percentage points",
        "width": 88,
        "type": "rightAligned",
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('+.3f')(params.value)"
        },
        "useValueFormatterForExport": False,
        "cellClassRules": RETURN_CLASSES,
    },
]
"""Ticker and Return stay pinned at the edges, so no width hides a return behind a scroll."""


def create_grid(side: str) -> dag.AgGrid:
    """The sortable table of ``side`` (``ids.TOP`` or ``ids.BOTTOM``), a scroll of every
    ranked row (best or worst first) under a header that stays; a row click or Enter loads
    its ticker. Its rows and CSV file name come from the movers callback."""
    return dag.AgGrid(
        id=ids.movers_table(side),
        columnDefs=COLUMN_DEFS,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "suppressKeyboardEvent": {"function": "params.event.key === ' '"},
        },
        getRowId="params.data.ticker",
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "animateRows": False,
            "tabToNextCell": {"function": "false"},
            "tabToNextHeader": {"function": "false"},
            "rowHeight": 32,
            "headerHeight": 36,
        },
        eventListeners={"cellKeyDown": ["r2kOpenRowOnKey(params, setGridProps)"]},
        csvExportParams={"fileName": f"r2k-movers-{side}.csv"},
        className="r2k-grid",
        style={"height": f"{36 + 32 * GRID_ROWS_SHOWN + 2}px"},
    )


def create_movers_filters(today: date, shown: Mapping[str, Any]) -> html.Div:
    """Period and sector filters that apply to both tables."""
    sectors = [{"label": s, "value": s} for s in GICS_SECTORS]
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Period", className="small text-body-secondary mb-0"),
                    dbc.RadioItems(
                        id=ids.PERIOD_SELECT,
                        options=PERIOD_OPTIONS,
                        value=shown[ids.PERIOD_SELECT],
                        inline=True,
                        className="small",
                    ),
                ]
            ),
            create_labelled_date_picker(
                "From", ids.PERIOD_FROM_DATE, "start date", today, shown[ids.PERIOD_FROM_DATE]
            ),
            html.Div(
                [
                    dbc.Label("Only sectors", className="small text-body-secondary mb-0"),
                    dcc.Dropdown(
                        id=ids.INCLUDE_SECTORS,
                        options=sectors,
                        value=shown[ids.INCLUDE_SECTORS],
                        multi=True,
                        placeholder="all",
                    ),
                ],
                style={"minWidth": "14rem", "flex": "1"},
            ),
            html.Div(
                [
                    dbc.Label("Exclude sectors", className="small text-body-secondary mb-0"),
                    dcc.Dropdown(
                        id=ids.EXCLUDE_SECTORS,
                        options=sectors,
                        value=shown[ids.EXCLUDE_SECTORS],
                        multi=True,
                        placeholder="none",
                    ),
                ],
                style={"minWidth": "14rem", "flex": "1"},
            ),
            dbc.Switch(
                id=ids.EXCLUDE_BIOTECH,
                label="Exclude biotech (Health Care)",
                value=shown[ids.EXCLUDE_BIOTECH],
                className="small mb-1",
            ),
        ],
        className="d-flex flex-wrap align-items-end gap-3 mb-2",
    )


def _table_card(title: str, slot_id: str, export_id: str) -> dbc.Card:
    """A titled card with a CSV button; its table is put in ``slot_id`` once the chart is
    drawn (AG Grid's 2 MB script would otherwise hold the chart back)."""
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span(title, className="fw-semibold"),
                    dbc.Button(
                        "CSV",
                        id=export_id,
                        size="sm",
                        color="secondary",
                        outline=True,
                        className="ms-auto py-0 r2k-csv",
                    ),
                ],
                className="d-flex align-items-center",
            ),
            dbc.CardBody(
                html.Div(
                    html.Div("Ranking…", className="small text-body-secondary p-3"),
                    id=slot_id,
                ),
                className="p-0",
            ),
        ],
        className="h-100",
    )


def create_fill_progress(fill: FillNote | None) -> html.Div:
    """The first fill's progress bar and words, shown (and polled) only while it runs.

    A page opened during the fill starts with it shown, so a reload shows the progress at
    once; the poll stops when the fill ends.
    """
    running = fill is not None and fill.running
    return html.Div(
        [
            dcc.Interval(id=ids.FILL_POLL, interval=FILL_POLL_MS, disabled=not running),
            dcc.Store(id=ids.FILL_STATE, data=fill.state if fill is not None else None),
            html.Div(
                html.Div(
                    [
                        dbc.Progress(
                            id=ids.FILL_PROGRESS,
                            value=fill.done if fill is not None else 0,
                            max=max(fill.total, 1) if fill is not None else 1,
                            striped=True,
                            animated=True,
                            style={"width": "12rem", "height": "0.75rem"},
                        ),
                        html.Span(
                            fill.text if fill is not None else "",
                            id=ids.FILL_PROGRESS_TEXT,
                            className="small",
                            role="status",
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2",
                ),
                id=ids.FILL_PROGRESS_ROW,
                style={} if running else HIDDEN,
                className="mb-2",
            ),
        ]
    )


def create_movers_section(
    today: date, shown: Mapping[str, Any], fill: FillNote | None = None
) -> html.Div:
    """Filters (``shown``: each one's value by id), the first fill's progress while it runs,
    a note, and the two tables side by side."""
    return html.Div(
        [
            html.H2("Movers and laggards", className="h5 mt-2"),
            create_movers_filters(today, shown),
            create_rank_switch(),
            create_fill_progress(fill),
            html.Div(id=ids.MOVERS_NOTE, className="small text-body-secondary mb-2"),
            dcc.Store(id=ids.MOVERS_ROWS),
            dcc.Store(id=ids.MOVERS_ROWS_KEY),
            # Enabled while the user's CSV files are imported: the note shows the progress.
            dcc.Interval(id=ids.IMPORT_POLL, interval=IMPORT_POLL_MS, disabled=True),
            dbc.Row(
                [
                    # One above the other, each as wide as the page (every column whole);
                    # side by side on the widest screens (assets/r2k.css).
                    dbc.Col(
                        _table_card("Top movers", ids.MOVERS_SLOT, ids.MOVERS_EXPORT),
                        width=12,
                        className="mb-3 r2k-table-col",
                    ),
                    dbc.Col(
                        _table_card("Laggards", ids.LAGGARDS_SLOT, ids.LAGGARDS_EXPORT),
                        width=12,
                        className="mb-3 r2k-table-col",
                    ),
                ]
            ),
        ]
    )
