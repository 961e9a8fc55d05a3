"""The breadth panel drawn under the index: participation, new highs and lows, the A-D line.

Three rows sharing the time axis: the share of constituents above their 50-week and 200-day
averages (0-100%), net new 52-week highs (bars), and the cumulative advance-decline line.
The hover says how many constituents each value counts. A drag pans, as on the price
chart above it, whose dates it keeps (``assets/r2k-breadth-axis.js``).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.frame import LEGEND_BELOW, TITLE_MARGIN_TOP, corner_title, title_with_caption
from charts.theme import AVERAGE_COLORS, CHANNEL_COLOR, DOWN_COLOR, UP_COLOR, template_for
from charts.theme import watermark as simulated_watermark

BREADTH_FIGURE_COLUMNS: tuple[str, ...] = (
    "above_sma50w_pct",
    "sma50w_count",
    "above_sma200d_pct",
    "sma200d_count",
    "net_highs_52w",
    "highs_lows_count",
    "ad_line",
    "ad_count",
)


SIDE_MARGINS = {"l": 10, "r": 70}
"""The price chart's side margins (values on the right), so the dates line up under it."""
PANEL_TITLES = ("Above their average", "Net new 52-week highs", "Advance-decline line")


def _panel_title(text: str, row: int) -> dict[str, object]:
    """A title inside the top-left corner of its row, as the price chart's panels have."""
    return corner_title(text, "y" if row == 1 else f"y{row}")


def breadth_figure(
    breadth: pd.DataFrame,
    title: str,
    *,
    caption: str = "",
    daily: bool = False,
    simulated: bool = False,
    dark: bool = False,
) -> go.Figure:
    """The breadth panel of ``breadth`` (``analysis.breadth.breadth_series`` columns).

    ``daily`` leaves out weekends as the daily price chart does, so both place a date alike.
    ``caption`` (lines under the title) says what the lines count and as of when; title,
    caption and legend sit as on the price chart, clear of Plotly's toolbar.
    """
    missing = set(BREADTH_FIGURE_COLUMNS) - set(breadth.columns)
    if missing:
        raise ValueError(
            f"breadth_figure needs columns {BREADTH_FIGURE_COLUMNS}; {sorted(missing)}"
        )
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.45, 0.25, 0.3]
    )
    dates = breadth.index
    for column, count, label, color in (
        ("above_sma50w_pct", "sma50w_count", "% above 50-week avg", AVERAGE_COLORS[0]),
        ("above_sma200d_pct", "sma200d_count", "% above 200-day avg", AVERAGE_COLORS[1]),
    ):
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=breadth[column],
                name=label,
                line={"color": color, "width": 1.6},
                customdata=breadth[count],
                hovertemplate=f"{label}: %{{y:.1f}}% of %{{customdata}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    net = breadth["net_highs_52w"]
    figure.add_trace(
        go.Bar(
            x=dates,
            y=net,
            name="Net new 52-week highs",
            marker={"color": [UP_COLOR if value >= 0 else DOWN_COLOR for value in net]},
            customdata=breadth["highs_lows_count"],
            hovertemplate="Net new highs: %{y} of %{customdata}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=dates,
            y=breadth["ad_line"],
            name="Advance-decline line",
            line={"color": CHANNEL_COLOR, "width": 1.4},
            customdata=breadth["ad_count"],
            hovertemplate="A-D line: %{y:,} (%{customdata} counted)<extra></extra>",
        ),
        row=3,
        col=1,
    )
    figure.update_yaxes(side="right", ticklabelposition="outside")
    figure.update_yaxes(range=[0, 100], ticksuffix="%", row=1, col=1)
    if daily:
        figure.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])
    for row, text in enumerate(PANEL_TITLES, start=1):
        figure.add_annotation(_panel_title(text, row))
    figure.update_layout(
        template=template_for(dark),
        title=title_with_caption(title, caption),
        height=500,
        margin={**SIDE_MARGINS, "t": TITLE_MARGIN_TOP, "b": 30},
        legend=LEGEND_BELOW,
        hovermode="x unified",
        bargap=0,
        dragmode="pan",
    )
    if simulated:
        figure.add_annotation(simulated_watermark(dark))
    return figure
