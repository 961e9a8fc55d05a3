"""The pure figure builders: price chart panels, message figure, compare and sectors."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import charts.price
import charts.sectors
from callbacks.chart import chart_input
from charts.compare import compare_figure, rebase
from charts.price import (
    ChannelLines,
    ChartInput,
    ChartStyle,
    message_figure,
    panels_of,
)
from charts.theme import DOWN_COLOR, SIMULATED_LABEL, UP_COLOR
from components.view_state import INDICATORS, ViewState
from tests.figures import figure_of


def _bars(n: int = 60, start: str = "2024-01-01", freq: str = "W-MON") -> pd.DataFrame:
    """Deterministic OHLCV bars: a gentle rise with alternating up and down bars."""
    index = pd.DatetimeIndex(pd.date_range(start, periods=n, freq=freq), name="date")
    close = 100.0 + np.arange(n, dtype="float64")
    open_ = close + np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 2.0,
            "low": np.minimum(open_, close) - 2.0,
            "close": close,
            "volume": 1_000.0 + 10.0 * np.arange(n),
        },
        index=index,
    )


def _channel(bars: pd.DataFrame, fit_from: int = 10) -> ChannelLines:
    middle = bars["close"].iloc[fit_from:] + 0.5
    lines = pd.DataFrame({"upper": middle + 5, "middle": middle, "lower": middle - 5})
    return ChannelLines(lines=lines, fit_start=bars.index[fit_from], fit_end=bars.index[-1])


def _macd(bars: pd.DataFrame) -> pd.DataFrame:
    hist = pd.Series(np.where(np.arange(len(bars)) % 3 == 0, -1.5, 2.0), index=bars.index)
    hist.iloc[5] = 0.0
    return pd.DataFrame({"macd": hist * 2, "signal": hist, "hist": hist})


def _rsi(bars: pd.DataFrame) -> pd.Series:
    return pd.Series(np.linspace(20, 80, len(bars)), index=bars.index)


def _full_input(bars: pd.DataFrame | None = None, **changes: object) -> ChartInput:
    bars = _bars() if bars is None else bars
    values: dict[str, object] = {
        "bars": bars,
        "title": "TEST",
        "averages": {"SMA 5": bars["close"].rolling(5).mean()},
        "channel": _channel(bars),
        "macd": _macd(bars),
        "rsi": _rsi(bars),
        "volume": True,
    }
    values.update(changes)
    return ChartInput(**values)  # type: ignore[arg-type]


def price_figure(data: ChartInput, style: ChartStyle | None = None) -> go.Figure:
    """The chart's figure dict as ``dcc.Graph`` gets it, read through ``go.Figure``: which
    raises unless Plotly accepts every property and value in it."""
    return figure_of(charts.price.price_figure(data, style))


def sector_figure(summary: pd.DataFrame, **options: object) -> go.Figure:
    """The sector chart's figure dict read through ``go.Figure`` (see ``price_figure``)."""
    return figure_of(charts.sectors.sector_figure(summary, **options))  # type: ignore[arg-type]


def _axes(figure: go.Figure, prefix: str) -> dict[str, dict]:
    layout = figure.layout.to_plotly_json()
    return {name: value for name, value in layout.items() if name.startswith(prefix)}


