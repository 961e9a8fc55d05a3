"""The URL holds the view: parse, round trip, and hostile input ignored and named."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from components.view_state import ViewState, parse_query, to_query

TODAY = date(2026, 11, 25)


def test_documented_link_restores_every_field():
    state = parse_query(
        "?ticker=iwm&interval=1wk&range=5y&ind=sma50,macd,rsi,channel&channel=104"
        "&asof=2025-04-01&period=ytd&exclude=Health+Care",
        "DEMO-R2K",
        TODAY,
    )
    assert state == ViewState(
        ticker="IWM",
        interval="1wk",
        range="5y",
        indicators=("sma50", "channel", "macd", "rsi"),
        channel=104,
        as_of=date(2025, 4, 1),
        period="ytd",
        exclude=("Health Care",),
    )
    assert state.ignored == ()


def test_round_trip_of_a_full_view():
    state = ViewState(
        ticker="BRK-B",
        interval="1d",
        range="max",
        indicators=("sma20", "bb", "rsi"),
        channel=52,
        channel_end=date(2024, 11, 4),
        as_of=date(2025, 1, 2),
        period="2024-06-30",
        include=("Energy", "Financials"),
        compare="SPY",
        scale="log",
    )
    assert parse_query(to_query(state), "IWM", TODAY) == state


def test_bad_parameters_fall_back_and_are_named():
    state = parse_query(
        "?ticker=<script>alert(1)</script>&range=7y&channel=3&asof=2999-01-01"
        "&period=forever&exclude=Biotech&ind=sma50,evil&utm_source=x&interval=1d",
        "IWM",
        TODAY,
    )
    assert state.ticker == "IWM" and state.range == "5y" and state.channel == 104
    assert state.as_of is None and state.period == "ytd" and state.exclude == ()
    assert state.interval == "1d"
    assert state.ignored == (
        "ticker",
        "range",
        "channel",
        "asof",
        "period",
        "exclude",
        "ind",
        "utm_source",
    )


def test_path_traversal_is_not_a_ticker():
    assert parse_query("?ticker=../../etc/passwd", "IWM", TODAY).ticker == "IWM"
    assert parse_query("?compare=..%2F..", "IWM", TODAY).ignored == ("compare",)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_query_string_parses_to_a_valid_view(query):
    state = parse_query(query, "IWM", TODAY)
    assert (
        state.ticker.replace("-", "").replace(".", "").replace("^", "").replace("=", "").isalnum()
    )
    assert 8 <= state.channel <= 520
    assert state.as_of is None or state.as_of <= TODAY
    assert all(len(name) <= 31 for name in state.ignored)
    assert parse_query(to_query(state), "IWM", TODAY) == state
