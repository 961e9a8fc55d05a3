"""The demo market: deterministic, offline, and telling the story the dashboard exists for."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
import talib

from analysis.contributions import contributions, index_return_pct
from analysis.movers import movers
from market.bars import validate_bars
from market.demo import DEMO_BENCHMARK, DEMO_END, DEMO_INDEX, DemoProvider
from market.tickers import parse_ticker
from market.universe import GICS_SECTORS, validate_universe


@pytest.fixture(scope="module")
def demo() -> DemoProvider:
    return DemoProvider()


@pytest.fixture(scope="module")
def index_bars(demo: DemoProvider) -> pd.DataFrame:
    return demo.bars([DEMO_INDEX]).bars[DEMO_INDEX]


@pytest.fixture(scope="module")
def weekly_closes(index_bars: pd.DataFrame) -> pd.Series:
    """Weekly closes built from daily ones, weeks Monday to Friday labelled by their Monday."""
    weekly = index_bars["close"].resample("W-FRI").last().dropna()
    weekly.index = weekly.index - pd.Timedelta(days=4)
    return weekly


def _year_returns(closes: pd.DataFrame) -> pd.Series:
    last = closes.index[-1]
    start = closes.loc[: last - pd.DateOffset(years=1)].iloc[-1]
    return (closes.iloc[-1] / start - 1).dropna()


def test_two_instances_give_the_same_market_down_to_the_bits(demo):
    first, second = demo, DemoProvider()
    a, b = first.closes(), second.closes()
    assert a.columns.equals(b.columns) and a.index.equals(b.index)
    assert a.to_numpy().tobytes() == b.to_numpy().tobytes()
    some = [DEMO_INDEX, DEMO_BENCHMARK, *a.columns[::400]]
    bars_a, bars_b = first.bars(some).bars, second.bars(some).bars
    for ticker in some:
        assert bars_a[ticker].to_numpy().tobytes() == bars_b[ticker].to_numpy().tobytes()
    pd.testing.assert_frame_equal(first.universe(), second.universe(), check_exact=True)


def test_pinned_values_notice_any_change_in_generation(demo, index_bars):
    """Prices are rounded to 4 decimals, so these hold exactly on every machine."""
    assert index_bars.index[0] == pd.Timestamp("2014-11-20")
    assert index_bars.index[-1] == pd.Timestamp(DEMO_END)
    assert index_bars["close"].iloc[0] == 112.0
    assert index_bars.iloc[-1].tolist() == [236.698, 240.022, 233.2486, 233.3556, 33954689.0]
    assert index_bars["close"].idxmax() == pd.Timestamp("2026-08-07")
    assert index_bars["close"].max() == 295.4667
    universe = demo.universe()
    assert universe.iloc[0][["ticker", "name", "sector"]].tolist() == [
        "BSAV.DM",
        "Briwickvo Technologies",
        "Information Technology",
    ]
    closes = demo.closes()
    assert closes["BSAV.DM"].iloc[-1] == 10.1571
    assert round(float(closes.loc[:"2025-11-20"].iloc[-1].sum()), 2) == 75673.37


def test_another_seed_gives_another_market(demo):
    assert not DemoProvider(seed=7).closes().equals(demo.closes())


def test_the_default_end_is_fixed_and_an_explicit_end_moves_the_story():
    assert DemoProvider().end == DEMO_END == date(2026, 11, 20)
    earlier = DemoProvider(end=date(2025, 6, 6)).bars([DEMO_INDEX]).bars[DEMO_INDEX]
    assert earlier.index[-1] == pd.Timestamp("2025-06-06")
    assert earlier["close"].iloc[-1] / earlier["close"].max() - 1 < -0.15


def test_the_two_years_before_the_high_fit_an_ascending_line(weekly_closes):
    high_at = weekly_closes.to_numpy().argmax()
    fit = weekly_closes.iloc[high_at - 103 : high_at + 1].to_numpy()
    weeks = np.arange(len(fit))
    slope = np.polyfit(weeks, fit, 1)[0]
    assert len(fit) == 104
    assert slope > 0
    assert np.corrcoef(weeks, fit)[0, 1] > 0.8


def test_the_high_is_recent_and_the_fall_from_it_is_about_20_percent(index_bars, weekly_closes):
    assert weekly_closes.idxmax() > weekly_closes.index[-1] - pd.Timedelta(weeks=52)
    assert weekly_closes.idxmax() < weekly_closes.index[-1] - pd.Timedelta(weeks=8)
    for closes in (index_bars["close"], weekly_closes):
        drawdown = closes.iloc[-1] / closes.max() - 1
        assert -0.25 <= drawdown <= -0.15


def test_the_last_close_broke_down_through_the_channel_and_the_50_week_average(weekly_closes):
    high_at = weekly_closes.to_numpy().argmax()
    fit = weekly_closes.iloc[high_at - 103 : high_at + 1].to_numpy()
    slope, intercept = np.polyfit(np.arange(104), fit, 1)
    residual_sd = (fit - (slope * np.arange(104) + intercept)).std()
    weeks_to_last = 103 + len(weekly_closes) - 1 - high_at
    lower_band_at_last = slope * weeks_to_last + intercept - 2 * residual_sd
    last = weekly_closes.iloc[-1]
    assert last < lower_band_at_last
    assert last < weekly_closes.iloc[-50:].mean()
    assert weekly_closes.iloc[high_at] > weekly_closes.iloc[high_at - 49 : high_at + 1].mean()


def test_weekly_macd_is_below_zero_and_rsi_is_nearing_oversold(weekly_closes):
    closes = weekly_closes.to_numpy()
    macd, _signal, _hist = talib.MACD(closes, fastperiod=12, slowperiod=26, signalperiod=9)
    rsi = talib.RSI(closes, timeperiod=14)
    assert macd[-1] < 0
    assert 30 < rsi[-1] < 40


def test_the_benchmark_is_a_steadier_large_cap_index(demo, index_bars):
    benchmark = demo.bars([DEMO_BENCHMARK]).bars[DEMO_BENCHMARK]
    assert benchmark.index.equals(index_bars.index)
    index_vol = np.log(index_bars["close"]).diff().std()
    benchmark_vol = np.log(benchmark["close"]).diff().std()
    assert benchmark_vol < index_vol
    fall = benchmark["close"].iloc[-1] / benchmark["close"].max() - 1
    assert -0.15 < fall < 0


def test_universe_looks_like_the_russell_2000(demo):
    universe = validate_universe(demo.universe())
    assert 1900 <= len(universe) <= 2100
    assert set(universe["sector"]) == set(GICS_SECTORS)
    by_sector = universe.groupby("sector")["weight"].sum()
    assert by_sector.idxmax() == "Financials"
    assert 0.12 < by_sector["Health Care"] < 0.18
    assert universe["weight"].sum() == pytest.approx(1.0, abs=1e-9)
    assert (universe["weight"] > 0).all()
    assert universe["weight"].is_monotonic_decreasing
    assert universe["name"].is_unique


def test_tickers_are_plainly_fictional_and_safe_in_files_and_urls(demo):
    tickers = demo.universe()["ticker"]
    assert tickers.str.fullmatch(r"[A-Z]{4}\.DM").all()
    assert all(parse_ticker(t) == t for t in tickers)
    assert not {DEMO_INDEX, DEMO_BENCHMARK} & set(tickers)
    assert list(demo.closes().columns) == list(tickers)


def test_ohlcv_is_consistent(demo):
    tickers = [DEMO_INDEX, DEMO_BENCHMARK, *demo.universe()["ticker"][::20]]
    result = demo.bars(tickers)
    assert set(result.bars) == set(tickers)
    for ticker, bars in result.bars.items():
        validate_bars(bars)
        assert not bars.isna().any().any(), ticker
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all(), ticker
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all(), ticker
        assert (bars["low"] > 0).all(), ticker
        assert (bars["volume"] > 0).all(), ticker
        assert (bars["volume"] == bars["volume"].round()).all(), ticker


def test_bars_carry_the_same_closes_as_the_wide_frame(demo):
    closes = demo.closes()
    for ticker in closes.columns[::250]:
        bars = demo.bars([ticker]).bars[ticker]
        pd.testing.assert_series_equal(
            bars["close"], closes[ticker].dropna(), check_names=False, check_freq=False
        )


def test_some_names_list_during_the_history(demo):
    first_dates = demo.closes().apply(pd.Series.first_valid_index)
    late = first_dates[first_dates > first_dates.min()]
    assert 50 < len(late) < 400
    ticker = late.index[0]
    assert demo.bars([ticker]).bars[ticker].index[0] == late.iloc[0]


def test_there_are_real_winners_and_losers_over_the_last_year(demo):
    returns = _year_returns(demo.closes())
    assert (returns >= 1.0).sum() >= 20
    assert (returns <= -0.6).sum() >= 20


def test_sectors_fared_differently(demo):
    returns = _year_returns(demo.closes())
    sectors = demo.universe().set_index("ticker")["sector"]
    medians = returns.groupby(sectors.reindex(returns.index)).median()
    assert medians.max() - medians.min() > 0.2


def test_the_index_is_the_holdings_weighted_total_of_its_constituents(demo, index_bars):
    """A fund holding today's weight / today's price shares of each name; a name listed
    during the history joins on its first session without moving the level."""
    closes = demo.closes()
    shares = demo.universe().set_index("ticker")["weight"] / closes.iloc[-1]
    before = closes.shift(1)
    held = before.notna()
    growth = (closes.where(held) * shares).sum(axis=1) / (before * shares).sum(axis=1)
    expected = index_bars["close"].iloc[0] * growth.iloc[1:].cumprod()
    np.testing.assert_allclose(index_bars["close"].iloc[1:], expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("as_of", [None, "2026-06-30", "2025-11-20", "2024-03-15", "2020-05-01"])
def test_the_contributions_add_up_to_the_index_return(demo, index_bars, as_of):
    """Exactly (to the rounding of prices) unless names listed within the period, which the
    index holds from their first session and the contributions, without a start price, leave
    out."""
    closes, universe = demo.closes(), demo.universe()
    first_session = closes.apply(pd.Series.first_valid_index)
    for period in ("1W", "1M", "3M", "YTD", "1Y"):
        ranking = movers(closes, universe, period, n=len(universe), as_of=as_of)
        shares = contributions(closes, ranking)
        index_pct = index_return_pct(index_bars["close"], period, as_of)
        assert index_pct is not None
        listed_within = first_session.between(shares.start, shares.as_of, inclusive="right")
        tolerance = 0.5 if listed_within.any() else 0.005
        assert shares.total_pct == pytest.approx(index_pct, abs=tolerance), period


def test_the_typical_name_moves_about_as_the_index_over_the_years(demo, index_bars):
    """Today's large names rose more, so the past index is not carried by names that fell."""
    closes, index = demo.closes(), index_bars["close"]
    for years in (3, 12):
        start = closes.index[-1] - pd.DateOffset(years=years)
        median = (closes.iloc[-1] / closes.loc[:start].iloc[-1]).median()
        growth = index.iloc[-1] / index.loc[:start].iloc[-1]
        assert median == pytest.approx(growth, rel=0.15), years


