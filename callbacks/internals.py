"""Wiring of the market internals: the breadth panel and the technical screen table.

The view (``ids.VIEW_STORE``) says what to show; the screen's own controls and a click on a
screen row change the URL, which the view callback turns into the new view, so a link
(``?ticker=...&ind=breadth&screen=below_channel&within=4``) restores all of it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from analysis.breadth import breadth_series
from analysis.contributions import Contributions, index_return_pct
from analysis.numbers import signed
from analysis.panel import sector_members
from analysis.screen import SCREEN_STATES, screen
from callbacks.chart import display_start
from callbacks.sent_rows import already_sent
from callbacks.services import Services
from charts.breadth import breadth_figure
from charts.price import message_figure
from components import ids
from components.internals import STATE_LABELS, create_screen_grid
from components.view_state import SCREEN_ALL, WITHIN_MAX, ViewState, parse_query, to_query
from market.data import UnknownTickerError
from market.tickers import parse_ticker

SCREEN_ROWS_MAX = 500
"""The table holds at most this many rows (the note says how many there were)."""


def shows_breadth(state: ViewState, index_ticker: str) -> bool:
    """Breadth is drawn under the index only, when the view asks for it."""
    return "breadth" in state.indicators and state.ticker == index_ticker.upper()


def _members_closes(services: Services, state: ViewState) -> pd.DataFrame:
    """The stored closes of the constituents of the view's sectors; ValueError without any."""
    universe = services.market.universe()
    closes = services.market.closes()
    if universe is None or universe.empty or closes.empty:
        raise ValueError("no constituents stored yet: run `r2k refresh` first")
    members = sector_members(universe, state.include, state.exclude)
    return closes.loc[:, [t for t in members["ticker"] if t in closes.columns]]


def breadth_view(services: Services, state: ViewState, dark: bool = False) -> dict[str, Any]:
    """The breadth figure of the view (as Plotly JSON), or a figure saying why there is none."""
    simulated = services.market.source.simulated
    try:
        series = breadth_series(
            _members_closes(services, state),
            as_of=state.as_of,
            interval="1wk" if state.interval == "1wk" else "1d",
        )
    except ValueError as error:
        return message_figure(f"No breadth: {error}").to_plotly_json()
    start = display_start(pd.DatetimeIndex(series.index), state.range)
    shown = (series if start is None else series.loc[series.index >= start]).copy()
    # The A-D line starts at zero at the left edge of the chart, as its level means nothing.
    shown["ad_line"] -= shown["ad_line"].iloc[0]
    last = shown.iloc[-1]
    title = "Breadth · simulated" if simulated else "Breadth"
    caption = (
        f"{int(last['sma50w_count'])} constituents with 50 weeks of history"
        f"\nas of {shown.index[-1]:%Y-%m-%d}"  # two lines: a phone is narrow
    )
    daily = state.interval == "1d"
    figure = breadth_figure(
        shown, title, caption=caption, daily=daily, simulated=simulated, dark=dark
    )
    return figure.to_plotly_json()


def index_return(services: Services, period: str, as_of: pd.Timestamp) -> float | None:
    """The index's own return over the movers' period, None when its prices are missing."""
    market = services.market
    try:
        closes = market.daily_bars(market.index_ticker)["close"]
        return index_return_pct(closes, period, as_of)
    except (UnknownTickerError, ValueError):
        return None


def contributions_note(shares: Contributions, index_pct: float | None) -> str:
    """The sum of the contributions beside the index's own return, so one sees the gap."""
    total = signed(shares.total_pct, 2) if np.isfinite(shares.total_pct) else "n/a"
    own = "not available" if index_pct is None else signed(index_pct, 2, "%")
    return f"Contributions add up to {total} pts; the index's own return: {own}."


def screen_rows(services: Services, state: ViewState) -> tuple[list[dict[str, Any]], str]:
    """The screen table's rows for the view and the note above it."""
    universe = services.market.universe()
    try:
        if universe is None or universe.empty:
            raise ValueError("no constituents stored yet: run `r2k refresh` first")
        result = screen(
            services.market.closes(),
            universe,
            as_of=state.as_of,
            within=state.within,
            states=None if state.screen in (None, SCREEN_ALL) else state.screen,
            include_sectors=state.include,
            exclude_sectors=state.exclude,
        )
    except ValueError as error:
        return [], f"No screen for this view: {error}"
    frame = result.rows.head(SCREEN_ROWS_MAX)
    rows = [
        {
            "row_id": f"{row['ticker']}|{row['state']}",
            "ticker": row["ticker"],
            "name": row["name"],
            "sector": row["sector"],
            "state": row["state"],
            "state_label": STATE_LABELS[row["state"]],
            "since": row["since"].date().isoformat(),
            "close": None if pd.isna(row["close"]) else float(row["close"]),
            "rsi14": None if pd.isna(row["rsi14"]) else round(float(row["rsi14"]), 2),
        }
        for row in frame.to_dict("records")
    ]
    parts = [
        f"{len(result.rows)} states of {result.screened} constituents on weekly closes as of "
        f"{result.as_of:%Y-%m-%d}"
    ]
    if state.within is not None:
        parts.append(f"begun in the last {state.within} weeks")
    if len(result.rows) > SCREEN_ROWS_MAX:
        parts.append(f"the first {SCREEN_ROWS_MAX} shown")
    if result.stale:
        parts.append(f"{result.stale} without a close that week left out")
    if services.market.source.simulated:
        parts.append("simulated demo constituents")
    return rows, "; ".join(parts) + ". A click on a row charts its ticker."


