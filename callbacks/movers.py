"""Wiring of movers, laggards, sectors and holdings: the view in, rows and figures out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, ctx, no_update
from dash.exceptions import PreventUpdate

from analysis.contributions import contributions
from analysis.movers import BIOTECH_PROXY_SECTOR, Movers, movers, prices_start, sector_summary
from analysis.names import normal_case
from callbacks.first_fill import WAITING_NOTE, fill_note
from callbacks.internals import contributions_note, index_return
from callbacks.services import Services
from charts.price import message_figure
from charts.sectors import sector_figure
from components import ids
from components.movers import create_grid
from components.sectors import create_holdings_table
from components.view_state import PERIODS, ViewState, parse_query
from market.csv_import import ImportProgress
from market.sources import DIRECT

HOLDINGS_N = 10
PERIOD_LABELS = {"1w": "1W", "1m": "1M", "3m": "3M", "ytd": "YTD", "1y": "1Y"}
EXPORT_BUTTONS = {ids.MOVERS_EXPORT: ids.TOP, ids.LAGGARDS_EXPORT: ids.BOTTOM}
TABLES_WAIT_MS = 3000
WAIT_FOR_CHART_JS = """
function () {
    // Resolves once the price chart has been drawn (or after a few seconds regardless),
    // so that AG Grid loads after the chart and never holds it back.
    return new Promise((resolve) => {
        const drawn = () => document.querySelector("#PRICE_CHART .main-svg");
        if (drawn()) {
            resolve(true);
            return;
        }
        const observer = new MutationObserver(() => {
            if (drawn()) {
                observer.disconnect();
                resolve(true);
            }
        });
        observer.observe(document.body, {childList: true, subtree: true});
        setTimeout(() => {
            observer.disconnect();
            resolve(true);
        }, WAIT_MS);
    });
}
""".replace("PRICE_CHART", ids.PRICE_CHART).replace("WAIT_MS", str(TABLES_WAIT_MS))


@dataclass(frozen=True)
class MoversView:
    """Everything the movers area shows for one view."""

    top: list[dict[str, Any]]
    bottom: list[dict[str, Any]]
    note: str
    sectors: dict[str, Any]
    """A plain figure dict (``charts.sectors.sector_figure``)."""
    holdings: pd.DataFrame
    as_of: str = ""
    """The last session ranked (YYYY-MM-DD), '' when nothing was."""


def period_label(period: str) -> str:
    """'YTD', '1M', ... or 'since 2025-01-02' for a start date."""
    return PERIOD_LABELS[period] if period in PERIODS else f"since {period}"


def _rows(frame: pd.DataFrame, contribution: pd.Series) -> list[dict[str, Any]]:
    """Table rows, names in normal case; numbers stay numbers (the CSV export keeps them)."""
    rows = frame.loc[:, ["ticker", "name", "sector", "weight", "last_price", "return_pct"]]
    rows = rows.assign(
        name=[normal_case(str(name)) for name in rows["name"]],
        contribution_pct=frame["ticker"].map(contribution),
    )
    return rows.to_dict("records")  # type: ignore[return-value]


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def csv_file_name(state: ViewState, as_of: str, side: str) -> str:
    """The CSV's name says what it holds: period, as-of date, sector filter and side.

    For example ``r2k-movers-ytd-2025-04-01-excl-health-care-top.csv``.
    """
    if side not in (ids.TOP, ids.BOTTOM):
        raise ValueError(f"side must be {ids.TOP!r} or {ids.BOTTOM!r}, got {side!r}")
    period = state.period if state.period in PERIODS else f"from-{state.period}"
    parts = ["r2k-movers", period, as_of or "latest"]
    if state.include:
        parts.append("only-" + "-".join(_slug(s) for s in state.include))
    if state.exclude:
        parts.append("excl-" + "-".join(_slug(s) for s in state.exclude))
    return "-".join([*parts, side]) + ".csv"


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


def describe_span(
    stored_from: pd.Timestamp, start: pd.Timestamp, universe_years: int | None
) -> str:
    """Why a period starting before the stored prices ranks few constituents, and what to do.

    ``universe_years`` is the history fetched for constituents (None when it is not ours
    to choose: demo and CSV sources).
    """
    line = (
        f"Most constituents' prices start on {stored_from:%Y-%m-%d}, after this period's "
        f"start ({start:%Y-%m-%d}): those are left out."
    )
    if universe_years is None:
        return line
    return (
        f"{line} Constituents are fetched with {universe_years} years of history "
        "(R2K_UNIVERSE_YEARS); raise it and refresh to rank from earlier dates."
    )


def import_note(progress: ImportProgress) -> str:
    """What the movers area says while the user's CSV files are imported."""
    if progress.total == 0:
        return "Importing your CSV files into the store: looking for changed files…"
    return (
        f"Importing your CSV files into the store: {progress.done:,} of {progress.total:,} "
        "read. The tables fill when the import ends; the chart works meanwhile."
    )


