"""Contributions against a universe built so that they must add up to the index's return.

The "index" holds fixed share counts of four constituents; the holdings weights are their
market values on the last day (what the iShares file gives). Scaling those weights back by
each price change gives the start-of-period market values exactly, so the contributions add
up to the index's own return over any period, as of any date, and within any sector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.contributions import CONTRIBUTION_COLUMNS, contributions, index_return_pct
from analysis.movers import movers
from tests.analysis_fakes import random_walk

SESSIONS = 400
SHARES = {"AAA": 3.0, "BBB": 1.0, "CCC": 7.0, "DDD": 2.0}
SECTORS = {"AAA": "Financials", "BBB": "Financials", "CCC": "Energy", "DDD": "Energy"}


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    dates = pd.bdate_range("2023-01-02", periods=SESSIONS, name="date")
    return pd.DataFrame(
        {ticker: random_walk(SESSIONS, seed=10 + i, vol=0.02) for i, ticker in enumerate(SHARES)},
        index=dates,
    )


def _universe(closes: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    value = pd.Series({t: SHARES[t] * closes[t].iloc[-1] for t in tickers})
    return pd.DataFrame(
        {
            "ticker": tickers,
            "name": [f"{t} Inc." for t in tickers],
            "sector": [SECTORS[t] for t in tickers],
            "weight": (value / value.sum()).to_numpy(),
        }
    )


def _contributions(closes: pd.DataFrame, universe: pd.DataFrame, period: str, **filters):
    """Contributions as the page computes them: from a ranking of every constituent."""
    return contributions(closes, movers(closes, universe, period, n=len(universe), **filters))


def _index(closes: pd.DataFrame, tickers: list[str]) -> pd.Series:
    return sum(SHARES[t] * closes[t] for t in tickers)


@pytest.mark.parametrize(
    ("period", "as_of"),
    [("YTD", None), ("1M", None), ("3M", "2023-09-29"), ("1Y", None), ("2023-03-15", "2023-11-01")],
)
def test_contributions_add_up_to_the_index_return(closes, period, as_of):
    universe = _universe(closes, list(SHARES))
    result = _contributions(closes, universe, period, as_of=as_of)
    expected = index_return_pct(_index(closes, list(SHARES)), period, as_of)
    assert expected is not None
    assert result.total_pct == pytest.approx(expected, abs=1e-9)
    assert result.rows["contribution_pct"].sum() == pytest.approx(expected, abs=1e-9)
    assert result.left_out == 0


def test_each_row_is_its_start_weight_times_its_return(closes):
    universe = _universe(closes, list(SHARES))
    result = _contributions(closes, universe, "3M")
    start = result.start
    base = closes.loc[:start].iloc[-1]
    last = closes.iloc[-1]
    value = pd.Series(SHARES) * base
    weight = value / value.sum()
    returns = 100.0 * (last / base - 1.0)
    rows = result.rows.set_index("ticker")
    assert tuple(result.rows.columns) == CONTRIBUTION_COLUMNS
    np.testing.assert_allclose(rows["start_weight"], weight[rows.index], rtol=1e-12)
    np.testing.assert_allclose(rows["return_pct"], returns[rows.index], rtol=1e-12)
    np.testing.assert_allclose(
        rows["contribution_pct"], (weight * returns)[rows.index], rtol=1e-12, atol=1e-12
    )
    assert list(result.rows["contribution_pct"]) == sorted(
        result.rows["contribution_pct"], reverse=True
    )
    top, bottom = result.ranked(True, 1), result.ranked(False, 1)
    assert top["contribution_pct"].iloc[0] == rows["contribution_pct"].max()
    assert bottom["contribution_pct"].iloc[0] == rows["contribution_pct"].min()


def test_a_sector_filter_renormalises_over_that_sector(closes):
    universe = _universe(closes, list(SHARES))
    result = _contributions(closes, universe, "YTD", include_sectors=["Energy"])
    expected = index_return_pct(_index(closes, ["CCC", "DDD"]), "YTD")
    assert set(result.rows["ticker"]) == {"CCC", "DDD"}
    assert result.rows["start_weight"].sum() == pytest.approx(1.0)
    assert result.total_pct == pytest.approx(expected, abs=1e-9)
    excluded = _contributions(closes, universe, "YTD", exclude_sectors="Energy")
    assert set(excluded.rows["ticker"]) == {"AAA", "BBB"}


def test_a_ticker_listed_mid_period_is_left_out_and_counted(closes):
    late = closes.copy()
    late.iloc[:300, late.columns.get_loc("DDD")] = np.nan
    universe = _universe(closes, list(SHARES))
    result = _contributions(late, universe, "1Y")
    assert "DDD" not in set(result.rows["ticker"])
    assert result.left_out == 1
    assert result.rows["start_weight"].sum() == pytest.approx(1.0)


def test_the_index_return_needs_both_ends_and_a_series(closes):
    index = _index(closes, list(SHARES))
    assert index_return_pct(index, "2022-01-03", "2022-06-01") is None
    assert index_return_pct(index.iloc[:0], "YTD") is None
    with pytest.raises(ValueError, match="Series"):
        index_return_pct(closes, "YTD")  # type: ignore[arg-type]


def test_a_partial_ranking_is_refused(closes):
    universe = _universe(closes, list(SHARES))
    with pytest.raises(ValueError, match="every ranked constituent"):
        contributions(closes, movers(closes, universe, "YTD", n=2))
