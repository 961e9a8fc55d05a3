"""The whole page, composed from the create_* factories of each area."""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc

from components import ids
from components.chart_panel import ChartContent, create_chart_card, create_read_card
from components.control_values import shown_values
from components.controls import create_chart_controls
from components.footer import create_footer
from components.header import create_header, create_source_banner
from components.internals import create_breadth_panel, create_screen_section
from components.movers import FillNote, create_movers_section
from components.page_source import PageSource
from components.sectors import create_sectors_section
from components.view_state import ViewState, to_query


def create_layout(
    source: PageSource,
    index_ticker: str,
    state: ViewState,
    chart: ChartContent,
    breadth_shown: bool = False,
    today: date | None = None,
    fill: FillNote | None = None,
) -> dbc.Container:
    """The page showing ``state``, its chart already drawn (``chart``) with the breadth
    panel under it when ``breadth_shown``, and the first fill's progress (``fill``) while an
    empty store is being filled.

    Built per page load, so the badge shows the data's current freshness. The view stores
    start at ``state``; the view callback moves them on when the URL says otherwise.
    """
    today = today or date.today()
    query = to_query(state)
    shown = shown_values(state)
    return dbc.Container(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.VIEW_STORE, data=query),
            dcc.Store(id=ids.CHART_VIEW, data=query),
            dcc.Store(id=ids.MOVERS_VIEW, data=query),
            dcc.Store(id=ids.OVERLAY_VIEW),
            dcc.Store(id=ids.THEME_STORE),
            dcc.Store(id=ids.CHART_PAINTED),
            create_header(source),
            create_source_banner(source),
            dbc.Alert(
                id=ids.IGNORED_PARAMS,
                color="info",
                is_open=False,
                dismissable=True,
                className="py-2 mb-2",
            ),
            create_chart_controls(index_ticker, today, shown),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            create_chart_card(chart),
                            create_breadth_panel(breadth_shown),
                        ],
                        lg=8,
                    ),
                    dbc.Col(create_read_card(chart), lg=4, className="mb-3"),
                ],
                className="r2k-chart-row",
            ),
            create_movers_section(today, shown, fill),
            create_sectors_section(),
            # Last: its table arrives after the chart, and nothing below it moves then.
            create_screen_section(state),
            create_footer(source),
        ],
        fluid=True,
        tag="main",
        className="r2k-page",
    )