def _trace(figure: go.Figure, name: str) -> go.BaseTraceType:
    matches = [trace for trace in figure.data if trace.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {len(matches)}"
    return matches[0]


def _annotation_texts(figure: go.Figure) -> list[str]:
    return [annotation.text for annotation in figure.layout.annotations]


def _subplot_axis(reference: str) -> str:
    """'y3' -> 'yaxis3', 'y' -> 'yaxis'."""
    return reference[0] + "axis" + reference[1:]


# Panels and the shared axis


@pytest.mark.parametrize(
    ("volume", "with_macd", "with_rsi", "expected"),
    [
        (True, True, True, ["volume", "macd", "rsi"]),
        (False, False, False, []),
        (True, False, False, ["volume"]),
        (False, True, False, ["macd"]),
        (False, False, True, ["rsi"]),
        (False, True, True, ["macd", "rsi"]),
    ],
)
def test_one_row_for_price_plus_one_per_chosen_panel(volume, with_macd, with_rsi, expected):
    bars = _bars()
    data = _full_input(
        bars,
        volume=volume,
        macd=_macd(bars) if with_macd else None,
        rsi=_rsi(bars) if with_rsi else None,
    )
    assert panels_of(data) == expected
    figure = price_figure(data)
    assert len(_axes(figure, "yaxis")) == 1 + len(expected)
    assert len(_axes(figure, "xaxis")) == 1
    titles = {"volume": "Volume", "macd": "MACD (12, 26, 9)", "rsi": "RSI (14)"}
    for panel in expected:
        assert [text for text in _annotation_texts(figure) if text.startswith(titles[panel])]


def test_panel_titles_sit_inside_their_own_panel_with_the_last_values():
    bars = _bars()
    figure = price_figure(_full_input(bars))
    titles = {a.text.split("  ")[0]: a for a in figure.layout.annotations if a.yref}
    for name, axis in (
        ("Volume", "yaxis2"),
        ("MACD (12, 26, 9)", "yaxis3"),
        ("RSI (14)", "yaxis4"),
    ):
        title = titles[name]
        assert title.yref == f"y{axis[5:]} domain" and title.y == 1 and title.yanchor == "top"
    assert titles["Volume"].text == "Volume  1.6K"  # the last bar's 1,590
    assert titles["RSI (14)"].text == "RSI (14)  80.0"
    assert titles["MACD (12, 26, 9)"].text == "MACD (12, 26, 9)  4.00  signal 2.00  hist 2.00"
    domains = [tuple(figure.layout[f"yaxis{n}"].domain) for n in ("", 2, 3, 4)]
    assert all(upper[0] > lower[1] for upper, lower in itertools.pairwise(domains))


def test_the_price_axis_is_on_the_right_with_the_last_close_tagged():
    bars = _bars()
    bars.loc[bars.index[-1], ["open", "close"]] = [170.0, 159.126]
    figure = price_figure(_full_input(bars))
    assert all(figure.layout[f"yaxis{n}"].side == "right" for n in ("", 2, 3, 4))
    (tag,) = [a for a in figure.layout.annotations if a.name == "last price"]
    assert tag.text == "159.13" and tag.y == pytest.approx(159.126)
    assert tag.bgcolor == DOWN_COLOR and tag.xref == "paper" and tag.x == 1
    log = price_figure(_full_input(bars), ChartStyle(log_scale=True))
    (log_tag,) = [a for a in log.layout.annotations if a.name == "last price"]
    assert log_tag.y == pytest.approx(math.log10(159.126))


def test_readout_gives_ohlc_change_and_volume_with_one_minus_sign():
    bars = _bars(3)
    bars["volume"] = [1_234_567.0, 950.0, 2_500_000_000.0]
    lines = price_figure(ChartInput(bars=bars, title="T")).data[0].text
    assert lines[0] == "O 99.00  H 102.00  L 97.00  C 100.00  Vol 1.2M"
    assert lines[1] == "O 102.00  H 104.00  L 99.00  C 101.00  +1.00 (+1.00%)  Vol 950"
    bars.loc[bars.index[2], "close"] = 98.0
    falling = price_figure(ChartInput(bars=bars, title="T")).data[0].text[2]
    assert "\u22123.00 (\u22122.97%)  Vol 2.5B" in falling and "-" not in falling


def test_penny_stock_prices_keep_four_decimals_everywhere():
    bars = _bars(5) / 200.0
    figure = price_figure(ChartInput(bars=bars, title="T"))
    assert figure.layout.yaxis.tickformat == ",.4f"
    assert figure.data[0].text[-1].startswith("O 0.5150  H 0.5300  L 0.5050  C 0.5200  +0.0050")


def test_a_zoom_is_kept_over_a_redraw_of_the_same_bars_but_not_a_new_range():
    bars = _bars()
    same = price_figure(_full_input(bars)).layout.uirevision
    assert price_figure(_full_input(bars, macd=None)).layout.uirevision == same
    assert price_figure(_full_input(bars.iloc[10:], channel=None)).layout.uirevision != same
    assert price_figure(_full_input(bars), ChartStyle(daily=True)).layout.uirevision != same


def test_a_drag_pans_and_there_is_room_right_of_the_last_candle():
    bars = _bars()
    figure = price_figure(_full_input(bars))
    assert figure.layout.dragmode == "pan"
    start, end = (pd.Timestamp(x) for x in figure.layout.xaxis.range)
    assert start < bars.index[0] and end == bars.index[-1] + pd.Timedelta(weeks=3)
    assert figure.layout.xaxis.showspikes and figure.layout.yaxis.showspikes
    assert figure.layout.xaxis.hoverformat.startswith("Week of")
    assert figure.layout.hoversubplots == "axis"


def test_all_panels_share_one_time_axis_without_range_slider_and_hover_unified():
    figure = price_figure(_full_input())
    assert list(_axes(figure, "xaxis")) == ["xaxis"]
    assert {trace.xaxis or "x" for trace in figure.data} == {"x"}
    assert figure.layout.xaxis.anchor == "y4"  # its dates under the lowest panel
    assert figure.layout.xaxis.rangeslider.visible is False
    assert figure.layout.hovermode == "x unified"


def test_panels_draw_in_their_own_rows_in_fixed_order():
    figure = price_figure(_full_input())
    rows = {
        "Weekly": "y",
        "Volume": "y2",
        "MACD hist": "y3",
        "MACD": "y3",
        "Signal": "y3",
        "RSI 14": "y4",
    }
    for name, yaxis in rows.items():
        assert _trace(figure, name).yaxis == yaxis


def test_candlestick_is_the_first_trace_with_the_bars_values():
    bars = _bars(30)
    figure = price_figure(_full_input(bars))
    candles = figure.data[0]
    assert candles.type == "candlestick"
    assert list(pd.DatetimeIndex(candles.x)) == list(bars.index)
    for column in ("open", "high", "low", "close"):
        np.testing.assert_allclose(np.asarray(getattr(candles, column)), bars[column].to_numpy())
    assert candles.name == "Weekly"
    assert price_figure(_full_input(bars), ChartStyle(daily=True)).data[0].name == "Daily"


def test_volume_bars_are_coloured_by_the_candles_direction():
    bars = _bars(12)
    volume = _trace(price_figure(_full_input(bars)), "Volume")
    np.testing.assert_allclose(np.asarray(volume.y), bars["volume"].to_numpy())
    up = bars["close"] >= bars["open"]
    expected = [UP_COLOR if rising else DOWN_COLOR for rising in up]
    assert list(volume.marker.color) == expected


# Overlays on price


def test_channel_lines_and_shaded_fit_window_when_a_channel_is_given():
    bars = _bars()
    channel = _channel(bars, fit_from=12)
    figure = price_figure(_full_input(bars, channel=channel))
    for column in ("upper", "middle", "lower"):
        trace = _trace(figure, f"Channel {column}")
        assert trace.yaxis == "y"
        np.testing.assert_allclose(np.asarray(trace.y), channel.lines[column].to_numpy())
        assert list(pd.DatetimeIndex(trace.x)) == list(channel.lines.index)
    rects = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert len(rects) == 1
    assert rects[0].xref == "x"
    assert pd.Timestamp(rects[0].x0) == channel.fit_start
    assert pd.Timestamp(rects[0].x1) == channel.fit_end


def test_no_channel_traces_or_shading_without_a_channel():
    figure = price_figure(_full_input(channel=None))
    assert not [trace for trace in figure.data if "Channel" in (trace.name or "")]
    assert not [shape for shape in figure.layout.shapes if shape.type == "rect"]


def test_averages_are_named_lines_over_price():
    bars = _bars()
    averages = {
        "SMA 5": bars["close"].rolling(5).mean(),
        "EMA 3": bars["close"].ewm(span=3).mean(),
    }
    figure = price_figure(_full_input(bars, averages=averages))
    for label, series in averages.items():
        trace = _trace(figure, label)
        assert trace.type == "scatter" and trace.yaxis == "y"
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), series.to_numpy())
    colours = {_trace(figure, label).line.color for label in averages}
    assert len(colours) == 2


