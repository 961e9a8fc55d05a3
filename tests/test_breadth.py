"""Breadth against a direct, ticker-by-ticker pandas computation on a small hand-made panel.

The panel holds a full-history ticker, one listed mid-period, one that stops trading before
the end, a flat one (ties everywhere: at its average, at its high and low, unchanged) and one
that keeps touching the same high, so every rule about ties and missing ends is exercised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.breadth import BREADTH_COLUMNS, breadth_at, breadth_series
from analysis.rolling import rolling_mean
from analysis.window_counts import weekly_average_counts, window_counts
from tests.analysis_fakes import random_walk

SESSIONS = 420
TOL = 1e-9


def _panel() -> pd.DataFrame:
    dates = pd.bdate_range("2021-01-04", periods=SESSIONS, name="date")
    listed = random_walk(SESSIONS, seed=2)
    listed[:150] = np.nan
    delisted = random_walk(SESSIONS, seed=3)
    delisted[-25:] = np.nan
    capped = np.minimum(random_walk(SESSIONS, seed=4, vol=0.01), 104.0)
    return pd.DataFrame(
        {
            "FULL": random_walk(SESSIONS, seed=1),
            "LATE": listed,
            "GONE": delisted,
            "FLAT": np.full(SESSIONS, 20.0),
            "CAP": capped,
        },
        index=dates,
    )


def _monday(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return dates - pd.to_timedelta(dates.day_of_week, unit="D")


def _expected_row(panel: pd.DataFrame, row: int) -> dict[str, float]:
    """Breadth at session ``row`` computed ticker by ticker from the definitions."""
    day = panel.index[row]
    above50 = counted50 = above200 = counted200 = highs = lows = counted_hl = 0
    up = down = counted_ad = 0
    for ticker in panel.columns:
        history = panel[ticker].iloc[: row + 1]
        close = history.iloc[-1]
        if np.isnan(close):
            continue
        weekly = history.groupby(_monday(pd.DatetimeIndex(history.index))).last()
        last50 = weekly.iloc[-50:]
        if len(last50) == 50 and last50.notna().all():
            counted50 += 1
            above50 += close > last50.mean() * (1 + TOL)
        last200 = history.iloc[-200:]
        if len(last200) == 200 and last200.notna().all():
            counted200 += 1
            above200 += close > last200.mean() * (1 + TOL)
        last252 = history.iloc[-252:]
        if len(last252) == 252 and last252.notna().all():
            counted_hl += 1
            highs += close == last252.max()
            lows += close == last252.min()
        if row > 0 and not np.isnan(history.iloc[-2]):
            counted_ad += 1
            up += close > history.iloc[-2]
            down += close < history.iloc[-2]
    del day
    return {
        "above_sma50w_pct": 100.0 * above50 / counted50 if counted50 else np.nan,
        "sma50w_count": counted50,
        "above_sma200d_pct": 100.0 * above200 / counted200 if counted200 else np.nan,
        "sma200d_count": counted200,
        "new_highs_52w": highs,
        "new_lows_52w": lows,
        "highs_lows_count": counted_hl,
        "advancers": up,
        "decliners": down,
        "ad_count": counted_ad,
    }


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="module")
def daily(panel: pd.DataFrame) -> pd.DataFrame:
    return breadth_series(panel)


@pytest.mark.parametrize("row", [0, 1, 149, 150, 199, 251, 252, 260, 300, 349, 394, 395, 419])
def test_daily_breadth_matches_a_ticker_by_ticker_computation(panel, daily, row):
    expected = _expected_row(panel, row)
    got = daily.iloc[row]
    for column, value in expected.items():
        if np.isnan(value):
            assert np.isnan(got[column]), column
        else:
            assert got[column] == pytest.approx(value, abs=1e-9), column


def test_the_columns_and_the_ad_line_accumulate_advances_minus_declines(panel, daily):
    assert tuple(daily.columns) == BREADTH_COLUMNS
    net = pd.Series(
        [
            _expected_row(panel, row)["advancers"] - _expected_row(panel, row)["decliners"]
            for row in range(0, 40)
        ]
    )
    assert daily["ad_line"].iloc[:40].tolist() == net.cumsum().tolist()
    assert (daily["net_highs_52w"] == daily["new_highs_52w"] - daily["new_lows_52w"]).all()


def test_a_flat_ticker_is_never_above_its_average_nor_an_advancer(panel):
    flat = breadth_series(panel[["FLAT"]])
    assert flat["above_sma200d_pct"].dropna().eq(0.0).all()
    assert flat["above_sma50w_pct"].dropna().eq(0.0).all()
    assert flat["advancers"].eq(0).all() and flat["decliners"].eq(0).all()
    # A flat close is both the highest and the lowest of its 52 weeks.
    counted = flat["highs_lows_count"] == 1
    assert counted.sum() == SESSIONS - 251
    assert flat.loc[counted, "new_highs_52w"].eq(1).all()
    assert flat.loc[counted, "new_lows_52w"].eq(1).all()


def test_a_ticker_listed_mid_period_joins_once_it_has_the_history(daily):
    # LATE's first close is row 150: it joins the 200-day count at row 349, not before.
    assert daily["sma200d_count"].iloc[348] == 4
    assert daily["sma200d_count"].iloc[349] == 5


def test_a_ticker_that_stopped_trading_leaves_every_count(daily):
    assert daily["ad_count"].iloc[394] == 5
    assert daily["ad_count"].iloc[395] == 4
    assert daily["highs_lows_count"].iloc[-1] == 4


def test_as_of_ignores_later_data_and_the_snapshot_is_the_series_row(panel, daily):
    as_of = panel.index[300]
    changed = panel.copy()
    changed.iloc[301:] = changed.iloc[301:] * 3.0
    series = breadth_series(changed, as_of=as_of)
    pd.testing.assert_frame_equal(series, daily.iloc[:301])
    snapshot = breadth_at(changed, as_of + pd.Timedelta(hours=5))
    row = daily.iloc[300]
    assert snapshot.as_of == as_of
    assert snapshot.constituents == 5
    assert snapshot.above_sma50w_pct == pytest.approx(row["above_sma50w_pct"])
    assert snapshot.above_sma200d_pct == pytest.approx(row["above_sma200d_pct"])
    assert (snapshot.new_highs_52w, snapshot.new_lows_52w) == (
        row["new_highs_52w"],
        row["new_lows_52w"],
    )
    assert (snapshot.advancers, snapshot.decliners) == (row["advancers"], row["decliners"])
    assert snapshot.to_dict()["counts"]["sma200d"] == row["sma200d_count"]


def test_weekly_rows_use_weekly_closes_for_the_average_and_the_advances(panel, daily):
    weekly = breadth_series(panel, interval="1wk")
    closes = panel.groupby(_monday(pd.DatetimeIndex(panel.index))).last()
    assert (weekly.index.day_of_week == 0).all()
    assert weekly.index.equals(pd.DatetimeIndex(closes.index, name="date"))
    sma = closes.rolling(50).mean()
    above = (closes > sma * (1 + TOL)) & sma.notna()
    counted = sma.notna().sum(axis=1)
    expected = (100.0 * above.sum(axis=1) / counted).where(counted > 0)
    np.testing.assert_allclose(weekly["above_sma50w_pct"], expected, equal_nan=True)
    change = closes - closes.shift(1)
    assert weekly["advancers"].tolist() == (change > 0).sum(axis=1).tolist()
    assert weekly["decliners"].tolist() == (change < 0).sum(axis=1).tolist()
    # The other measures are the daily ones at each week's last session.
    last_sessions = pd.Series(panel.index, index=_monday(pd.DatetimeIndex(panel.index)))
    last_sessions = last_sessions.groupby(level=0).last()
    assert weekly["sma200d_count"].tolist() == daily.loc[last_sessions, "sma200d_count"].tolist()


def test_the_window_functions_agree_with_pandas_rolling(panel):
    values = panel.to_numpy()
    gapped = values.copy()
    gapped[200:203, 0] = np.nan  # a gap inside a column: its windows are not full for a while
    for window in (1, 5, 200, 252):
        for array in (values, gapped):
            frame = pd.DataFrame(array)
            rolling = frame.rolling(window, min_periods=window)
            np.testing.assert_allclose(rolling_mean(array, window), rolling.mean(), equal_nan=True)
            counts = window_counts(array, window, window)
            mean, high, low = rolling.mean(), rolling.max(), rolling.min()
            assert counts[:, 0].tolist() == (mean.notna() & frame.notna()).sum(axis=1).tolist()
            above = (frame > mean * (1 + TOL)) & mean.notna()
            assert counts[:, 1].tolist() == above.sum(axis=1).tolist()
            assert counts[:, 3].tolist() == ((frame >= high) & high.notna()).sum(axis=1).tolist()
            assert counts[:, 4].tolist() == ((frame <= low) & low.notna()).sum(axis=1).tolist()


def test_the_weekly_average_counts_agree_with_pandas_weeks(panel):
    gapped = panel.copy()
    gapped.iloc[300:303, 0] = np.nan  # a Friday among them: that week closes on an earlier day
    gapped.iloc[::7, 1] = np.nan
    mondays = _monday(pd.DatetimeIndex(gapped.index))
    weeks = np.r_[0, np.cumsum(mondays[1:] != mondays[:-1])]
    for window in (2, 10, 50):
        counts = weekly_average_counts(gapped.to_numpy(), weeks, window)
        weekly = gapped.groupby(mondays).last()
        earlier = weekly.rolling(window - 1, min_periods=window - 1).sum().shift(1)
        average = (earlier.loc[mondays].to_numpy() + gapped.to_numpy()) / window
        known = ~np.isnan(average)
        assert counts[:, 0].tolist() == known.sum(axis=1).tolist()
        above = (gapped.to_numpy() > average * (1 + TOL)) & known
        assert counts[:, 1].tolist() == above.sum(axis=1).tolist()


def test_weekly_average_counts_reject_bad_weeks_or_window():
    with pytest.raises(ValueError, match="week number"):
        weekly_average_counts(np.zeros((3, 2)), np.array([0, 2, 3]), 2)
    with pytest.raises(ValueError, match="week number"):
        weekly_average_counts(np.zeros((3, 2)), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="at least 2"):
        weekly_average_counts(np.zeros((3, 2)), np.array([0, 0, 1]), 1)


def test_window_counts_reject_a_bad_shape_or_window():
    with pytest.raises(ValueError, match="2-D"):
        window_counts(np.zeros(3), 2, 2)
    with pytest.raises(ValueError, match="positive integer"):
        window_counts(np.zeros((3, 2)), 0, 2)


@pytest.mark.parametrize(
    "bad",
    [
        pd.DataFrame({"A": [1.0]}, index=[0]),
        pd.DataFrame({"A": [1.0, 2.0]}, index=pd.DatetimeIndex(["2024-01-02", "2024-01-01"])),
    ],
)
def test_a_malformed_panel_is_a_value_error_naming_the_shape(bad):
    with pytest.raises(ValueError, match=r"DatetimeIndex|ascending"):
        breadth_series(bad)


def test_an_as_of_before_the_data_or_a_bad_interval_is_a_value_error(panel):
    with pytest.raises(ValueError, match="no sessions"):
        breadth_at(panel, "2000-01-01")
    with pytest.raises(ValueError, match="interval"):
        breadth_series(panel, interval="1mo")  # type: ignore[arg-type]
