"""One callback owns the view: URL, controls and clicks in; URL, controls and view out.

Keeping the URL and every control in one callback is how Dash allows them to update each
other (a cycle within one callback is allowed, across callbacks it is not). The decisions
are pure functions below; ``register`` only wires them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from analysis.movers import BIOTECH_PROXY_SECTOR, period_start
from callbacks.services import Services
from components import ids
from components.control_values import CONTROLS, control_values
from components.view_state import (
    CHANNEL_MAX,
    CHANNEL_MIN,
    INDICATORS,
    INTERVALS,
    PERIODS,
    RANGES,
    ViewState,
    parse_date,
    parse_query,
    parse_sectors,
    to_query,
)
from market.tickers import parse_ticker
from market.universe import GICS_SECTORS

CLICKS: tuple[tuple[str, str], ...] = (
    (ids.INDEX_BUTTON, "n_clicks"),
    (ids.SECTOR_CHART, "clickData"),
)
"""Clicks that change the view; a click on a row of either table (``ids.MOVERS_TABLE``), on a
holding (``ids.HOLDING``) or a sector's button (``ids.SECTOR_BUTTON``) comes in through its
own pattern-matched input."""
PATTERN_CLICKS = (ids.MOVERS_TABLE, ids.HOLDING, ids.SECTOR_BUTTON)

PERIOD_AT = CONTROLS.index((ids.PERIOD_SELECT, "value"))
FROM_DATE_AT = CONTROLS.index((ids.PERIOD_FROM_DATE, "date"))
"""Where the period radio and the "From" date picker are in the controls' values."""


CHART_FIELDS = (
    "ticker",
    "interval",
    "range",
    "panels",
    "channel",
    "channel_end",
    "as_of",
    "compare",
    "scale",
    "rates",
)
"""What the chart area depends on; other changes leave it alone."""
MOVERS_FIELDS = ("period", "as_of", "include", "exclude")
"""What the movers area depends on; a ticker change leaves the tables alone."""


def differs(previous: ViewState | None, state: ViewState, fields: tuple[str, ...]) -> bool:
    """Whether ``state`` differs from ``previous`` in any of ``fields``."""
    if previous is None:
        return True
    return any(getattr(previous, name) != getattr(state, name) for name in fields)


def needs_redraw(previous: ViewState | None, state: ViewState, drawn: tuple[str, ...]) -> bool:
    """Whether the server must draw the chart again, given the overlays the figure holds.

    Overlays the figure holds (``drawn``) are shown or hidden in the browser; one it lacks,
    or any other chart field, needs a new figure.
    """
    return differs(previous, state, CHART_FIELDS) or not set(state.overlays) <= set(drawn)


@dataclass(frozen=True)
class ViewUpdate:
    """What the view callback returns: the new view and what the page should say."""

    state: ViewState
    problems: tuple[str, ...] = ()


def state_from_controls(values: list[Any], previous: ViewState, today: date) -> ViewUpdate:
    """The view the controls describe; a value that cannot be used keeps the previous one."""
    (
        ticker,
        interval,
        range_,
        indicators,
        log,
        channel,
        channel_end,
        as_of,
        compare,
        period,
        from_date,
        include,
        exclude,
        _biotech,
    ) = values
    problems: list[str] = []
    symbol = parse_ticker(_text(ticker))
    if symbol is None:
        problems.append(f"“{str(ticker)[:30]}” is not a ticker; kept {previous.ticker}.")
    compare_symbol = parse_ticker(_text(compare)) if compare else None
    if compare and compare_symbol is None:
        problems.append(f"“{str(compare)[:30]}” is not a ticker to compare with.")
    channel_weeks, problem = channel_window(channel, previous.channel)
    if problem:
        problems.append(problem)
    if period == "from":
        start = parse_date(from_date, today) or start_of_period(previous, today)
        period_value = start.isoformat() if start else previous.period
    else:
        period_value = period if period in PERIODS else previous.period
    state = ViewState(
        ticker=symbol or previous.ticker,
        interval=interval if interval in INTERVALS else previous.interval,
        range=range_ if range_ in RANGES else previous.range,
        indicators=tuple(name for name in INDICATORS if name in _texts(indicators)),
        channel=channel_weeks,
        channel_end=parse_date(channel_end, today),
        as_of=parse_date(as_of, today),
        period=period_value,
        include=parse_sectors(",".join(_texts(include))) or (),
        exclude=parse_sectors(",".join(_texts(exclude))) or (),
        compare=compare_symbol,
        scale="log" if log else "linear",
        screen=previous.screen,
        within=previous.within,
    )
    return ViewUpdate(state, tuple(problems))


