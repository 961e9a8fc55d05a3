"""The page header: title, data-source badge, theme switch, and the status banner."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.refresh import create_refresh_control
from market.sources import ResolvedSource

SIMULATED_NOTICE = (
    "Simulated data: this is the offline demo market (index DEMO-R2K and fictional "
    "companies). No number on this page is a real price."
)


def source_badge_text(source: ResolvedSource, updated: datetime | None) -> str:
    """The badge's words: where the data comes from and when it last changed."""
    if updated is None:
        return source.label
    return f"{source.label} · updated {updated:%Y-%m-%d %H:%M}"


def create_source_badge(source: ResolvedSource, updated: datetime | None) -> dbc.Badge:
    """The data source and its freshness, red when simulated."""
    return dbc.Badge(
        source_badge_text(source, updated),
        id=ids.SOURCE_BADGE,
        color="danger" if source.simulated else "secondary",
        className="ms-2 text-wrap",
    )


def create_source_banner(source: ResolvedSource) -> dbc.Alert:
    """A banner on every view of simulated or stale data (hidden when there is none)."""
    lines = [SIMULATED_NOTICE] if source.simulated else []
    if source.note:
        lines.append(source.note)
    return dbc.Alert(
        [html.Div(line) for line in lines],
        id=ids.SOURCE_BANNER,
        color="warning",
        className="py-2 mb-2",
        is_open=bool(lines),
    )


def create_header(source: ResolvedSource, updated: datetime | None) -> html.Div:
    """Title, badge, the refresh control and the light/dark switch."""
    return html.Div(
        [
            html.H1("r2k-dash", className="h4 mb-0 me-1"),
            html.Span("small caps, weekly", className="text-body-secondary small me-2"),
            create_source_badge(source, updated),
            create_refresh_control(source),
            dbc.Switch(
                id=ids.THEME_SWITCH,
                label="Dark",
                value=False,
                className="ms-auto mb-0",
                persistence=True,
            ),
        ],
        className="d-flex flex-wrap align-items-center gap-1 my-2",
    )
