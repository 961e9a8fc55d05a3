"""The page's callback functions called directly on the demo market (no browser, no network)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pytest
from dash import html, no_update

from app import create_services
from callbacks.chart import (
    chart_view,
    compare_view,
    display_start,
    read_content,
    read_figures,
)
from callbacks.movers import (
    MoversView,
    csv_file_name,
    export_flags,
    movers_view,
    period_label,
    selected_ids,
)
from callbacks.services import Services
from callbacks.view import trigger_name
from charts.theme import SIMULATED_LABEL
from components import ids
from components.view_state import ViewState
from market.data import MarketData
from market.refresh import refresh
from market.sources import CACHED, ResolvedSource
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings
from tests.figures import figure_of
from tests.store_fakes import FakeProvider

MOVER_KEYS = {"ticker", "name", "sector", "weight", "last_price", "return_pct", "contribution_pct"}
PAST = date(2025, 3, 12)
"""A Wednesday well inside the demo's history (2014-11 to 2026-11)."""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    cache = tmp_path_factory.mktemp("demo-cache")
    return create_services(Settings(source="demo", cache_dir=cache))


@pytest.fixture(scope="module")
def index(services: Services) -> str:
    return services.market.index_ticker


@pytest.fixture(scope="module")
def default_view(services: Services, index: str):
    return chart_view(services, ViewState(ticker=index))


def _trace(figure, name: str):
    matches = [trace for trace in figure.data if trace.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}"
    return matches[0]


def _candles(figure) -> pd.DatetimeIndex:
    (candles,) = [trace for trace in figure.data if trace.type == "candlestick"]
    return pd.DatetimeIndex(candles.x)


# The chart


def test_chart_view_of_the_index_draws_candles_and_a_read(default_view, index):
    assert default_view.message == ""
    assert default_view.read is not None and default_view.read.ticker == index
    figure = figure_of(default_view.figure)
    assert figure.data[0].type == "candlestick" and len(figure.data[0].x) > 200
    names = {trace.name for trace in figure.data}
    assert {"SMA 50", "104-week channel middle", "MACD hist", "RSI 14", "Volume"} <= names
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert SIMULATED_LABEL in texts
    assert "simulated" in figure.layout.title.text


def test_chart_view_of_an_unknown_ticker_says_so_instead(services):
    view = chart_view(services, ViewState(ticker="NOSUCH"))
    assert "NOSUCH" in view.message
    assert view.read is None
    assert len(figure_of(view.figure).data) == 0
    (annotation,) = figure_of(view.figure).layout.annotations
    assert "NOSUCH" in annotation.text


def test_chart_view_before_any_data_says_so(services, index):
    view = chart_view(services, ViewState(ticker=index, as_of=date(2000, 1, 3)))
    assert "2000-01-03" in view.message and view.read is None
    assert len(figure_of(view.figure).data) == 0


@pytest.mark.parametrize("interval", ["1wk", "1d"])
def test_as_of_replays_the_chart_and_the_read(services, index, interval):
    view = chart_view(services, ViewState(ticker=index, as_of=PAST, interval=interval))
    assert view.read is not None
    assert view.read.as_of.date() <= PAST
    last = _candles(figure_of(view.figure))[-1]
    assert last.date() <= PAST
    daily = services.market.daily_bars(index)
    expected_close = daily.loc[: pd.Timestamp(PAST), "close"].iloc[-1]
    assert figure_of(view.figure).data[0].close[-1] == pytest.approx(expected_close)
    assert view.read.close == pytest.approx(expected_close)
    if interval == "1d":
        assert last == daily.index[daily.index <= pd.Timestamp(PAST)][-1]


def test_as_of_midweek_marks_the_last_week_in_progress(services, index):
    view = chart_view(services, ViewState(ticker=index, as_of=PAST))
    texts = [annotation.text for annotation in figure_of(view.figure).layout.annotations]
    assert "in progress" in texts
    finished = chart_view(services, ViewState(ticker=index, as_of=date(2025, 3, 14)))
    assert "in progress" not in [a.text for a in figure_of(finished.figure).layout.annotations]