def screen_query(
    query: str | None,
    default_ticker: str,
    trigger: object,
    state_value: object,
    within_value: object,
    clicked: object,
) -> str:
    """The URL query after a change of the screen's controls or a click on one of its rows."""
    state = parse_query(query or "", default_ticker, date.today())
    if trigger == ids.SCREEN_TABLE:
        row_id = clicked.get("rowId") if isinstance(clicked, dict) else None
        ticker = parse_ticker(row_id.split("|")[0]) if isinstance(row_id, str) else None
        return to_query(replace(state, ticker=ticker)) if ticker else to_query(state)
    screen_state = state_value if state_value in SCREEN_STATES else None
    within = None
    if isinstance(within_value, int | float) and 1 <= within_value <= WITHIN_MAX:
        within = int(within_value) if float(within_value).is_integer() else None
    return to_query(replace(state, screen=screen_state, within=within))


def register(app: Dash, services: Services) -> None:
    """Attach the breadth and screen callbacks to ``app`` (results cached per view)."""

    @app.callback(
        Output(ids.BREADTH_PANEL, "hidden"),
        Output(ids.BREADTH_CHART, "figure"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.THEME_SWITCH, "value"),
    )
    def _update_breadth(query: str | None, dark: bool) -> tuple[bool, Any]:
        state = parse_query(query or "", services.default_ticker, date.today())
        if not shows_breadth(state, services.market.index_ticker):
            return True, no_update
        fields = (state.interval, state.range, state.as_of, state.include, state.exclude)
        key = services.result_key("breadth", *fields, bool(dark))
        return False, services.cache.get_or_compute(
            key, lambda: breadth_view(services, state, bool(dark))
        )

    @app.callback(
        Output(ids.SCREEN_SLOT, "children"),
        Input(ids.CHART_PAINTED, "data"),
        prevent_initial_call=True,
    )
    def _create_screen_table(_painted: Any) -> Any:
        return create_screen_grid()

    @app.callback(
        Output(ids.EVERY_SCREEN_TABLE, "rowData"),
        Output(ids.SCREEN_NOTE, "children"),
        Output(ids.SCREEN_SENT, "data"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.EVERY_SCREEN_TABLE, "id"),
        State(ids.SCREEN_SENT, "data"),
    )
    def _update_screen(query: str | None, tables: list[Any], sent: Any) -> tuple[Any, ...]:
        if not tables:
            raise PreventUpdate  # filled when the table arrives, after the chart is drawn
        state = parse_query(query or "", services.default_ticker, date.today())
        fields = (state.as_of, state.within, state.screen, state.include, state.exclude)
        key = services.result_key("screen", *fields)
        # A table just made (its id the trigger) holds no rows, whatever was sent before it.
        if ctx.triggered_id == ids.VIEW_STORE and already_sent(sent, key):
            raise PreventUpdate  # the table holds these rows (and their note) already
        rows, note = services.cache.get_or_compute(key, lambda: screen_rows(services, state))
        return [rows for _ in tables], note, key

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.SCREEN_STATE, "value"),
        Input(ids.SCREEN_WITHIN, "value"),
        Input(ids.EVERY_SCREEN_TABLE, "cellClicked"),
        State(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    def _screen_view(state_value: Any, within: Any, _clicks: Any, query: str | None) -> str:
        trigger = ctx.triggered_id
        clicked = None
        if isinstance(trigger, dict) and trigger.get("type") == ids.SCREEN_TABLE:
            trigger, clicked = ids.SCREEN_TABLE, ctx.triggered[0]["value"]
            if clicked is None:
                raise PreventUpdate  # the table arrived; nothing was clicked
        new = screen_query(query, services.default_ticker, trigger, state_value, within, clicked)
        if new == query:
            raise PreventUpdate
        return new
