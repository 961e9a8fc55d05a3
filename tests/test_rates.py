"""Treasury yields on the Relative tab: the demo's simulated yields, the figure, the view."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from app import create_services
from callbacks.chart import compare_view
from callbacks.services import Services
from callbacks.view import needs_redraw
from charts.compare import compare_figure
from components.view_state import parse_query
from market.bars import validate_bars
from market.demo import DemoProvider
from market.demo_rates import simulated_yields
from market.tickers import RATE_TICKERS
from settings import Settings

TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return create_services(Settings(source="demo", cache_dir=tmp_path_factory.mktemp("cache")))


def test_simulated_yields_are_valid_bars_the_same_for_a_seed():
    dates = pd.bdate_range("2015-01-01", periods=500, name="date")
    first, again = simulated_yields(dates, 1), simulated_yields(dates, 1)
    assert set(first) == set(RATE_TICKERS)
    for ticker, bars in first.items():
        validate_bars(bars)
        pd.testing.assert_frame_equal(bars, again[ticker])
        assert bars.index.equals(dates)
        assert (bars["close"] > 0).all() and (bars["close"] < 10).all()
    assert not first["^TNX"].equals(simulated_yields(dates, 2)["^TNX"])
    with pytest.raises(ValueError, match="DatetimeIndex"):
        simulated_yields(pd.DatetimeIndex([]), 1)


def test_the_demo_market_answers_for_the_yields_in_a_window():
    demo = DemoProvider()
    result = demo.bars(["^IRX", "^tnx"], start=date(2024, 1, 1), end=date(2024, 6, 30))
    assert set(result.bars) == {"^IRX", "^tnx"}
    tnx = result.bars["^tnx"]
    assert tnx.index[0] >= pd.Timestamp("2024-01-01")
    assert tnx.index[-1] <= pd.Timestamp("2024-06-30")
    assert demo.simulated


def test_yields_go_on_a_second_axis_of_the_ratio_panel_and_say_simulated():
    dates = pd.bdate_range("2024-01-01", periods=60, name="date")
    subject = pd.Series(np.linspace(100, 120, 60), index=dates, name="AAA")
    benchmark = pd.Series(np.linspace(100, 110, 60), index=dates, name="BBB")
    yields = {"10-year Treasury (^TNX)": pd.Series(np.linspace(4.0, 3.5, 60), index=dates)}
    figure = compare_figure(subject, benchmark, simulated=True, yields=yields)
    names = [trace.name for trace in figure.data]
    assert names == ["AAA", "BBB", "AAA / BBB", "10-year Treasury (^TNX)"]
    yield_trace = figure.data[-1]
    ratio_trace = figure.data[2]
    assert yield_trace.yaxis != ratio_trace.yaxis and yield_trace.xaxis == ratio_trace.xaxis
    axis = figure.layout[yield_trace.yaxis.replace("y", "yaxis")]
    assert axis.title.text == "Yield % (simulated)"
    plain = compare_figure(subject, benchmark)
    assert [trace.name for trace in plain.data] == ["AAA", "BBB", "AAA / BBB"]


def test_the_view_with_rates_draws_the_three_yields(services):
    state = parse_query("?ticker=DEMO-R2K&ind=sma50,rates", "DEMO-R2K", TODAY)
    assert state.rates and "rates" not in state.panels
    figure, problem, _ = compare_view(services, state)
    assert problem == ""
    names = [trace.name for trace in figure.data]
    assert [name for name in names if "Treasury" in name or "T-bill" in name] == [
        f"{label} ({ticker})" for ticker, label in RATE_TICKERS.items()
    ]
    without = replace(state, indicators=("sma50",))
    assert needs_redraw(without, state, ("sma50",))
    assert not needs_redraw(state, state, ("sma50",))