def test_daily_interval_has_about_five_times_the_bars_and_hides_weekends(services, index):
    weekly = chart_view(services, ViewState(ticker=index, interval="1wk", range="2y"))
    daily = chart_view(services, ViewState(ticker=index, interval="1d", range="2y"))
    ratio = len(_candles(figure_of(daily.figure))) / len(_candles(figure_of(weekly.figure)))
    assert 4.5 <= ratio <= 5.2
    assert figure_of(daily.figure).data[0].name == "Daily"
    assert figure_of(daily.figure).layout.xaxis.rangebreaks[0].bounds == ("sat", "mon")
    assert not figure_of(weekly.figure).layout.xaxis.rangebreaks
    assert all(day.weekday() < 5 for day in _candles(figure_of(daily.figure)))
    assert all(day.weekday() == 0 for day in _candles(figure_of(weekly.figure)))


def test_range_cuts_the_bars_shown_but_indicators_use_all_data(services, index):
    view = chart_view(services, ViewState(ticker=index, range="1y", indicators=("sma50", "macd")))
    shown = _candles(figure_of(view.figure))
    assert 52 <= len(shown) <= 53
    sma = _trace(figure_of(view.figure), "SMA 50")
    assert pd.Timestamp(sma.x[0]) == shown[0]
    assert not np.isnan(float(sma.y[0]))
    macd_line = np.asarray(_trace(figure_of(view.figure), "MACD").y, dtype=float)
    assert not np.isnan(macd_line).any()
    everything = chart_view(services, ViewState(ticker=index, range="max"))
    assert len(_candles(figure_of(everything.figure))) > 5 * 52


def test_chosen_indicators_decide_the_panels_and_the_overlays_shown(services, index):
    only = chart_view(services, ViewState(ticker=index, indicators=("rsi", "sma200")))
    assert {trace.name for trace in figure_of(only.figure).data} == {"Weekly", "RSI 14", "SMA 200"}
    assert not [shape for shape in figure_of(only.figure).layout.shapes if shape.type == "rect"]
    drawn = ("sma20", "sma50", "ema20", "bb", "channel")
    view = chart_view(services, ViewState(ticker=index, indicators=("rsi", "sma200")), False, drawn)
    visible = {trace.name for trace in figure_of(view.figure).data if trace.visible is not False}
    assert visible == {"Weekly", "RSI 14", "SMA 200"}
    hidden = {
        trace.meta["overlay"] for trace in figure_of(view.figure).data if trace.visible is False
    }
    assert hidden == set(drawn)
    (fit_window,) = [
        shape for shape in figure_of(view.figure).layout.shapes if shape.type == "rect"
    ]
    assert fit_window.visible is False and fit_window.name == "overlay:channel"


def test_log_scale_and_dark_theme_reach_the_figure(services, index):
    view = chart_view(services, ViewState(ticker=index, scale="log"), dark=True)
    assert figure_of(view.figure).layout.yaxis.type == "log"
    assert figure_of(view.figure).layout.template.layout.paper_bgcolor == "rgb(17,17,17)"


def test_anchored_channel_shades_the_window_up_to_the_anchor(services, index):
    anchor = date(2026, 8, 7)
    view = chart_view(services, ViewState(ticker=index, channel=52, channel_end=anchor))
    (rect,) = [shape for shape in figure_of(view.figure).layout.shapes if shape.type == "rect"]
    assert pd.Timestamp(rect.x1) <= pd.Timestamp(anchor)
    assert pd.Timestamp(rect.x1) > pd.Timestamp(anchor) - pd.Timedelta(days=7)
    upper = _trace(figure_of(view.figure), "52-week channel upper")
    assert pd.Timestamp(upper.x[-1]) == _candles(figure_of(view.figure))[-1]


