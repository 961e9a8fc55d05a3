"""Relative performance of one ticker against another, rebased to 100 at a common start."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
    """The ratio panel's title: what the line is and how to read it."""
    return f"Ratio {subject} / {benchmark} (×100; rising: {subject} outperforms)"


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
    figure.update_yaxes(title_text=title, ticksuffix="%", row=2, col=1, secondary_y=True)


def compare_figure(
    subject: pd.Series,
    benchmark: pd.Series,
    *,
    simulated: bool = False,
    dark: bool = False,
    yields: Mapping[str, pd.Series] | None = None,
) -> go.Figure:
    """Both series rebased to 100, and the subject-to-benchmark ratio in a panel below.

    The series' names are their tickers (and legend labels). ``yields`` (label: yields in
    percent), when given, are drawn on a second axis of the ratio's panel.
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
    figure.add_annotation(
        text=html.escape(ratio_title(str(subject.name), str(benchmark.name))),
        xref="paper",
        yref="y2 domain",
        x=0.0,
        y=1.0,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font={"size": 11},
    )
    _add_yields(figure, yields or {}, rebased.index, simulated)
    figure.update_layout(
        template=template_for(dark),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        title={
            "text": html.escape(f"{subject.name} vs {benchmark.name} (rebased to 100)"),
            "x": 0.01,
        },
        hovermode="x unified",
        dragmode="pan",
        margin={"l": 10, "r": 60, "t": 60, "b": 30},
        legend={"orientation": "h", "y": 1.0, "x": 0.0, "yanchor": "top", "bgcolor": TRANSPARENT},
    )
    figure.update_yaxes(side="right")
    if simulated:
        figure.add_annotation(watermark(dark))
    return figure
