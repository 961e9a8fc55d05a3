"""Relative performance of one ticker against another, rebased to 100 at a common start."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.frame import LEGEND_BELOW, TITLE_MARGIN_TOP, title_with_caption
from charts.theme import CHANNEL_COLOR, TRANSPARENT, template_for, watermark


def rebase(closes: pd.DataFrame) -> pd.DataFrame:
    """Each column divided by its value on the first date where all columns have one, x100."""
    if closes.shape[1] < 2:
        raise ValueError(f"rebase needs at least two columns of closes, got {closes.shape[1]}")
    common = closes.dropna()
    if common.empty:
        return common
    return common / common.iloc[0] * 100.0


def ratio_title(subject: str, benchmark: str) -> str:
    """The ratio panel's title: what the line is and, on a second line (a phone is narrow),
    how to read it."""
    return f"Ratio {subject} / {benchmark} (×100)\nRising: {subject} outperforms"


YIELD_COLORS = ("#7b1fa2", "#00897b", "#c2185b")


def _add_yields(
    figure: go.Figure, yields: Mapping[str, pd.Series], shown: pd.Index, simulated: bool
) -> None:
    """Treasury yields (percent) on the ratio panel's second axis, over the dates shown."""
    if not yields:
        return
    start = shown[0] if len(shown) else None
    for (label, series), color in zip(yields.items(), YIELD_COLORS, strict=False):
        visible = series if start is None else series.loc[series.index >= start]
        figure.add_trace(
            go.Scatter(
                x=visible.index,
                y=visible,
                name=html.escape(label),
                line={"color": color, "width": 1.2, "dash": "dot"},
                hovertemplate="%{y:.2f}%",
            ),
            row=2,
            col=1,
            secondary_y=True,
        )
    title = "Yield % (simulated)" if simulated else "Yield %"
    # On the left: the ratio's own ticks take the right-hand side.
    figure.update_yaxes(
        title_text=title, ticksuffix="%", side="left", row=2, col=1, secondary_y=True
    )


def compare_figure(
    subject: pd.Series,
    benchmark: pd.Series,
    *,
    simulated: bool = False,
    dark: bool = False,
    yields: Mapping[str, pd.Series] | None = None,
    caption: str = "Rebased to 100",
) -> go.Figure:
    """Both series rebased to 100, and the subject-to-benchmark ratio in a panel below.

    The series' names are their tickers (and legend labels). ``yields`` (label: yields in
    percent), when given, are drawn on a second axis of the ratio's panel. ``caption``
    (lines under the title) says what an exported PNG shows: the as-of date and source.
    """
    if subject.name == benchmark.name:
        raise ValueError("compare_figure needs two different series names")
    rebased = rebase(pd.concat([subject, benchmark], axis=1))
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.7, 0.3],
        vertical_spacing=0.04,
        specs=[[{}], [{"secondary_y": True}]],
    )
    for column, color in zip(rebased.columns, (CHANNEL_COLOR, "#9e9e9e"), strict=True):
        figure.add_trace(
            go.Scatter(x=rebased.index, y=rebased[column], name=str(column), line={"color": color}),
            row=1,
            col=1,
        )
    if not rebased.empty:
        ratio = rebased.iloc[:, 0] / rebased.iloc[:, 1] * 100.0
        figure.add_trace(
            go.Scatter(
                x=ratio.index,
                y=ratio,
                name=f"{subject.name} / {benchmark.name}",
                line={"color": "#f57c00"},
            ),
            row=2,
            col=1,
        )
    ratio_lines = ratio_title(str(subject.name), str(benchmark.name)).splitlines()
    figure.add_annotation(
        text="<br>".join(html.escape(line) for line in ratio_lines),
        xref="paper",
        yref="y2 domain",
        x=0.0,
        y=1.0,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": 11},
    )
    _add_yields(figure, yields or {}, rebased.index, simulated)
    figure.update_layout(
        template=template_for(dark),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        title=title_with_caption(f"{subject.name} vs {benchmark.name}", caption),
        hovermode="x unified",
        dragmode="pan",
        margin={"l": 10, "r": 60, "t": TITLE_MARGIN_TOP, "b": 30},
        legend=LEGEND_BELOW,
    )
    figure.update_yaxes(side="right", secondary_y=False)
    if simulated:
        figure.add_annotation(watermark(dark))
    return figure
