"""Wiring of movers, laggards, sectors and holdings: the view in, rows and figures out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from analysis.contributions import contributions
from analysis.movers import BIOTECH_PROXY_SECTOR, Movers, movers, prices_start, sector_summary
from analysis.names import normal_case
from callbacks.first_fill import WAITING_NOTE, fill_note
from callbacks.internals import contributions_note, index_return
from callbacks.sent_rows import already_sent
from callbacks.services import Services
from charts.price import message_figure
from charts.sectors import sector_figure
from components import ids
from components.movers import create_grid
from components.sectors import create_holdings_table
from components.view_state import PERIODS, ViewState, parse_query

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


ROUNDING = {"weight": 8, "last_price": 4, "return_pct": 4, "contribution_pct": 5}
"""Decimals sent per number column: finer than the tables and the CSV show, and no longer."""

FILL_TABLES_JS = """
function (ranked, tables) {
    // Rows for each table from the columns sent once: best first on top, worst first below.
    const outputs = window.dash_clientside.callback_context.outputs_list;
    if (!ranked || !ranked.ticker) {
        return outputs.map(() => window.dash_clientside.no_update);
    }
    const rows = ranked.ticker.map((ticker, i) => ({
        ticker: ticker,
        name: ranked.name[i],
        sector: ranked.sectors[ranked.sector[i]],
        weight: ranked.weight[i],
        last_price: ranked.last_price[i],
        return_pct: ranked.return_pct[i],
        contribution_pct: ranked.contribution_pct[i],
    }));
    const worst = rows.slice().reverse();
    return outputs.map((output) =>
        output.id.side === "TOP" ? rows : output.id.side === "BOTTOM" ? worst : []);
}
""".replace('"TOP"', repr(ids.TOP)).replace('"BOTTOM"', repr(ids.BOTTOM))


@dataclass(frozen=True)
class MoversView:
    """Everything the movers area shows for one view."""

    ranked: dict[str, list[Any]]
    """Every ranked row, best first, column by column (see ``ranked_columns``); the
    laggards table shows them worst first."""
    note: str
    sectors: dict[str, Any]
    """A plain figure dict (``charts.sectors.sector_figure``)."""
    holdings: pd.DataFrame
    as_of: str = ""
    """The last session ranked (YYYY-MM-DD), '' when nothing was."""


def period_label(period: str) -> str:
    """'YTD', '1M', ... or 'since 2025-01-02' for a start date."""
    return PERIOD_LABELS[period] if period in PERIODS else f"since {period}"


def ranked_columns(frame: pd.DataFrame, contribution: pd.Series) -> dict[str, list[Any]]:
    """The ranked rows of ``frame`` column by column, the way the page receives them.

    Each field's name is sent once, not once per row; a sector is an index into
    ``sectors``; numbers stay numbers (the CSV export keeps them), rounded per
    ``ROUNDING``; a missing contribution is None. Names are in normal case.
    """
    missing = {"ticker", "name", "sector", "weight", "last_price", "return_pct"} - set(frame)
    if missing:
        raise ValueError(f"ranked_columns needs the movers columns; missing {sorted(missing)}")
    sectors = sorted(set(frame["sector"]))
    codes = {sector: code for code, sector in enumerate(sectors)}
    numbers = frame.assign(contribution_pct=frame["ticker"].map(contribution))
    columns: dict[str, list[Any]] = {
        "ticker": frame["ticker"].tolist(),
        "name": [normal_case(str(name)) for name in frame["name"]],
        "sectors": sectors,
        "sector": [codes[sector] for sector in frame["sector"]],
    }
    for field, decimals in ROUNDING.items():
        values = numbers[field].astype(float).round(decimals)
        columns[field] = [None if pd.isna(value) else value for value in values.tolist()]
    return columns


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


def import_note(done: int, total: int) -> str:
    """What the movers area says while the user's CSV files are imported (``done`` of
    ``total`` files read; no total yet while the changed files are being looked for)."""
    if total == 0:
        return "Importing your CSV files into the store: looking for changed files…"
    return (
        f"Importing your CSV files into the store: {done:,} of {total:,} "
        "read. The tables fill when the import ends; the chart works meanwhile."
    )


def movers_view(
    services: Services, state: ViewState, dark: bool = False, rank: str = "return"
) -> MoversView:
    """Every ranked constituent best first, by return or by ``rank="contribution"``, the
    sector chart and the largest holdings; the tables show the first rows (best first, and
    worst first) and scroll to the rest.

    While the user's CSV files are imported, no rows and a note on the import's progress.
    """
    market = services.market
    simulated = market.source.simulated
    fill = fill_note(services)
    empty = pd.DataFrame(columns=["ticker", "name", "sector", "weight"])
    if fill is not None and fill.running:  # the store holds part of the universe: wait
        figure = message_figure("Fetching the sectors…").to_plotly_json()
        return MoversView({}, WAITING_NOTE, figure, empty)
    progress = market.import_progress()
    if progress is not None:
        figure = message_figure("Importing your CSV files…").to_plotly_json()
        return MoversView({}, import_note(progress.done, progress.total), figure, empty)
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
        return MoversView({}, note, message_figure("No sector data yet").to_plotly_json(), empty)
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
        return MoversView({}, note, figure, universe.head(0))
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
        years = None if services.reads_directly else services.settings.universe_years
        note += " " + describe_span(stored_from, result.start, years)
    by_contribution = rank == "contribution"
    best_first = shares.ranked(True, len(universe)) if by_contribution else result.top
    contribution = shares.rows.set_index("ticker")["contribution_pct"]
    index_pct = index_return(services, state.period, result.as_of)
    return MoversView(
        ranked=ranked_columns(best_first, contribution),
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
        Output(ids.MOVERS_ROWS, "data"),
        Output(ids.MOVERS_ROWS_KEY, "data"),
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
        State(ids.MOVERS_ROWS_KEY, "data"),
    )
    def _update_movers(
        query: str | None,
        dark: bool,
        rank: Any,
        fill_state: str | None,
        _polls: int | None,
        tables: list[Any],
        sent_key: Any,
    ) -> tuple[Any, ...]:
        if not tables:
            raise PreventUpdate  # filled when the tables arrive, after the chart is drawn
        state = parse_query(query or "", services.default_ticker, pd.Timestamp.today().date())
        by = "contribution" if rank == "contribution" else "return"

        def compute() -> tuple[Any, ...]:
            view = movers_view(services, state, bool(dark), by)
            return view.ranked, view.note, view.sectors, view.holdings, view.as_of

        importing = services.market.import_progress() is not None
        if importing:  # the note changes with every poll: nothing to cache
            ranked, note, sectors, holdings, as_of = compute()
        else:
            # "ranked", not "movers": results under that key hold two tables of rows.
            key = services.result_key("ranked", state, bool(dark), by, fill_state)
            ranked, note, sectors, holdings, as_of = services.cache.get_or_compute(key, compute)
        # The rows do not depend on the theme: a theme switch (or an import poll that
        # changed nothing) sends no rows again.
        rows_key = services.result_key("movers-rows", state, by, fill_state, importing)
        exports = [
            {"fileName": csv_file_name(state, as_of, side)} if side else {}
            for side in _sides(ctx.outputs_list[2])
        ]
        holdings = holdings.assign(name=[normal_case(str(n)) for n in holdings["name"]])
        table = create_holdings_table(holdings)
        rows = no_update if already_sent(sent_key, rows_key) else ranked
        return rows, rows_key, exports, note, sectors, table, not importing

    app.clientside_callback(
        FILL_TABLES_JS,
        Output(ids.EVERY_MOVERS_TABLE, "rowData"),
        Input(ids.MOVERS_ROWS, "data"),
        Input(ids.EVERY_MOVERS_TABLE, "id"),
    )

    @app.callback(
        Output(ids.EVERY_MOVERS_TABLE, "selectedRows"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.MOVERS_ROWS_KEY, "data"),
    )
    def _mark_selection(query: str | None, _rows_key: Any) -> list[Any]:
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