def start_of_period(state: ViewState, today: date) -> date | None:
    """The first day of ``state``'s period: where "From date" starts until a date is picked."""
    try:
        return period_start(state.period, state.as_of or today).date()
    except ValueError:
        return None


def channel_window(value: object, kept: int) -> tuple[int, str]:
    """The channel window asked for, or ``kept`` and a note naming the value refused.

    The input has no browser-side min/max: a browser would send an out-of-range number as
    nothing, and the page could not say what it refused.
    """
    whole = _whole_number(value)
    if whole is not None and CHANNEL_MIN <= whole <= CHANNEL_MAX:
        return whole, ""
    shown = "empty" if value in (None, "") else f"“{str(value)[:12]}”"
    return kept, (
        f"Channel window {shown} refused: it must be a whole number of weeks from "
        f"{CHANNEL_MIN} to {CHANNEL_MAX}; kept {kept}."
    )


def _whole_number(value: object) -> int | None:
    """``value`` as an int if the browser sent a whole number (of any size), else None.

    ``float()`` of a 400-digit integer overflows, so integers are taken as they are.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(value: object) -> str:
    """``value`` if the browser sent a string, else nothing: payloads can hold any JSON."""
    return value if isinstance(value, str) else ""


def _texts(value: object) -> list[str]:
    """The strings of a list the browser sent (a checklist's or dropdown's values)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _field(payload: object, name: str) -> object:
    """``payload[name]`` of a click payload, None when it is not an object with that key."""
    return payload.get(name) if isinstance(payload, dict) else None


def apply_click(state: ViewState, trigger: str, payload: Any) -> ViewState:
    """A click on a table row or a holding loads its ticker; a click on a sector (its bar or
    its button, whose ``payload`` is the button's id) toggles that filter."""
    if trigger == ids.MOVERS_TABLE:
        ticker = parse_ticker(_text(_field(payload, "rowId")))
        return replace(state, ticker=ticker) if ticker else state
    if trigger == ids.HOLDING:
        ticker = parse_ticker(_text(_field(payload, "ticker")))
        return replace(state, ticker=ticker) if ticker else state
    if trigger == ids.SECTOR_BUTTON:
        bar = {"points": [{"y": _field(payload, "sector")}]} if payload else None
        return apply_click(state, ids.SECTOR_CHART, bar)
    if trigger == ids.SECTOR_CHART:
        points = _field(payload, "points")
        first = points[0] if isinstance(points, list) and points else None
        sector = _text(_field(first, "y"))
        if sector not in GICS_SECTORS:
            return state
        include = () if state.include == (sector,) else (sector,)
        return replace(state, include=include)
    return state


def toggle_biotech(state: ViewState, on: bool) -> ViewState:
    """The 'exclude biotech' shortcut adds or removes Health Care from the exclusions."""
    others = tuple(s for s in state.exclude if s != BIOTECH_PROXY_SECTOR)
    return replace(state, exclude=(*others, BIOTECH_PROXY_SECTOR) if on else others)


def next_view(
    trigger: str | None,
    search: str | None,
    values: list[Any],
    clicks: dict[str, Any],
    previous_query: str | None,
    default_ticker: str,
    index_ticker: str,
    today: date,
) -> ViewUpdate:
    """The view after one event: a URL change (or first load), a control, or a click."""
    if trigger in (None, ids.URL) or previous_query is None:
        state = parse_query(search or "", default_ticker, today)
        problems = tuple(f"Ignored URL parameter “{name}”." for name in state.ignored)
        return ViewUpdate(state, problems)
    previous = parse_query(previous_query, default_ticker, today)
    if trigger == ids.INDEX_BUTTON:
        return ViewUpdate(replace(previous, ticker=index_ticker))
    if trigger in clicks:
        return ViewUpdate(apply_click(previous, trigger, clicks[trigger]))
    if trigger == ids.PERIOD_FROM_DATE and parse_date(values[FROM_DATE_AT], today):
        values = [*values[:PERIOD_AT], "from", *values[PERIOD_AT + 1 :]]  # a picked date sets it
    update = state_from_controls(values, previous, today)
    if trigger == ids.EXCLUDE_BIOTECH:
        return replace(update, state=toggle_biotech(update.state, bool(values[-1])))
    return update