def test_the_shaded_fit_window_stays_within_the_range_shown(services, index):
    view = chart_view(services, ViewState(ticker=index, range="1y"))
    first_shown = _candles(figure_of(view.figure))[0]
    (rect,) = [shape for shape in figure_of(view.figure).layout.shapes if shape.type == "rect"]
    explicit_range = figure_of(view.figure).layout.xaxis.range
    assert pd.Timestamp(rect.x0) >= first_shown or explicit_range is not None


@pytest.mark.parametrize("channel_end", [date(2000, 1, 3), date(2014, 11, 25)])
def test_a_channel_anchor_before_the_data_does_not_break_the_chart(services, index, channel_end):
    view = chart_view(services, ViewState(ticker=index, channel_end=channel_end))
    assert f"Channel end {channel_end} ignored" in view.message
    assert view.read is not None and view.read.channel is not None
    assert view.read.channel.fit_end == view.read.channel.last_date  # not anchored
    assert _trace(figure_of(view.figure), "104-week channel upper") is not None


def test_display_start():
    dates = pd.DatetimeIndex(pd.date_range("2020-01-06", periods=300, freq="W-MON"))
    assert display_start(dates, "max") is None
    assert display_start(dates, "1y") == dates[-1] - pd.Timedelta(weeks=52)
    assert display_start(pd.DatetimeIndex([]), "1y") is None
    last = dates[-1]  # Monday 2025-09-29
    assert display_start(dates, "ytd") == pd.Timestamp("2025-01-01")
    assert display_start(dates, "1m") == pd.Timestamp("2025-08-29")
    assert display_start(dates, "6m") == last - pd.DateOffset(months=6)


def test_the_monthly_interval_draws_months_built_from_daily_bars(services, index):
    view = chart_view(services, ViewState(ticker=index, interval="1mo", range="2y", as_of=PAST))
    candles = figure_of(view.figure).data[0]
    months = pd.DatetimeIndex(candles.x)
    assert candles.name == "Monthly" and (months.day == 1).all()
    assert months[-1] == pd.Timestamp("2025-03-01") and 23 <= len(months) <= 25
    daily = services.market.daily_bars(index).loc[:"2025-03-12"]
    assert candles.close[-1] == pytest.approx(daily["close"].iloc[-1])
    assert candles.high[-1] == pytest.approx(daily.loc["2025-03-01":, "high"].max())
    assert "in progress" in [a.text for a in figure_of(view.figure).layout.annotations]
    assert figure_of(view.figure).layout.xaxis.hoverformat == "%B %Y"
    assert "Monthly bars · as of 2025-03-12" in figure_of(view.figure).layout.title.subtitle.text


@pytest.mark.parametrize("range_", ["1m", "3m", "6m", "ytd"])
def test_short_ranges_draw_the_bars_since_their_start(services, index, range_):
    view = chart_view(services, ViewState(ticker=index, interval="1d", range=range_, as_of=PAST))
    days = pd.DatetimeIndex(figure_of(view.figure).data[0].x)
    start = {"1m": "2025-02-12", "3m": "2024-12-12", "6m": "2024-09-12", "ytd": "2025-01-01"}
    assert days[0] >= pd.Timestamp(start[range_]) and days[0] - pd.Timestamp(start[range_]) < (
        pd.Timedelta(days=5)
    )


# Compare


def test_compare_defaults_to_the_demo_benchmark(services, index):
    figure, message, _ = compare_view(services, ViewState(ticker=index))
    benchmark = services.market.benchmark_ticker
    assert message == ""
    assert [trace.name for trace in figure.data] == [index, benchmark, f"{index} / {benchmark}"]
    assert figure.data[0].y[0] == pytest.approx(100.0)
    assert figure.data[1].y[0] == pytest.approx(100.0)
    assert SIMULATED_LABEL in [annotation.text for annotation in figure.layout.annotations]


def test_compare_with_itself_falls_back_to_the_index(services, index):
    benchmark = services.market.benchmark_ticker
    figure, message, _ = compare_view(services, ViewState(ticker=benchmark, compare=benchmark))
    assert message == ""
    assert [trace.name for trace in figure.data][:2] == [benchmark, index]


