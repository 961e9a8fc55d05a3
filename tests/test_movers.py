"""Movers on a small hand-computed universe: periods, missing data, filters, ties, sectors."""

import numpy as np
import pandas as pd
import pytest

from analysis.movers import (
    BIOTECH_PROXY_SECTOR,
    MOVER_COLUMNS,
    movers,
    period_start,
    prices_start,
    sector_summary,
)
from callbacks.movers import ranked_columns

NAN = np.nan

# Year-end 2024 into January 2025. Returns YTD as of 2025-01-10 (base: 2024-12-31's close):
#   AAA 10 -> 12 (+20%), BBB 20 -> 15 (-25%), CCC 10 (Dec 30; no Dec 31 close) -> 11 (+10%),
#   DDD listed in January (missing start), EEE stopped on Dec 31 (missing end),
#   FFF 5 -> 6 (+20%, Health Care, ties AAA), HHH 1 -> 1.1 (+10%, ties CCC, a penny stock),
#   GGG is in the universe with no prices at all (missing start). ZZZ has prices, no membership.
CLOSES = pd.DataFrame(
    {
        "AAA": [9.0, 9.5, 10.0, 11.0, 11.5, 12.0, 99.0],
        "BBB": [21.0, 20.5, 20.0, 18.0, 16.0, 15.0, 99.0],
        "CCC": [9.0, 10.0, NAN, 10.5, NAN, 11.0, 99.0],
        "DDD": [NAN, NAN, NAN, 30.0, 31.0, 32.0, 99.0],
        "EEE": [7.0, 7.0, 7.0, NAN, NAN, NAN, 99.0],
        "FFF": [4.0, 4.5, 5.0, 5.5, 5.8, 6.0, 99.0],
        "HHH": [0.9, 0.95, 1.0, 1.05, 1.08, 1.1, 99.0],
        "ZZZ": [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 99.0],
    },
    index=pd.DatetimeIndex(
        [
            "2024-12-27",
            "2024-12-30",
            "2024-12-31",
            "2025-01-02",
            "2025-01-03",
            "2025-01-10",
            "2025-01-13",
        ],
        name="date",
    ),
)
UNIVERSE = pd.DataFrame(
    {
        "ticker": ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"],
        "name": ["Aa Inc", "Bb Corp", "Cc Ltd", "Dd Co", "Ee plc", "Ff Bio", "Gg Inc", "Hh Inc"],
        "sector": [
            "Energy",
            "Financials",
            "Energy",
            "Industrials",
            "Financials",
            "Health Care",
            "Utilities",
            "Materials",
        ],
        "weight": [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05],
    }
)
AS_OF = "2025-01-10"


def _returns(frame: pd.DataFrame) -> list[tuple[str, float]]:
    return [(t, round(r, 9)) for t, r in zip(frame["ticker"], frame["return_pct"], strict=True)]


def test_ytd_movers_rank_returns_from_the_prior_years_last_close():
    result = movers(CLOSES, UNIVERSE, "YTD", AS_OF)
    assert result.start == pd.Timestamp("2024-12-31")
    assert result.as_of == pd.Timestamp(AS_OF)
    assert list(result.top.columns) == list(MOVER_COLUMNS)
    assert _returns(result.top) == [
        ("AAA", 20.0),
        ("FFF", 20.0),
        ("CCC", 10.0),
        ("HHH", 10.0),
        ("BBB", -25.0),
    ]
    assert _returns(result.bottom) == [
        ("BBB", -25.0),
        ("CCC", 10.0),
        ("HHH", 10.0),
        ("AAA", 20.0),
        ("FFF", 20.0),
    ]
    assert result.considered == 5
    assert result.missing_start == 2  # DDD listed later, GGG has no prices
    assert result.missing_end == 1  # EEE stopped before the period started
    top = result.top.iloc[0]
    assert (top["name"], top["sector"], top["weight"], top["last_price"]) == (
        "Aa Inc",
        "Energy",
        0.3,
        12.0,
    )


def test_top_and_bottom_hold_n_rows():
    result = movers(CLOSES, UNIVERSE, "YTD", AS_OF, n=2)
    assert result.top["ticker"].tolist() == ["AAA", "FFF"]
    assert result.bottom["ticker"].tolist() == ["BBB", "CCC"]
    assert result.considered == 5