def test_bollinger_bands_are_drawn_only_when_given():
    bars = _bars()
    middle = bars["close"].rolling(5).mean()
    bands = pd.DataFrame({"lower": middle - 3, "middle": middle, "upper": middle + 3})
    with_bands = price_figure(_full_input(bars, bollinger=bands))
    for column in ("lower", "middle", "upper"):
        np.testing.assert_allclose(
            np.asarray(_trace(with_bands, f"BB {column}").y, dtype=float), bands[column]
        )
    without = price_figure(_full_input(bars))
    assert not [trace for trace in without.data if (trace.name or "").startswith("BB ")]


# Indicator panels


def test_macd_histogram_is_coloured_by_sign():
    bars = _bars(12)
    macd = _macd(bars)
    hist = _trace(price_figure(_full_input(bars, macd=macd)), "MACD hist")
    np.testing.assert_allclose(np.asarray(hist.y), macd["hist"].to_numpy())
    colours = list(hist.marker.color)
    for value, colour in zip(macd["hist"], colours, strict=True):
        assert colour == (UP_COLOR if value >= 0 else DOWN_COLOR)
    assert DOWN_COLOR in colours and UP_COLOR in colours


def test_rsi_axis_is_0_to_100_with_30_and_70_guides():
    figure = price_figure(_full_input())
    rsi_trace = _trace(figure, "RSI 14")
    yaxis = _subplot_axis(rsi_trace.yaxis)
    assert tuple(figure.layout[yaxis].range) == (0, 100)
    guides = sorted(
        shape.y0
        for shape in figure.layout.shapes
        if shape.type == "line" and shape.yref == rsi_trace.yaxis
    )
    assert guides == [30, 70]