def test_compare_against_an_unknown_ticker_says_so(services, index):
    figure, message, _ = compare_view(services, ViewState(ticker=index, compare="NOSUCH"))
    assert "NOSUCH" in message
    assert len(figure.data) == 0


def test_compare_follows_the_range(services, index):
    short, _, _ = compare_view(services, ViewState(ticker=index, range="1y"))
    long, _, _ = compare_view(services, ViewState(ticker=index, range="5y"))
    assert 4 * len(short.data[0].x) < len(long.data[0].x) < 6 * len(short.data[0].x)


def test_comparing_the_index_with_itself_uses_the_benchmark(services, index):
    figure, _, _ = compare_view(services, ViewState(ticker=index, compare=index))
    assert [trace.name for trace in figure.data][:2] == [index, services.market.benchmark_ticker]


# The read


def test_read_figures_label_the_key_numbers_with_tones(default_view):
    read = default_view.read
    figures = read_figures(read)
    labels = [label for label, _, _ in figures]
    assert labels == ["Close", "From high", "vs 50-wk avg", "MACD / signal", "RSI 14", "Channel"]
    values = {label: (value, tone) for label, value, tone in figures}
    assert values["Close"] == (f"{read.close:,.2f}", "")
    assert values["From high"] == (f"{read.drawdown_pct:+.1f}%".replace("-", "\u2212"), "down")
    assert values["Channel"] == (read.channel.position, "down")
    assert values["RSI 14"] == (f"{read.rsi14:.1f}", "down" if read.rsi14 < 40 else "")


def test_read_figure_tones_follow_the_numbers(default_view):
    read = default_view.read
    at_high = replace(read, drawdown_pct=0.0, rsi14=65.0, macd=2.0, macd_signal=1.0)
    tones = {label: tone for label, _, tone in read_figures(at_high)}
    assert tones["From high"] == "" and tones["RSI 14"] == "up" and tones["MACD / signal"] == "up"
    neutral = replace(read, rsi14=50.0, sma50w=read.close * 0.9)
    values = {label: (value, tone) for label, value, tone in read_figures(neutral)}
    assert values["RSI 14"][1] == ""
    assert values["vs 50-wk avg"] == ("+11.1%", "up")
    short = replace(read, sma50w=None, macd=None, rsi14=None, channel=None)
    assert [label for label, _, _ in read_figures(short)] == ["Close", "From high"]


def test_read_content_shows_the_message_without_a_read(default_view):
    children = read_content(None, "No chart for X.")
    assert [child.children for child in children if isinstance(child, html.P)] == [
        "No chart for X."
    ]
    with_read = read_content(default_view.read, "")
    paragraphs = [child.children for child in with_read if isinstance(child, html.P)]
    assert paragraphs == [default_view.read.summary]


# Movers


@pytest.fixture(scope="module")
def ytd(services, index):
    return movers_view(services, ViewState(ticker=index))


def _best(view: MoversView) -> list[dict[str, Any]]:
    """The top table's rows as the browser makes them from the columns sent once."""
    ranked = view.ranked
    fields = [f for f in ranked if f not in ("sectors", "sector")]
    return [
        {**{f: ranked[f][i] for f in fields}, "sector": ranked["sectors"][ranked["sector"][i]]}
        for i in range(len(ranked.get("ticker", [])))
    ]


def _worst(view: MoversView) -> list[dict[str, Any]]:
    """The laggards table's rows: the same, worst first."""
    return _best(view)[::-1]


def test_movers_rank_every_constituent_best_and_worst_first_with_seven_columns(ytd):
    ranked = int(ytd.note.split(" constituents ranked")[0].split()[-1])
    assert len(_best(ytd)) == len(_worst(ytd)) == ranked > 1000
    for row in _best(ytd) + _worst(ytd):
        assert set(row) == MOVER_KEYS
    top = [row["return_pct"] for row in _best(ytd)]
    bottom = [row["return_pct"] for row in _worst(ytd)]
    assert top == sorted(top, reverse=True)
    assert bottom == sorted(bottom)
    assert {row["ticker"] for row in _best(ytd)} == {row["ticker"] for row in _worst(ytd)}
    assert all(isinstance(value, float) for value in top)
    assert "Contributions add up to" in ytd.note and "the index's own return" in ytd.note