def test_excluding_biotech_drops_health_care():
    assert BIOTECH_PROXY_SECTOR == "Health Care"
    result = movers(CLOSES, UNIVERSE, "YTD", AS_OF, exclude_sectors=[BIOTECH_PROXY_SECTOR])
    assert "FFF" not in result.top["ticker"].tolist()
    assert result.considered == 4


def test_including_sectors_keeps_only_them_and_counts_only_their_missing_data():
    result = movers(CLOSES, UNIVERSE, "YTD", AS_OF, include_sectors=["Financials"])
    assert result.top["ticker"].tolist() == ["BBB"]
    assert (result.considered, result.missing_start, result.missing_end) == (1, 0, 1)
    one = movers(CLOSES, UNIVERSE, "YTD", AS_OF, include_sectors="Energy")
    assert one.top["ticker"].tolist() == ["AAA", "CCC"]


def test_minimum_price_drops_cheap_stocks_and_counts_them():
    result = movers(CLOSES, UNIVERSE, "YTD", AS_OF, min_price=2.0)
    assert "HHH" not in result.top["ticker"].tolist()
    assert result.below_min_price == 1
    assert result.considered == 4


def test_from_a_date_and_one_week():
    since = movers(CLOSES, UNIVERSE, "2025-01-02", AS_OF)
    assert since.start == pd.Timestamp("2025-01-02")
    returns = dict(_returns(since.top))
    assert returns["DDD"] == pytest.approx(100 * (32 / 30 - 1))
    assert returns["BBB"] == pytest.approx(100 * (15 / 18 - 1))
    week = movers(CLOSES, UNIVERSE, "1W", AS_OF)
    assert week.start == pd.Timestamp("2025-01-03")
    assert dict(_returns(week.top))["CCC"] == pytest.approx(100 * (11 / 10.5 - 1))


def test_rows_after_as_of_are_ignored_and_as_of_defaults_to_the_last_date():
    assert _returns(movers(CLOSES.iloc[:-1], UNIVERSE, "YTD").top) == _returns(
        movers(CLOSES, UNIVERSE, "YTD", AS_OF).top
    )
    assert movers(CLOSES, UNIVERSE, "1W").as_of == pd.Timestamp("2025-01-13")


def test_period_start_for_every_named_period():
    assert period_start("1W", "2025-01-10") == pd.Timestamp("2025-01-03")
    assert period_start("1m", "2025-03-31") == pd.Timestamp("2025-02-28")
    assert period_start("3M", "2025-05-15") == pd.Timestamp("2025-02-15")
    assert period_start("ytd", "2025-06-30") == pd.Timestamp("2024-12-31")
    assert period_start("1Y", "2024-02-29") == pd.Timestamp("2023-02-28")
    assert period_start("2024-07-01", "2025-01-10") == pd.Timestamp("2024-07-01")


@pytest.mark.parametrize("period", ["2W", "", "2025-13-01", "2025-01-10", "2026-01-01"])
def test_bad_periods_are_refused(period):
    with pytest.raises(ValueError, match="period"):
        period_start(period, "2025-01-10")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n must"):
        movers(CLOSES, UNIVERSE, "YTD", AS_OF, n=0)
    with pytest.raises(ValueError, match="Universe"):
        movers(CLOSES, UNIVERSE.drop(columns="sector"), "YTD", AS_OF)
    with pytest.raises(ValueError, match="closes"):
        movers(CLOSES.reset_index(), UNIVERSE, "YTD", AS_OF)


def test_sector_summary_weights_and_median_returns():
    summary = sector_summary(CLOSES, UNIVERSE, "YTD", AS_OF)
    assert list(summary.columns) == ["sector", "weight", "median_return_pct", "count"]
    rows = {row.sector: row for row in summary.itertuples()}
    assert summary["sector"].iloc[0] == "Energy"  # the largest weight first
    assert rows["Energy"].weight == pytest.approx(0.4)
    assert rows["Energy"].median_return_pct == pytest.approx(15.0)
    assert rows["Energy"].count == 2
    assert rows["Financials"].weight == pytest.approx(0.3)
    assert rows["Financials"].median_return_pct == pytest.approx(-25.0)
    assert rows["Financials"].count == 1
    assert rows["Industrials"].count == 0
    assert np.isnan(rows["Industrials"].median_return_pct)
    assert summary["weight"].sum() == pytest.approx(1.0)


