"""The chart card (price and relative tabs) and the technical read beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

GRAPH_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "scrollZoom": True,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendChartToCloud", "select2d", "lasso2d"],
}
"""The wheel zooms (as on TradingView); no upload to Plotly's cloud, no point selection."""
SHOWN_CHART = {"height": "var(--r2k-chart-height)"}
"""A shown chart's style. A responsive dcc.Graph without an inline height sets one of 100%,
which overrides the stylesheet's, and then collapses to 0 px on the first zoom."""
HIDDEN_CHART = {"display": "none"}


@dataclass(frozen=True)
class ChartContent:
    """What the chart area shows for one view, ready for the page.

    ``drawn`` names what the figure was drawn for (the view's query and the theme), so the
    chart callback can tell that the page already shows it.
    """

    figure: dict[str, Any]
    message: str
    read: list[Any]
    drawn: dict[str, Any]
    export_name: str = "chart"
    """The PNG export's file name (without extension): ticker, as-of date and source."""
    compare: dict[str, Any] | None = None
    """The relative chart, drawn when the view names a ``compare`` ticker: the page then
    opens on the Relative tab, as the link's author saw it."""
    compare_export_name: str = "relative"
    """The relative chart's PNG file name (without extension)."""

    @property
    def config(self) -> dcc.Graph.Config:
        """The price chart's config, its PNG export named after what it shows."""
        return graph_config(self.export_name)


def graph_config(export_name: str) -> dcc.Graph.Config:
    """A chart's config, its PNG export (camera button) named ``export_name``.png."""
    config = GRAPH_CONFIG.copy()
    config["toImageButtonOptions"] = {"filename": export_name}
    return config


def create_chart_card(content: ChartContent) -> dbc.Card:
    """Price chart and relative-performance chart, each with a loading indicator.

    The price chart starts with ``content``: the page paints it without a callback.
    """
    relative = content.compare is not None
    return dbc.Card(
        [
            dbc.Tabs(
                [
                    dbc.Tab(label="Price", tab_id="price"),
                    dbc.Tab(label="Relative", tab_id="compare"),
                ],
                id=ids.CHART_TABS,
                active_tab="compare" if relative else "price",
                className="px-2 pt-1",
            ),
            dcc.Store(id=ids.DRAWN_CHART, data=content.drawn),
            dcc.Store(id=ids.PRICE_FIT),
            html.Div(content.message, id=ids.CHART_MESSAGE, className="px-3 pt-2", role="status"),
            dcc.Loading(
                [
                    dcc.Graph(
                        id=ids.PRICE_CHART,
                        figure=content.figure,
                        config=content.config,
                        className="r2k-price-chart",
                        style=HIDDEN_CHART if relative else SHOWN_CHART,
                    ),
                    create_compare_graph(content.compare, content.compare_export_name),
                ],
                type="circle",
                delay_show=250,
            ),
        ],
        className="mb-3",
    )


def create_compare_graph(figure: dict[str, Any] | None, export_name: str) -> dcc.Graph:
    """The relative chart: shown with ``figure``, else hidden (and with no figure at all: a
    graph given ``figure=None`` fails in the browser on a reload). Its PNG export is named
    ``export_name``."""
    graph = dcc.Graph(
        id=ids.COMPARE_CHART,
        config=graph_config(export_name),
        className="r2k-compare-chart",
        style=HIDDEN_CHART if figure is None else SHOWN_CHART,
    )
    if figure is not None:
        graph.figure = figure  # type: ignore[attr-defined]
    return graph


def create_read_card(content: ChartContent) -> dbc.Card:
    """The technical read (key figures and sentences) of ``content``."""
    return dbc.Card(
        [
            dbc.CardHeader("Technical read"),
            dcc.Loading(dbc.CardBody(content.read, id=ids.READ_PANEL), type="dot", delay_show=250),
        ],
        className="mb-3 h-100",
    )


def create_read_content(figures: list[tuple[str, str, str]], sentences: list[str]) -> list:
    """Small labelled values and the read's sentences; all text, never HTML.

    ``figures`` holds ``(label, value, tone)`` with tone one of '', 'up', 'down'.
    """
    tone_class = {"up": "r2k-up", "down": "r2k-down", "": ""}  # the tables' colours (AA)
    values = html.Div(
        [
            html.Div(
                [
                    html.Div(label, className="small text-body-secondary"),
                    html.Div(value, className=f"fw-semibold {tone_class[tone]}"),
                ],
                className="r2k-figure",
            )
            for label, value, tone in figures
        ],
        className="r2k-figures mb-2",
    )
    return [values, *[html.P(sentence, className="mb-1") for sentence in sentences]]
