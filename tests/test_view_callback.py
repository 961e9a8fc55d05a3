"""The view reducer: URL on load, controls, clicks and the biotech shortcut."""

from datetime import date

import pytest

from callbacks.view import (
    CHART_FIELDS,
    MOVERS_FIELDS,
    channel_window,
    differs,
    needs_redraw,
    next_view,
)
from components import ids
from components.control_values import CONTROLS, control_values
from components.view_state import ViewState, parse_query, to_query

TODAY = date(2026, 11, 25)


def _next(trigger, previous: ViewState | None, values=None, clicks=None, search=""):
    return next_view(
        trigger,
        search,
        values if values is not None else control_values(previous or ViewState("IWM")),
        clicks or {},
        to_query(previous) if previous else None,
        "IWM",
        "IWM",
        TODAY,
    )


def test_first_load_reads_the_url_and_names_what_it_ignored():
    update = _next(None, None, search="?ticker=aapl&period=1m&bogus=1")
    assert update.state.ticker == "AAPL" and update.state.period == "1m"
    assert update.problems == ("Ignored URL parameter “bogus”.",)


def test_controls_round_trip_through_their_values():
    state = ViewState(
        ticker="MOG-A",
        interval="1d",
        range="2y",
        indicators=("sma50", "bb"),
        channel=52,
        channel_end=date(2025, 1, 6),
        as_of=date(2025, 3, 3),
        period="2025-01-02",
        include=("Energy",),
        exclude=("Health Care",),
        compare="SPY",
        scale="log",
    )
    values = control_values(state)
    assert len(values) == len(CONTROLS)
    update = _next(ids.RANGE_SELECT, ViewState("IWM"), values=values)
    assert update.state == state and update.problems == ()


def test_a_bad_typed_ticker_keeps_the_previous_one_and_says_so():
    previous = ViewState("IWM", period="1m")
    values = control_values(previous)
    values[0] = "<img src=x onerror=alert(1)>"
    update = _next(ids.TICKER_INPUT, previous, values=values)
    assert update.state.ticker == "IWM"
    assert "is not a ticker" in update.problems[0]


def test_row_click_loads_the_ticker_and_sector_click_toggles_the_filter():
    previous = ViewState("IWM")
    clicked = _next(ids.MOVERS_TABLE, previous, clicks={ids.MOVERS_TABLE: {"rowId": "abcd"}})
    assert clicked.state.ticker == "ABCD"
    sector = {ids.SECTOR_CHART: {"points": [{"y": "Energy", "x": 3.2}]}}
    filtered = _next(ids.SECTOR_CHART, previous, clicks=sector)
    assert filtered.state.include == ("Energy",)
    assert _next(ids.SECTOR_CHART, filtered.state, clicks=sector).state.include == ()
    bogus = {ids.SECTOR_CHART: {"points": [{"y": "<b>x</b>"}]}}
    assert _next(ids.SECTOR_CHART, previous, clicks=bogus).state == previous


def test_index_button_and_biotech_shortcut():
    previous = ViewState("ABCD", exclude=("Energy",))
    assert _next(ids.INDEX_BUTTON, previous).state.ticker == "IWM"
    values = control_values(previous)
    values[-1] = True
    on = _next(ids.EXCLUDE_BIOTECH, previous, values=values).state
    assert on.exclude == ("Energy", "Health Care")
    values = control_values(on)
    values[-1] = False
    assert _next(ids.EXCLUDE_BIOTECH, on, values=values).state.exclude == ("Energy",)


def test_only_the_areas_a_change_touches_are_redrawn():
    before = ViewState("IWM")
    assert differs(before, ViewState("ABCD"), CHART_FIELDS)
    assert not differs(before, ViewState("ABCD"), MOVERS_FIELDS)
    assert differs(before, ViewState("IWM", period="1m"), MOVERS_FIELDS)
    assert not differs(before, ViewState("IWM", period="1m"), CHART_FIELDS)
    assert parse_query(to_query(before), "IWM", TODAY) == before


def test_overlays_the_figure_holds_toggle_without_a_redraw():
    before = ViewState("IWM", indicators=("sma50", "channel", "macd"))
    drawn = before.overlays
    hide = ViewState("IWM", indicators=("channel", "macd"))
    assert not needs_redraw(before, hide, drawn)
    assert not needs_redraw(hide, before, drawn), "shown again: the figure still holds it"
    assert needs_redraw(hide, ViewState("IWM", indicators=("channel", "macd", "bb")), drawn)
    assert needs_redraw(before, ViewState("IWM", indicators=("sma50", "channel")), drawn)
    assert needs_redraw(None, before, ())


def test_choosing_from_date_sets_the_period_to_where_the_previous_one_started():
    previous = ViewState("IWM", period="ytd")
    values = control_values(previous)
    values[CONTROLS.index((ids.PERIOD_SELECT, "value"))] = "from"
    update = _next(ids.PERIOD_SELECT, previous, values=values)
    assert update.state.period == "2025-12-31"
    shown = control_values(update.state)
    assert shown[CONTROLS.index((ids.PERIOD_SELECT, "value"))] == "from"
    assert shown[CONTROLS.index((ids.PERIOD_FROM_DATE, "date"))] == "2025-12-31"


def test_a_picked_start_date_is_kept_and_sets_the_period():
    previous = ViewState("IWM", period="1m")
    values = control_values(previous)
    values[CONTROLS.index((ids.PERIOD_FROM_DATE, "date"))] = "2026-03-02"
    update = _next(ids.PERIOD_FROM_DATE, previous, values=values)
    assert update.state.period == "2026-03-02"
    assert control_values(update.state)[CONTROLS.index((ids.PERIOD_FROM_DATE, "date"))] == (
        "2026-03-02"
    )
    values[CONTROLS.index((ids.PERIOD_FROM_DATE, "date"))] = "not a date"
    assert _next(ids.PERIOD_FROM_DATE, previous, values=values).state.period == "1m"


def test_a_holding_or_a_sector_button_opens_like_a_click():
    previous = ViewState("IWM")
    holding = {ids.HOLDING: ids.holding("CRDO")}
    assert _next(ids.HOLDING, previous, clicks=holding).state.ticker == "CRDO"
    assert _next(ids.HOLDING, previous, clicks={ids.HOLDING: None}).state == previous
    button = {ids.SECTOR_BUTTON: ids.sector_button("Energy")}
    filtered = _next(ids.SECTOR_BUTTON, previous, clicks=button)
    assert filtered.state.include == ("Energy",)
    assert _next(ids.SECTOR_BUTTON, filtered.state, clicks=button).state.include == ()
    bogus = {ids.SECTOR_BUTTON: ids.sector_button("<b>x</b>")}
    assert _next(ids.SECTOR_BUTTON, previous, clicks=bogus).state == previous


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (600, "“600”"),
        (7, "“7”"),
        (10.5, "“10.5”"),
        (None, "empty"),
        ("abc", "“abc”"),
        (True, "“True”"),
    ],
)
def test_a_refused_channel_window_is_named_and_the_previous_kept(value, named):
    weeks, problem = channel_window(value, 104)
    assert weeks == 104
    assert named in problem and "8 to 520" in problem and "kept 104" in problem


def test_a_channel_window_in_range_is_taken_without_a_note():
    assert channel_window(520, 104) == (520, "") and channel_window(8.0, 104) == (8, "")
