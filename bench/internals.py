"""Figure 12: market internals on the demo market's 2,000 constituents.

Measured, in CPU time: ``analysis.breadth.breadth_series`` over the last ten years of daily
closes (about 2,520 sessions), ``analysis.screen.screen`` over the whole history, and
``analysis.contributions.contributions`` YTD on one year, given the movers' ranking (as the
page does). Floors: the
least numpy that reads every value once for the same question (a pass of comparisons over
the panel for breadth; a 104-row least-squares slope for the screen; base / last prices and
one weighted sum for contributions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.breadth import breadth_series
from analysis.contributions import contributions
from analysis.movers import movers
from analysis.screen import screen
from bench.movers_rank import EXCLUDED, last_year
from bench.report import Row
from bench.timing import CPU, paired
from market.demo import DemoProvider

FIGURE = "12 Internals"
SESSIONS = 2520


def _floor_breadth(values: np.ndarray) -> object:
    with np.errstate(invalid="ignore"):
        return (values[1:] > values[:-1]).sum(axis=1)


def _floor_screen(values: np.ndarray) -> object:
    window = values[-104:]
    x = np.arange(104.0)[:, None] - 51.5
    return (x * (window - np.nanmean(window, axis=0))).sum(axis=0)


def _floor_contributions(closes: pd.DataFrame, universe: pd.DataFrame) -> object:
    values = closes.loc[:, universe["ticker"]].to_numpy()
    weights = universe["weight"].to_numpy() * values[0] / values[-1]
    return np.nansum(weights * (values[-1] / values[0] - 1.0)) / np.nansum(weights)


def measure(repeat: int = 7) -> list[Row]:
    """Median CPU time of each internal and of its floor, on the same data."""
    provider = DemoProvider()
    closes = provider.closes()
    universe = provider.universe()
    decade = closes.iloc[-SESSIONS:]
    year = last_year(closes)
    decade_values, weekly_values = decade.to_numpy(), closes.iloc[::5].to_numpy()
    breadth_s, breadth_floor = paired(
        lambda: breadth_series(decade),
        lambda: _floor_breadth(decade_values),
        repeat,
        warmup=1,
        clock=CPU,
    )
    screen_s, screen_floor = paired(
        lambda: screen(closes, universe),
        lambda: _floor_screen(weekly_values),
        repeat,
        warmup=1,
        clock=CPU,
    )
    ranking = movers(year, universe, "YTD", exclude_sectors=EXCLUDED, n=len(universe))
    share_s, share_floor = paired(
        lambda: contributions(year, ranking),
        lambda: _floor_contributions(year, universe),
        repeat * 5,
        warmup=2,
        clock=CPU,
    )
    tickers = f"{closes.shape[1]:,} tickers"
    return [
        Row(
            FIGURE,
            "breadth series, daily",
            breadth_s * 1e3,
            "ms",
            breadth_floor * 1e3,
            goal_value=200.0,
            note=f"{tickers} x {decade.shape[0]} sessions; CPU time, median of {repeat}",
        ),
        Row(
            FIGURE,
            "technical screen",
            screen_s * 1e3,
            "ms",
            screen_floor * 1e3,
            goal_value=500.0,
            note=f"{tickers} x {closes.shape[0]} sessions; CPU time, median of {repeat}",
        ),
        Row(
            FIGURE,
            "contributions YTD",
            share_s * 1e3,
            "ms",
            share_floor * 1e3,
            goal_value=20.0,
            note=f"{tickers} x {year.shape[0]} days; CPU time, median of {repeat * 5}",
        ),
    ]