def test_movers_ranked_by_contribution_and_the_note_gives_both_sums(services, index):
    view = movers_view(services, ViewState(ticker=index), rank="contribution")
    top = [row["contribution_pct"] for row in _best(view)]
    bottom = [row["contribution_pct"] for row in _worst(view)]
    assert top == sorted(top, reverse=True) and bottom == sorted(bottom)
    assert top[0] == max(top + bottom) and bottom[0] == min(top + bottom)
    assert "Ranked by contribution." in view.note
    by_return = movers_view(services, ViewState(ticker=index))
    first = [r["ticker"] for r in _best(view)[:15]]
    assert first != [r["ticker"] for r in _best(by_return)[:15]]


def test_movers_note_names_the_period_and_says_simulated(services, ytd):
    last = services.market.closes().index[-1]
    assert "simulated" in ytd.note
    assert "YTD" in ytd.note
    assert f"{last.year - 1}-12-31" in ytd.note and f"{last:%Y-%m-%d}" in ytd.note


def test_movers_sector_chart_and_holdings(services, ytd):
    universe = services.market.universe()
    (bars,) = figure_of(ytd.sectors).data
    assert sorted(bars.y) == sorted(universe["sector"].unique())
    assert SIMULATED_LABEL in [
        annotation.text for annotation in figure_of(ytd.sectors).layout.annotations
    ]
    assert len(ytd.holdings) == 10
    assert ytd.holdings["weight"].tolist() == universe["weight"].nlargest(10).tolist()


def test_included_sector_fills_both_tables_and_is_outlined(services, index):
    view = movers_view(services, ViewState(ticker=index, include=("Energy",)))
    assert _best(view) and _worst(view)
    assert {row["sector"] for row in _best(view) + _worst(view)} == {"Energy"}
    assert "only Energy" in view.note
    widths = dict(
        zip(
            figure_of(view.sectors).data[0].y,
            figure_of(view.sectors).data[0].marker.line.width,
            strict=True,
        )
    )
    assert widths["Energy"] > 0 and sum(widths.values()) == widths["Energy"]


def test_excluded_sectors_leave_both_tables(services, index, ytd):
    assert {"Health Care", "Financials"} & {row["sector"] for row in _best(ytd) + _worst(ytd)}
    state = ViewState(ticker=index, exclude=("Health Care", "Financials"))
    view = movers_view(services, state)
    assert len(_best(view)) == len(_worst(view)) > 15
    sectors = {row["sector"] for row in _best(view) + _worst(view)}
    assert not sectors & {"Health Care", "Financials"}
    assert "excluding Health Care, Financials" in view.note
    assert "biotech" in view.note


def test_as_of_and_period_change_the_ranking(services, index, ytd):
    past = movers_view(services, ViewState(ticker=index, as_of=PAST, period="1m"))
    assert "1M" in past.note and "2025-02-12" in past.note and "2025-03-12" in past.note
    assert [row["ticker"] for row in _best(past)] != [row["ticker"] for row in _best(ytd)]
    closes = services.market.closes()
    first = _best(past)[0]
    series = closes[first["ticker"]].dropna()
    base = series.loc[: pd.Timestamp("2025-02-12")].iloc[-1]
    end = series.loc[: pd.Timestamp(PAST)].iloc[-1]
    assert first["last_price"] == pytest.approx(end)
    assert first["return_pct"] == pytest.approx((end / base - 1) * 100)


def test_movers_from_a_date(services, index):
    view = movers_view(services, ViewState(ticker=index, period="2026-01-02"))
    assert "since 2026-01-02" in view.note
    assert len(_best(view)) > 15 and view.as_of > "2026-01-02"


