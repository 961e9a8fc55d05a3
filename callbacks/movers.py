"""Wiring of movers, laggards, sectors and holdings: the view in, rows and figures out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output

from analysis.movers import BIOTECH_PROXY_SECTOR, Movers, movers, sector_summary
from callbacks.services import Services
from charts.price import message_figure
from charts.sectors import sector_figure
from components import ids
from components.sectors import create_holdings_table
from components.view_state import PERIODS, ViewState, parse_query

TOP_N = 15
HOLDINGS_N = 10
PERIOD_LABELS = {"1w": "1W", "1m": "1M", "3m": "3M", "ytd": "YTD", "1y": "1Y"}


@dataclass(frozen=True)
class MoversView:
    """Everything the movers area shows for one view."""

    top: list[dict[str, Any]]
    bottom: list[dict[str, Any]]
    note: str
    sectors: go.Figure
    holdings: pd.DataFrame


def period_label(period: str) -> str:
    """'YTD', '1M', ... or 'since 2025-01-02' for a start date."""
    return PERIOD_LABELS[period] if period in PERIODS else f"since {period}"


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = ["ticker", "name", "sector", "weight", "last_price", "return_pct"]
    return frame.loc[:, columns].to_dict("records")  # type: ignore[return-value]


def describe_movers(result: Movers, state: ViewState, simulated: bool) -> str:
    """One line saying what the tables rank and what was left out."""
    parts = [
        f"{period_label(state.period)} returns from {result.start:%Y-%m-%d} to "
        f"{result.as_of:%Y-%m-%d}, {result.considered} constituents ranked"
    ]
    left_out = result.missing_start + result.missing_end
    if left_out:
        parts.append(f"{left_out} left out for missing prices")
    if state.include:
        parts.append("only " + ", ".join(state.include))
    if state.exclude:
        parts.append("excluding " + ", ".join(state.exclude))
    if BIOTECH_PROXY_SECTOR in state.exclude:
        parts.append("biotech is excluded as the whole Health Care sector (no industry data)")
    if simulated:
        parts.append("simulated demo constituents")
    return "; ".join(parts) + "."


def movers_view(services: Services, state: ViewState, dark: bool = False) -> MoversView:
    """Top and bottom constituents, the sector chart and the largest holdings."""
    market = services.market
    simulated = market.source.simulated
    universe = market.universe()
    closes = market.closes()
    if universe is None or universe.empty or closes.empty:
        note = (
            "No constituents stored yet: run `r2k refresh` (or the refresh button) to fetch "
            "the Russell 2000 universe."
        )
        empty = pd.DataFrame(columns=["ticker", "name", "sector", "weight"])
        return MoversView([], [], note, message_figure("No sector data yet"), empty)
    try:
        result = movers(
            closes,
            universe,
            state.period,
            as_of=state.as_of,
            include_sectors=state.include,
            exclude_sectors=state.exclude,
            n=TOP_N,
        )
        sectors = sector_summary(closes, universe, state.period, as_of=state.as_of)
    except ValueError as error:
        note = f"Cannot rank movers for this view: {error}"
        return MoversView([], [], note, message_figure("No sector data"), universe.head(0))
    figure = sector_figure(
        sectors,
        selected=state.include[0] if len(state.include) == 1 else None,
        period_label=period_label(state.period),
        simulated=simulated,
        dark=dark,
    )
    return MoversView(
        top=_rows(result.top),
        bottom=_rows(result.bottom),
        note=describe_movers(result, state, simulated),
        sectors=figure,
        holdings=universe.nlargest(HOLDINGS_N, "weight"),
    )


def selected_ids(query: str | None, default_ticker: str) -> dict[str, list[str]]:
    """The selection both tables show: the row of the ticker in the chart."""
    state = parse_query(query or "", default_ticker, pd.Timestamp.today().date())
    return {"ids": [state.ticker]}


def register(app: Dash, services: Services) -> None:
    """Attach the movers callbacks to ``app``; results are cached per view and data version."""

    @app.callback(
        Output(ids.MOVERS_GRID, "rowData"),
        Output(ids.LAGGARDS_GRID, "rowData"),
        Output(ids.MOVERS_NOTE, "children"),
        Output(ids.SECTOR_CHART, "figure"),
        Output(ids.HOLDINGS_TABLE, "children"),
        Input(ids.MOVERS_VIEW, "data"),
        Input(ids.THEME_SWITCH, "value"),
    )
    def _update_movers(query: str | None, dark: bool) -> tuple[Any, ...]:
        state = parse_query(query or "", services.default_ticker, pd.Timestamp.today().date())

        def compute() -> tuple[Any, ...]:
            view = movers_view(services, state, bool(dark))
            sectors = view.sectors.to_plotly_json()
            return view.top, view.bottom, view.note, sectors, view.holdings

        key = services.result_key("movers", state, bool(dark))
        top, bottom, note, sectors, holdings = services.cache.get_or_compute(key, compute)
        return top, bottom, note, sectors, create_holdings_table(holdings)

    @app.callback(
        Output(ids.MOVERS_GRID, "selectedRows"),
        Output(ids.LAGGARDS_GRID, "selectedRows"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.MOVERS_GRID, "rowData"),
        Input(ids.LAGGARDS_GRID, "rowData"),
    )
    def _mark_selection(query: str | None, *_rows: Any) -> tuple[Any, Any]:
        selection = selected_ids(query, services.default_ticker)
        return selection, selection

    @app.callback(
        Output(ids.MOVERS_GRID, "exportDataAsCsv"),
        Input(ids.MOVERS_EXPORT, "n_clicks"),
        prevent_initial_call=True,
    )
    def _export_movers(_clicks: int) -> bool:
        return True

    @app.callback(
        Output(ids.LAGGARDS_GRID, "exportDataAsCsv"),
        Input(ids.LAGGARDS_EXPORT, "n_clicks"),
        prevent_initial_call=True,
    )
    def _export_laggards(_clicks: int) -> bool:
        return True
