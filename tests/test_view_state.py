"""The URL holds the view: parse, round trip, and hostile input ignored and named."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from components.view_state import (
    MAX_PARAMS,
    MAX_QUERY_LENGTH,
    ViewState,
    parse_date,
    parse_query,
    to_query,
)

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


def test_dates_with_anything_after_them_are_ignored_and_named():
    state = parse_query(
        "?asof=2024-01-01<script>&chend=2020-01-01junk&period=2024-01-01T00:00"
        "&ticker=SPY&asof=2024-01-02 ",
        "IWM",
        TODAY,
    )
    assert state.ignored == ("asof", "chend", "period")
    assert state.as_of == date(2024, 1, 2), "a valid date, space trimmed, still counts"
    assert state.channel_end is None and state.period == "ytd" and state.ticker == "SPY"
    for junk in ("2024-01-01x", "2024-01-01 00:00", "2024-1-01", "٢٠٢٤-٠١-٠١", "+2024-01-01"):
        assert parse_date(junk, TODAY) is None, junk
    assert parse_date(" 2024-01-01\n", TODAY) == date(2024, 1, 1)


def test_a_query_too_long_is_ignored_whole_and_named():
    query = "?ticker=SPY&" + "x=1&" * MAX_QUERY_LENGTH
    state = parse_query(query, "IWM", TODAY)
    assert state == ViewState(ticker="IWM")
    assert state.ignored == (f"(query over {MAX_QUERY_LENGTH} characters)",)


def test_parameters_beyond_the_limit_are_ignored_and_named_once():
    query = "?" + "&".join(["ticker=SPY", *["range=1y"] * (MAX_PARAMS - 1), "range=max"] * 3)
    state = parse_query(query, "IWM", TODAY)
    assert state.ticker == "SPY" and state.range == "1y"
    assert state.ignored == (f"(parameters after the {MAX_PARAMS}th)",)
    assert parse_query(query[: query.index("&range=max")], "IWM", TODAY).ignored == ()