def movers_view(
    services: Services, state: ViewState, dark: bool = False, rank: str = "return"
) -> MoversView:
    """Every ranked constituent best first (top) and worst first (bottom), by return or by
    ``rank="contribution"``, the sector chart and the largest holdings; the tables show the
    first rows and scroll to the rest.

    While the user's CSV files are imported, no rows and a note on the import's progress.
    """
    market = services.market
    simulated = market.source.simulated
    fill = fill_note(services)
    empty = pd.DataFrame(columns=["ticker", "name", "sector", "weight"])
    if fill is not None and fill.running:  # the store holds part of the universe: wait
        return MoversView(
            [], [], WAITING_NOTE, message_figure("Fetching the sectors…").to_plotly_json(), empty
        )
    progress = market.import_progress()
    if progress is not None:
        figure = message_figure("Importing your CSV files…").to_plotly_json()
        return MoversView([], [], import_note(progress), figure, empty)
    universe = market.universe()
    closes = market.closes()
    if universe is None or universe.empty or closes.empty:
        note = (
            fill.text
            if fill is not None
            else market.universe_problem()
            or "No constituents stored yet: run `r2k refresh` (or the refresh button) to "
            "fetch the Russell 2000 universe."
        )
        return MoversView(
            [], [], note, message_figure("No sector data yet").to_plotly_json(), empty
        )
    try:
        result = movers(
            closes,
            universe,
            state.period,
            as_of=state.as_of,
            include_sectors=state.include,
            exclude_sectors=state.exclude,
            n=max(1, len(universe)),
        )
        sectors = sector_summary(closes, universe, state.period, as_of=state.as_of)
        shares = contributions(closes, result)
    except ValueError as error:
        note = f"Cannot rank movers for this view: {error}"
        figure = message_figure("No sector data").to_plotly_json()
        return MoversView([], [], note, figure, universe.head(0))
    figure = sector_figure(
        sectors,
        selected=state.include[0] if len(state.include) == 1 else None,
        period_label=period_label(state.period),
        simulated=simulated,
        dark=dark,
    )
    note = describe_movers(result, state, simulated)
    stored_from = prices_start(closes, universe["ticker"])
    if stored_from is not None and result.start < stored_from:
        fetched = market.source.mode != DIRECT
        years = services.settings.universe_years if fetched else None
        note += " " + describe_span(stored_from, result.start, years)
    by_contribution = rank == "contribution"
    top = shares.ranked(True, len(universe)) if by_contribution else result.top
    bottom = shares.ranked(False, len(universe)) if by_contribution else result.bottom
    contribution = shares.rows.set_index("ticker")["contribution_pct"]
    index_pct = index_return(services, state.period, result.as_of)
    return MoversView(
        top=_rows(top, contribution),
        bottom=_rows(bottom, contribution),
        note=note
        + " "
        + ("Ranked by contribution. " if by_contribution else "")
        + contributions_note(shares, index_pct),
        sectors=figure,
        holdings=universe.nlargest(HOLDINGS_N, "weight"),
        as_of=f"{result.as_of:%Y-%m-%d}",
    )


def selected_ids(query: str | None, default_ticker: str) -> dict[str, list[str]]:
    """The selection both tables show: the row of the ticker in the chart."""
    state = parse_query(query or "", default_ticker, pd.Timestamp.today().date())
    return {"ids": [state.ticker]}


def export_flags(trigger: str | None, sides: list[str]) -> list[Any]:
    """What each table (by side, in page order) gets when a CSV button is clicked."""
    side = EXPORT_BUTTONS.get(trigger or "")
    return [True if table == side else no_update for table in sides]


