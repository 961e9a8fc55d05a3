"""The internals' part of the view: URL parameters, and the URL after a screen control or click."""

from __future__ import annotations

from datetime import date

import pytest

from callbacks.internals import contributions_note, screen_query, shows_breadth
from components import ids
from components.view_state import ViewState, parse_query, to_query

TODAY = date(2026, 6, 30)


def test_screen_within_and_breadth_round_trip_through_the_url():
    query = "?ticker=IWM&ind=sma50,breadth&screen=below_channel&within=4"
    state = parse_query(query, "IWM", TODAY)
    assert (state.screen, state.within, state.ignored) == ("below_channel", 4, ())
    assert "breadth" in state.indicators and "breadth" not in state.panels
    assert parse_query(to_query(state), "IWM", TODAY) == state


@pytest.mark.parametrize("param", ["screen=falling", "within=0", "within=four", "within=9999"])
def test_bad_screen_parameters_are_ignored_and_named(param):
    state = parse_query(f"?ticker=IWM&{param}", "IWM", TODAY)
    assert state.ignored == (param.split("=")[0],)
    assert (state.screen, state.within) == (None, None)


def test_breadth_is_shown_for_the_index_only():
    assert shows_breadth(ViewState("IWM", indicators=("breadth",)), "iwm")
    assert not shows_breadth(ViewState("AAPL", indicators=("breadth",)), "IWM")
    assert not shows_breadth(ViewState("IWM", indicators=("sma50",)), "IWM")


def test_a_screen_control_or_row_click_gives_the_next_url():
    query = to_query(ViewState("IWM", screen="rsi_oversold", within=8))
    changed = parse_query(
        screen_query(query, "IWM", ids.SCREEN_STATE, "below_channel", 4, None), "IWM", TODAY
    )
    assert (changed.ticker, changed.screen, changed.within) == ("IWM", "below_channel", 4)
    cleared = parse_query(
        screen_query(query, "IWM", ids.SCREEN_WITHIN, "all", None, None), "", TODAY
    )
    assert (cleared.screen, cleared.within) == (None, None)
    clicked = screen_query(query, "IWM", ids.SCREEN_TABLE, None, None, {"rowId": "ABCD.DM|x"})
    assert parse_query(clicked, "IWM", TODAY).ticker == "ABCD.DM"
    assert parse_query(clicked, "IWM", TODAY).screen == "rsi_oversold"
    for junk in (None, {"rowId": 5}, {"rowId": "<script>|x"}, "x"):
        assert screen_query(query, "IWM", ids.SCREEN_TABLE, None, None, junk) == query


def test_the_contributions_note_writes_true_minus_signs():
    shares = type("Shares", (), {"total_pct": -24.9})()
    note = contributions_note(shares, -6.6)  # type: ignore[arg-type]
    assert note == "Contributions add up to \u221224.90 pts; the index's own return: \u22126.60%."
    assert "not available" in contributions_note(shares, None)  # type: ignore[arg-type]