def test_log_scale_sets_the_price_axis_to_log_only():
    log = price_figure(_full_input(), ChartStyle(log_scale=True))
    assert log.layout.yaxis.type == "log"
    assert log.layout.yaxis2.type != "log"
    assert price_figure(_full_input()).layout.yaxis.type == "linear"


def test_daily_style_hides_weekends_and_weekly_does_not():
    daily = price_figure(_full_input(_bars(60, freq="B")), ChartStyle(daily=True))
    for axis in _axes(daily, "xaxis").values():
        assert {"bounds": ["sat", "mon"]} in axis["rangebreaks"]
    weekly = price_figure(_full_input())
    for axis in _axes(weekly, "xaxis").values():
        assert not axis.get("rangebreaks")


def test_in_progress_note_only_when_the_last_bar_is_partial():
    bars = _bars(20)
    bars["partial"] = False
    assert "in progress" not in _annotation_texts(price_figure(_full_input(bars)))
    bars.loc[bars.index[-1], "partial"] = True
    figure = price_figure(_full_input(bars))
    notes = [a for a in figure.layout.annotations if a.text == "in progress"]
    assert len(notes) == 1
    assert pd.Timestamp(notes[0].x) == bars.index[-1]
    assert (notes[0].yref, notes[0].y, notes[0].yanchor) == ("y domain", 1, "top")  # above lines


def test_simulated_watermark_only_when_simulated():
    assert SIMULATED_LABEL not in _annotation_texts(price_figure(_full_input()))
    simulated = price_figure(_full_input(), ChartStyle(simulated=True))
    assert SIMULATED_LABEL in _annotation_texts(simulated)


@pytest.mark.parametrize("dark", [True, False])
def test_template_follows_the_theme(dark):
    expected = pio.templates["plotly_dark" if dark else "plotly_white"]
    figure = price_figure(_full_input(), ChartStyle(dark=dark))
    assert figure.layout.template.layout.paper_bgcolor == expected.layout.paper_bgcolor
    assert figure.layout.paper_bgcolor == figure.layout.plot_bgcolor == "rgba(0, 0, 0, 0)"
    message = message_figure("x", ChartStyle(dark=dark))
    assert message.layout.template.layout.paper_bgcolor == expected.layout.paper_bgcolor


def test_title_is_escaped():
    figure = price_figure(_full_input(title="<b>X</b>"))
    assert figure.layout.title.text == "&lt;b&gt;X&lt;/b&gt;"


# Empty, short and malformed input