def test_a_price_at_the_minimum_is_kept_only_a_lower_one_is_dropped():
    # HHH's last price is exactly 1.10: "drops tickers whose last price is below it".
    at = movers(CLOSES, UNIVERSE, "YTD", AS_OF, min_price=1.1)
    assert "HHH" in at.top["ticker"].tolist()
    assert (at.below_min_price, at.considered) == (0, 5)
    above = movers(CLOSES, UNIVERSE, "YTD", AS_OF, min_price=1.1000001)
    assert "HHH" not in above.top["ticker"].tolist()
    assert (above.below_min_price, above.considered) == (1, 4)


def test_the_sector_summary_takes_the_median_not_the_mean():
    # Three Energy returns of +0%, +10% and +100%: median 10, mean 36.67.
    closes = pd.DataFrame(
        {"AAA": [10.0, 10.0], "BBB": [10.0, 11.0], "CCC": [10.0, 20.0]},
        index=pd.DatetimeIndex(["2024-12-31", "2025-01-10"], name="date"),
    )
    universe = pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC"],
            "name": ["A", "B", "C"],
            "sector": ["Energy"] * 3,
            "weight": [0.5, 0.3, 0.2],
        }
    )
    summary = sector_summary(closes, universe, "YTD", "2025-01-10")
    assert summary["median_return_pct"].tolist() == [pytest.approx(10.0)]
    assert summary["count"].tolist() == [3]


def test_prices_start_is_when_most_of_the_tickers_have_closes():
    dates = pd.bdate_range("2024-01-01", periods=10, name="date")
    closes = pd.DataFrame(
        {
            "OLD": np.arange(10.0) + 1,
            "A": [np.nan] * 4 + list(np.arange(6.0) + 1),
            "B": [np.nan] * 5 + list(np.arange(5.0) + 1),
            "EMPTY": np.nan,
        },
        index=dates,
    )
    assert prices_start(closes, ["OLD", "A", "B", "EMPTY", "ABSENT"]) == dates[4]
    assert prices_start(closes, ["OLD"]) == dates[0]
    assert prices_start(closes, ["EMPTY", "ABSENT"]) is None
    with pytest.raises(ValueError, match="DatetimeIndex"):
        prices_start(closes.reset_index(drop=True), ["OLD"])


def test_ranked_columns_name_each_field_once_and_round_their_numbers():
    frame = pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC"],
            "name": ["ACME CORP", "BETA INC", "CETA LTD"],
            "sector": ["Energy", "Financials", "Energy"],
            "weight": [0.0123456789123, 0.0004, 0.002],
            "last_price": [12.345678, 1.0, 3.5],
            "return_pct": [57.123456789, -1.5, -20.0],
        }
    )
    contribution = pd.Series({"AAA": 0.0123456789, "BBB": -0.001})

    columns = ranked_columns(frame, contribution)

    assert columns["ticker"] == ["AAA", "BBB", "CCC"]
    assert columns["name"][0] == "Acme Corp"
    assert [columns["sectors"][code] for code in columns["sector"]] == list(frame["sector"])
    assert columns["weight"][0] == 0.01234568 and columns["return_pct"][0] == 57.1235
    assert columns["contribution_pct"] == [0.01235, -0.001, None]


def test_closes_far_from_the_period_ends_are_found_as_near_ones():
    """A halted ticker's base and last closes lie months before the ends: found all the same."""
    dates = pd.bdate_range("2024-01-01", "2025-03-31", name="date")
    closes = pd.DataFrame({"NEAR": np.linspace(10.0, 20.0, len(dates))}, index=dates)
    halted = closes["NEAR"].copy()
    halted[(dates > "2024-09-30") & (dates < "2025-01-15")] = NAN
    halted[dates > "2025-02-03"] = NAN
    closes["FAR"] = halted.to_numpy()
    universe = pd.DataFrame(
        {"ticker": ["NEAR", "FAR"], "name": ["N", "F"], "sector": "Energy", "weight": 0.5}
    )

    result = movers(closes, universe, "YTD", n=2)

    by_ticker = result.top.set_index("ticker")
    base = closes.loc["2024-09-30", "FAR"]
    last = closes.loc["2025-02-03", "FAR"]
    assert by_ticker.loc["FAR", "last_price"] == last
    assert by_ticker.loc["FAR", "return_pct"] == pytest.approx(100.0 * (last / base - 1.0))
    assert by_ticker.loc["NEAR", "last_price"] == closes["NEAR"].iloc[-1]
    assert result.considered == 2
