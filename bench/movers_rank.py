"""Figure 4: movers of 2,000 tickers over one year of daily closes, YTD, with a sector filter.

Measured: ``analysis.movers.movers`` on the demo market's closes cut to the last year,
excluding Health Care (the "exclude biotech" filter). Floor: the same ranking in bare numpy
(base and last close by row position, a boolean sector mask, one argsort).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.movers import movers, period_start
from bench.report import Row
from bench.timing import CPU, paired
from market.demo import DemoProvider

FIGURE = "4 Movers"
EXCLUDED = ("Health Care",)
TOP_N = 15


def last_year(closes: pd.DataFrame) -> pd.DataFrame:
    """The closes of the last 365 days (enough for YTD: the base is last year's close)."""
    start = closes.index[-1] - pd.DateOffset(years=1)
    return closes.loc[closes.index >= start]


def floor_movers(closes: pd.DataFrame, universe: pd.DataFrame) -> pd.DataFrame:
    """Top and bottom ``TOP_N`` by YTD return, the least work that ranks the same tickers."""
    end = closes.index[-1]
    base_row = int(closes.index.searchsorted(period_start("YTD", end), side="right")) - 1
    keep = ~universe["sector"].isin(EXCLUDED).to_numpy()
    tickers = universe["ticker"].to_numpy()[keep]
    values = closes.loc[:, tickers].to_numpy()
    returns = values[-1] / values[base_row] - 1.0
    order = np.argsort(np.where(np.isnan(returns), -np.inf, returns))[::-1]
    top = order[:TOP_N]
    bottom = np.argsort(np.where(np.isnan(returns), np.inf, returns))[:TOP_N]
    rows = np.concatenate([top, bottom])
    return pd.DataFrame({"ticker": tickers[rows], "return_pct": 100.0 * returns[rows]})


def measure(repeat: int = 50) -> list[Row]:
    """Median time of ``movers`` and of its numpy floor on the same data."""
    provider = DemoProvider()
    closes = last_year(provider.closes())
    universe = provider.universe()

    def ours() -> object:
        return movers(closes, universe, "YTD", exclude_sectors=EXCLUDED, n=TOP_N)

    ours_s, floor_s = paired(
        ours, lambda: floor_movers(closes, universe), repeat, warmup=5, clock=CPU
    )
    shape = f"{closes.shape[1]:,} tickers x {closes.shape[0]} days; CPU time, median of {repeat}"
    return [
        Row(FIGURE, "YTD ranking", ours_s * 1e3, "ms", floor_s * 1e3, goal_value=20.0, note=shape)
    ]