def test_empty_bars_give_a_message_figure():
    empty = _bars(5).iloc[:0]
    figure = price_figure(ChartInput(bars=empty, title="EMPTY"))
    assert len(figure.data) == 0
    texts = _annotation_texts(figure)
    assert len(texts) == 1 and "EMPTY" in texts[0] and "no bars" in texts[0]
    assert figure.layout.xaxis.visible is False


def test_missing_ohlcv_columns_raise():
    with pytest.raises(ValueError, match="volume"):
        price_figure(ChartInput(bars=_bars().drop(columns="volume"), title="X"))


def test_a_short_series_draws_without_averages_longer_than_the_data():
    bars = _bars(10)
    state = ViewState(ticker="SHORT", indicators=INDICATORS, range="max")
    data = chart_input("SHORT", bars, state, "SHORT")
    assert data.averages == {}
    figure = price_figure(data)
    assert len(figure.data[0].x) == 10
    names = {trace.name for trace in figure.data}
    assert "SMA 50" not in names
    assert {"104-week channel upper", "104-week channel lower"} <= names
    macd_line = np.asarray(_trace(figure, "MACD").y, dtype=float)
    assert len(macd_line) == 10 and np.isnan(macd_line).all()
    assert len(figure.layout.annotations) >= 3  # the panels' titles


def test_a_series_just_long_enough_for_sma20_shows_it():
    bars = _bars(25)
    data = chart_input("T", bars, ViewState(ticker="T", indicators=("sma20", "sma50")), "T")
    assert list(data.averages) == ["SMA 20"]
    assert data.hidden == frozenset()
    kept = chart_input(
        "T", bars, ViewState(ticker="T", indicators=("sma20",)), "T", also_drawn=("ema20", "bb")
    )
    assert list(kept.averages) == ["SMA 20", "EMA 20"] and kept.bollinger is not None
    assert kept.hidden == {"ema20", "bb"}
    values = data.averages["SMA 20"]
    assert values.iloc[:19].isna().all()
    assert values.iloc[-1] == pytest.approx(bars["close"].iloc[-20:].mean())


# The message figure


def test_message_figure_escapes_html():
    figure = message_figure("<script>alert(1)</script> & more")
    (annotation,) = figure.layout.annotations
    assert annotation.text == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
    assert "<script>" not in figure.to_json()
    assert len(figure.data) == 0


# Compare


def test_rebase_sets_the_first_common_date_to_100():
    index = pd.date_range("2024-01-01", periods=4, freq="D")
    closes = pd.DataFrame(
        {"A": [np.nan, 50.0, 55.0, 60.0], "B": [10.0, 20.0, 10.0, 40.0]}, index=index
    )
    rebased = rebase(closes)
    assert rebased.index[0] == index[1]
    assert rebased.iloc[0].tolist() == [100.0, 100.0]
    assert rebased["A"].tolist() == pytest.approx([100.0, 110.0, 120.0])
    assert rebased["B"].tolist() == pytest.approx([100.0, 50.0, 200.0])


def test_rebase_needs_two_columns():
    with pytest.raises(ValueError, match="two columns"):
        rebase(pd.DataFrame({"A": [1.0, 2.0]}))


def test_compare_figure_draws_both_rebased_and_their_ratio():
    index = pd.date_range("2024-01-01", periods=3, freq="W-MON")
    subject = pd.Series([10.0, 12.0, 15.0], index=index, name="AAA")
    benchmark = pd.Series([100.0, 100.0, 120.0], index=index, name="BBB")
    figure = compare_figure(subject, benchmark)
    assert [trace.name for trace in figure.data] == ["AAA", "BBB", "AAA / BBB"]
    assert list(figure.data[0].y) == pytest.approx([100.0, 120.0, 150.0])
    assert list(figure.data[1].y) == pytest.approx([100.0, 100.0, 120.0])
    ratio = figure.data[2]
    assert list(ratio.y) == pytest.approx([100.0, 120.0, 125.0])
    assert ratio.yaxis == "y2" and figure.data[0].yaxis == "y"
    assert "AAA vs BBB" in figure.layout.title.text
    (title,) = [a for a in figure.layout.annotations if a.yref == "y2 domain"]
    assert title.text.startswith("Ratio AAA / BBB") and title.yanchor == "top"
    assert SIMULATED_LABEL not in _annotation_texts(figure)
    assert SIMULATED_LABEL in _annotation_texts(compare_figure(subject, benchmark, simulated=True))


