"""The breadth panel's figure: drawn under the price chart, it places each date as that does."""

from __future__ import annotations

import pandas as pd
import pytest

from charts.breadth import BREADTH_FIGURE_COLUMNS, breadth_figure
from charts.price import ChartInput, ChartStyle, price_figure
from charts.theme import SIMULATED_LABEL
from tests.analysis_fakes import bars_from_closes, random_walk
from tests.figures import figure_of


def _breadth(index: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame({column: 1.0 for column in BREADTH_FIGURE_COLUMNS}, index=index)


def test_the_breadth_panel_has_the_price_charts_side_margins_and_right_hand_values():
    bars = bars_from_closes(random_walk(60, seed=1), pd.bdate_range("2024-01-01", periods=60))
    price = figure_of(price_figure(ChartInput(bars=bars, title="T"), ChartStyle(daily=True)))
    figure = breadth_figure(_breadth(bars.index), "Breadth", daily=True)
    for side in ("l", "r"):
        assert figure.layout.margin[side] == price.layout.margin[side]
    assert {axis.side for axis in figure.select_yaxes()} == {"right"}
    assert figure.layout.dragmode == price.layout.dragmode == "pan"
    titles = [note.text for note in figure.layout.annotations]
    assert "Advance-decline line" in titles


def test_daily_breadth_leaves_out_weekends_as_the_daily_price_chart_does():
    index = pd.bdate_range("2024-01-01", periods=30)
    daily = breadth_figure(_breadth(index), "Breadth", daily=True)
    weekly = breadth_figure(_breadth(index[::5]), "Breadth")
    assert all(axis.rangebreaks[0].bounds == ("sat", "mon") for axis in daily.select_xaxes())
    assert not any(axis.rangebreaks for axis in weekly.select_xaxes())


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="ad_line"):
        breadth_figure(pd.DataFrame({"above_sma50w_pct": [1.0]}), "Breadth")


def test_the_breadth_caption_and_legend_sit_as_on_the_price_chart():
    """Under the title (two lines fit a phone) and under the time axis: clear of Plotly's
    toolbar, which a long one-line title ran under."""
    index = pd.bdate_range("2024-01-01", periods=30)
    figure = breadth_figure(_breadth(index), "Breadth", caption="1,989 constituents\nas of X")
    price = figure_of(
        price_figure(ChartInput(bars=bars_from_closes(random_walk(30, seed=2), index), title="T"))
    )
    assert figure.layout.title.text == "Breadth"
    assert figure.layout.title.subtitle.text == "1,989 constituents<br>as of X"
    assert figure.layout.legend == price.layout.legend
    assert figure.layout.margin.t == price.layout.margin.t


@pytest.mark.parametrize("dark", [False, True])
def test_the_simulated_watermark_follows_the_theme_as_on_the_price_chart(dark):
    bars = bars_from_closes(random_walk(60, seed=1), pd.bdate_range("2024-01-01", periods=60))
    style = ChartStyle(simulated=True, dark=dark)
    price = figure_of(price_figure(ChartInput(bars=bars, title="T"), style))
    breadth = breadth_figure(_breadth(bars.index), "Breadth", simulated=True, dark=dark)
    price_marks = [a for a in price.layout.annotations if a.text == SIMULATED_LABEL]
    breadth_marks = [a for a in breadth.layout.annotations if a.text == SIMULATED_LABEL]
    assert len(breadth_marks) == 1
    assert breadth_marks[0].font == price_marks[0].font