def test_unknown_tickers_are_missing_and_known_ones_match_any_case(demo):
    result = demo.bars(["NOPE.DM", "iwm", "../etc/passwd", "demo-r2k", DEMO_INDEX, DEMO_INDEX])
    assert result.missing == ("NOPE.DM", "iwm", "../etc/passwd")
    assert set(result.bars) == {"demo-r2k", DEMO_INDEX}
    assert result.failed == {}


def test_bars_are_cut_to_the_window_and_agree_with_the_whole(demo, index_bars):
    window = demo.bars([DEMO_INDEX], start=date(2026, 1, 3), end=date(2026, 1, 31)).bars
    bars = window[DEMO_INDEX]
    assert bars.index[0] == pd.Timestamp("2026-01-05")
    assert bars.index[-1] == pd.Timestamp("2026-01-30")
    pd.testing.assert_frame_equal(bars, index_bars.loc["2026-01-03":"2026-01-31"])


def test_a_window_without_sessions_is_missing(demo):
    after = demo.bars([DEMO_INDEX], start=date(2027, 1, 1))
    assert after.bars == {} and after.missing == (DEMO_INDEX,)


def test_the_provider_says_it_is_simulated(demo):
    assert demo.simulated is True
    assert demo.name == "demo"
    assert demo.index_ticker == DEMO_INDEX == "DEMO-R2K"
    assert demo.benchmark_ticker == DEMO_BENCHMARK == "DEMO-LARGE"


def test_callers_cannot_change_the_cached_market(demo):
    closes = demo.closes()
    ticker = closes.columns[0]
    before = closes[ticker].iloc[-1]
    closes[ticker] = 0.0
    universe = demo.universe()
    universe["weight"] = 0.0
    assert demo.closes()[ticker].iloc[-1] == before
    assert demo.universe()["weight"].sum() == pytest.approx(1.0)