def test_compare_figure_needs_two_different_names():
    index = pd.date_range("2024-01-01", periods=3, freq="W-MON")
    series = pd.Series([1.0, 2.0, 3.0], index=index, name="SAME")
    with pytest.raises(ValueError, match="different"):
        compare_figure(series, series.copy())


# Sectors


def _sectors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sector": ["Energy", "Financials", "Health Care", "Utilities"],
            "weight": [0.05, 0.18, 0.16, 0.03],
            "median_return_pct": [4.0, -2.5, 1.0, math.nan],
        }
    )


def test_sector_figure_has_one_bar_per_sector_sorted_by_weight():
    figure = sector_figure(_sectors(), period_label="YTD")
    (bars,) = figure.data
    assert bars.orientation == "h"
    assert list(bars.y) == ["Utilities", "Energy", "Health Care", "Financials"]
    assert list(bars.customdata) == pytest.approx([0.03, 0.05, 0.16, 0.18])
    assert list(bars.x)[1:] == pytest.approx([4.0, 1.0, -2.5])
    assert list(bars.marker.color) == [UP_COLOR, UP_COLOR, UP_COLOR, DOWN_COLOR]
    assert "YTD" in figure.layout.title.text


def test_sector_figure_outlines_only_the_selected_sector():
    figure = sector_figure(_sectors(), selected="Energy")
    widths = dict(zip(figure.data[0].y, figure.data[0].marker.line.width, strict=True))
    assert widths["Energy"] > 0
    assert all(width == 0 for sector, width in widths.items() if sector != "Energy")
    unselected = sector_figure(_sectors())
    assert all(width == 0 for width in unselected.data[0].marker.line.width)


def test_sector_figure_needs_its_columns():
    with pytest.raises(ValueError, match="median_return_pct"):
        sector_figure(_sectors().drop(columns="median_return_pct"))


def test_sector_figure_watermark_only_when_simulated():
    assert SIMULATED_LABEL not in _annotation_texts(sector_figure(_sectors()))
    assert SIMULATED_LABEL in _annotation_texts(sector_figure(_sectors(), simulated=True))


def test_sector_names_and_weights_sit_above_their_bars_not_beside_them():
    figure = sector_figure(_sectors())
    assert figure.layout.yaxis.showticklabels is False
    labels = {a.y: a.text for a in figure.layout.annotations if a.yref == "y"}
    assert labels == {
        "Energy": "Energy · 5.0%",
        "Financials": "Financials · 18.0%",
        "Health Care": "Health Care · 16.0%",
        "Utilities": "Utilities · 3.0%",
    }
    assert {a.xref for a in figure.layout.annotations if a.yref == "y"} == {"paper"}


@pytest.mark.parametrize(
    "style",
    [ChartStyle(simulated=True), ChartStyle(daily=True, log_scale=True, dark=True)],
)
def test_the_figure_dict_is_what_a_validated_figure_sends(style):
    """Dash sends the dict as it is: the same JSON as Plotly's validated figure would be."""
    bars = _bars(80).assign(partial=[False] * 79 + [True])
    close = bars["close"]
    bands = pd.DataFrame({"lower": close * 0.9, "middle": close, "upper": close * 1.1})
    data = _full_input(
        bars, bollinger=bands, hidden=frozenset({"SMA 5", "channel"}), caption="as of today"
    )
    figure = charts.price.price_figure(data, style)
    sent = json.loads(pio.to_json(figure, validate=False))
    assert sent == json.loads(pio.to_json(go.Figure(figure)))


@pytest.mark.parametrize("simulated", [False, True])
def test_the_sector_figure_dict_is_what_a_validated_figure_sends(simulated):
    figure = charts.sectors.sector_figure(
        _sectors(), selected="Energy", period_label="YTD", simulated=simulated, dark=simulated
    )
    sent = json.loads(pio.to_json(figure, validate=False))
    assert sent == json.loads(pio.to_json(go.Figure(figure)))