def changed_values(new: list[Any], shown: list[Any]) -> list[Any]:
    """``new`` with ``no_update`` where the control already shows that value.

    Setting a control to the value it has would still fire everything that listens to it
    (the date pickers echo their value back), costing a second round of callbacks.
    """
    return [
        no_update if value == current else value for value, current in zip(new, shown, strict=True)
    ]


def _notice(update: ViewUpdate, trigger: str | None) -> list[Any]:
    """The note of what was ignored: replaced on each URL, kept until the next problem."""
    if not update.problems and trigger not in (None, ids.URL):
        return [no_update, no_update]
    return [[f"{p} " for p in update.problems], bool(update.problems)]


def trigger_name(triggered_id: object) -> str | None:
    """The id that fired a callback; a pattern-matched id is named by its type (either table's
    is ``ids.MOVERS_TABLE``)."""
    if isinstance(triggered_id, dict):
        kind = triggered_id.get("type")
        return kind if kind in PATTERN_CLICKS else None
    return triggered_id if isinstance(triggered_id, str) else None


def register(app: Dash, services: Services) -> None:
    """Attach the view callback to ``app``."""

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.VIEW_STORE, "data"),
        Output(ids.CHART_VIEW, "data"),
        Output(ids.MOVERS_VIEW, "data"),
        Output(ids.OVERLAY_VIEW, "data"),
        Output(ids.IGNORED_PARAMS, "children"),
        Output(ids.IGNORED_PARAMS, "is_open"),
        *[Output(component, prop) for component, prop in CONTROLS],
        Input(ids.URL, "search"),
        *[Input(component, prop) for component, prop in CONTROLS],
        *[Input(component, prop) for component, prop in CLICKS],
        Input(ids.EVERY_MOVERS_TABLE, "cellClicked"),
        Input(ids.EVERY_HOLDING, "n_clicks"),
        Input(ids.EVERY_SECTOR_BUTTON, "n_clicks"),
        State(ids.VIEW_STORE, "data"),
        State(ids.CHART_VIEW, "data"),
    )
    def _update_view(search: str | None, *args: Any) -> list[Any]:
        values = list(args[: len(CONTROLS)])
        click_values = args[len(CONTROLS) : len(CONTROLS) + len(CLICKS)]
        previous_query, chart_query = args[-2], args[-1]
        trigger = trigger_name(ctx.triggered_id)
        if trigger == ids.URL and search == previous_query:
            raise PreventUpdate  # the echo of our own URL update: nothing changed
        clicks = {
            component: value for (component, _), value in zip(CLICKS, click_values, strict=True)
        }
        if trigger == ids.MOVERS_TABLE:
            clicks[ids.MOVERS_TABLE] = ctx.triggered[0]["value"]
        elif trigger in PATTERN_CLICKS:  # a button: its id says what it opens
            clicks[trigger] = ctx.triggered_id if ctx.triggered[0]["value"] else None
        update = next_view(
            trigger,
            search,
            values,
            clicks,
            previous_query,
            services.default_ticker,
            services.market.index_ticker,
            date.today(),
        )
        query = to_query(update.state)
        today = date.today()
        previous = (
            None
            if previous_query is None
            else parse_query(previous_query, services.default_ticker, today)
        )
        overlays_changed = differs(previous, update.state, ("overlays",))
        drawn = () if chart_query is None else parse_query(chart_query, "", today).overlays
        redraw = needs_redraw(previous, update.state, drawn)
        return [
            query if query != search else no_update,
            query if query != previous_query else no_update,
            query if redraw else no_update,
            query if differs(previous, update.state, MOVERS_FIELDS) else no_update,
            list(update.state.overlays) if overlays_changed else no_update,
            *_notice(update, trigger),
            *changed_values(control_values(update.state), values),
        ]