def _sides(outputs: list[Any]) -> list[str]:
    """The sides of the tables a pattern-matched output names, in page order.

    A crafted request can name any id; a side that is not a table of the page is ''.
    """
    identities = [output.get("id") if isinstance(output, dict) else None for output in outputs]
    sides = [
        identity.get("side") if isinstance(identity, dict) else None for identity in identities
    ]
    return [side if side in (ids.TOP, ids.BOTTOM) else "" for side in sides]


def register(app: Dash, services: Services) -> None:
    """Attach the movers callbacks to ``app``; results are cached per view and data version.

    The tables are made once the chart is drawn: a clientside wait for the chart sets
    ``CHART_PAINTED``, which puts both tables on the page, whose arrival fills them.
    """
    app.clientside_callback(
        WAIT_FOR_CHART_JS,
        Output(ids.CHART_PAINTED, "data"),
        Input(ids.URL, "pathname"),
    )

    @app.callback(
        Output(ids.MOVERS_SLOT, "children"),
        Output(ids.LAGGARDS_SLOT, "children"),
        Input(ids.CHART_PAINTED, "data"),
        prevent_initial_call=True,
    )
    def _create_tables(_painted: Any) -> tuple[Any, Any]:
        return create_grid(ids.TOP), create_grid(ids.BOTTOM)

    @app.callback(
        Output(ids.EVERY_MOVERS_TABLE, "rowData"),
        Output(ids.EVERY_MOVERS_TABLE, "csvExportParams"),
        Output(ids.MOVERS_NOTE, "children"),
        Output(ids.SECTOR_CHART, "figure"),
        Output(ids.HOLDINGS_TABLE, "children"),
        Output(ids.IMPORT_POLL, "disabled"),
        Input(ids.MOVERS_VIEW, "data"),
        Input(ids.THEME_SWITCH, "value"),
        Input(ids.MOVERS_RANK, "value"),
        Input(ids.FILL_STATE, "data"),
        Input(ids.IMPORT_POLL, "n_intervals"),
        Input(ids.EVERY_MOVERS_TABLE, "id"),
    )
    def _update_movers(
        query: str | None,
        dark: bool,
        rank: Any,
        fill_state: str | None,
        _polls: int | None,
        tables: list[Any],
    ) -> tuple[Any, ...]:
        if not tables:
            raise PreventUpdate  # filled when the tables arrive, after the chart is drawn
        state = parse_query(query or "", services.default_ticker, pd.Timestamp.today().date())
        by = "contribution" if rank == "contribution" else "return"

        def compute() -> tuple[Any, ...]:
            view = movers_view(services, state, bool(dark), by)
            sectors = view.sectors
            return view.top, view.bottom, view.note, sectors, view.holdings, view.as_of

        importing = services.market.import_progress() is not None
        if importing:  # the note changes with every poll: nothing to cache
            top, bottom, note, sectors, holdings, as_of = compute()
        else:
            key = services.result_key("movers", state, bool(dark), by, fill_state)
            cached = services.cache.get_or_compute(key, compute)
            top, bottom, note, sectors, holdings, as_of = cached
        rows = {ids.TOP: top, ids.BOTTOM: bottom}
        sides = _sides(ctx.outputs_list[0])
        exports = [
            {"fileName": csv_file_name(state, as_of, side)} if side in rows else {}
            for side in _sides(ctx.outputs_list[1])
        ]
        holdings = holdings.assign(name=[normal_case(str(n)) for n in holdings["name"]])
        table = create_holdings_table(holdings)
        tables_rows = [rows.get(side, []) for side in sides]
        return tables_rows, exports, note, sectors, table, not importing

    @app.callback(
        Output(ids.EVERY_MOVERS_TABLE, "selectedRows"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.EVERY_MOVERS_TABLE, "rowData"),
    )
    def _mark_selection(query: str | None, _rows: Any) -> list[Any]:
        selection = selected_ids(query, services.default_ticker)
        return [selection for _ in ctx.outputs_list]

    @app.callback(
        Output(ids.EVERY_MOVERS_TABLE, "exportDataAsCsv"),
        Input(ids.MOVERS_EXPORT, "n_clicks"),
        Input(ids.LAGGARDS_EXPORT, "n_clicks"),
        prevent_initial_call=True,
    )
    def _export(*_clicks: Any) -> list[Any]:
        return export_flags(ctx.triggered_id, _sides(ctx.outputs_list))