def test_movers_from_before_the_stored_prices_say_why_they_are_few(tmp_path: Path):
    settings = Settings(cache_dir=tmp_path, universe_years=2)
    store = Store(tmp_path / "fake")
    refresh(FakeProvider(["AAA", "BBB"]), store, today=date(2025, 6, 4), universe_years=2)
    source = ResolvedSource(FakeProvider(), store, CACHED, "stored fake")
    stored = Services(settings=settings, market=MarketData(source))

    early = movers_view(stored, ViewState(ticker="IDX", period="2021-01-04"))
    assert _best(early) == []
    assert (
        "Most constituents' prices start on 2023-06-05, after this period's start (2021-01-04):"
        " those are left out. Constituents are fetched with 2 years of history"
        " (R2K_UNIVERSE_YEARS); raise it and refresh to rank from earlier dates."
    ) in early.note
    within = movers_view(stored, ViewState(ticker="IDX", period="2024-01-02"))
    assert len(_best(within)) == 2
    assert "prices start on" not in within.note


def test_movers_without_a_stored_universe_say_so(tmp_path: Path):
    settings = Settings(source="yahoo", cache_dir=tmp_path)

    def no_network(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("the test touched the network")

    provider = YahooProvider(settings, download=no_network, fetch_holdings=no_network)
    source = ResolvedSource(provider, Store(tmp_path / "yahoo"), CACHED, "Yahoo (stored copy)")
    empty = Services(settings=settings, market=MarketData(source))
    view = movers_view(empty, ViewState(ticker="IWM"))
    assert view.note.startswith("No constituents stored yet")
    assert _best(view) == [] and _worst(view) == []
    assert view.holdings.empty
    assert len(figure_of(view.sectors).data) == 0


def test_period_label():
    assert period_label("ytd") == "YTD"
    assert period_label("1w") == "1W"
    assert period_label("2025-01-02") == "since 2025-01-02"


def test_selected_ids_mark_the_charted_ticker():
    assert selected_ids("?ticker=abcd&period=1m", "IWM") == {"ids": ["ABCD"]}
    assert selected_ids(None, "IWM") == {"ids": ["IWM"]}
    assert selected_ids("?ticker=%3Cscript%3E", "IWM") == {"ids": ["IWM"]}


def test_each_csv_button_exports_only_its_own_table():
    sides = [ids.TOP, ids.BOTTOM]
    assert export_flags(ids.MOVERS_EXPORT, sides) == [True, no_update]
    assert export_flags(ids.LAGGARDS_EXPORT, sides) == [no_update, True]
    assert export_flags(ids.LAGGARDS_EXPORT, []) == [], "no tables yet: nothing to export"
    assert export_flags(None, sides) == [no_update, no_update]


def test_a_table_click_is_named_by_its_pattern_whichever_table_it_is():
    assert trigger_name(ids.movers_table(ids.BOTTOM)) == ids.MOVERS_TABLE
    assert trigger_name({"type": "something-else", "side": "top"}) is None
    assert trigger_name(ids.TICKER_INPUT) == ids.TICKER_INPUT
    assert trigger_name(None) is None


def test_a_table_id_names_only_the_two_sides():
    assert ids.movers_table(ids.TOP) == {"type": ids.MOVERS_TABLE, "side": "top"}
    with pytest.raises(ValueError, match="side must be"):
        ids.movers_table("middle")


def test_csv_file_names_say_period_date_filter_and_side():
    state = ViewState(ticker="IWM", exclude=("Health Care",))
    name = csv_file_name(state, "2025-04-01", ids.TOP)
    assert name == "r2k-movers-ytd-2025-04-01-excl-health-care-top.csv"
    state = ViewState(ticker="IWM", period="2025-01-02", include=("Information Technology",))
    assert csv_file_name(state, "2025-04-01", ids.BOTTOM) == (
        "r2k-movers-from-2025-01-02-2025-04-01-only-information-technology-bottom.csv"
    )
    with pytest.raises(ValueError, match="side must be"):
        csv_file_name(state, "2025-04-01", "left")
