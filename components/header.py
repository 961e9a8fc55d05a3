"""The page header: title, data-source badge, theme switch, and the status banner."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.page_source import PageSource
from components.refresh import create_refresh_control

SIMULATED_NOTICE = (
    "Simulated data: this is the offline demo market (index DEMO-R2K and fictional "
    "companies). No number on this page is a real price."
)


def source_badge_text(source: PageSource) -> str:
    """The badge's words: where the data comes from, when it last changed, and whether the
    last fetch failed."""
    updated = source.updated_at
    text = source.label if updated is None else f"{source.label} · updated {updated:%Y-%m-%d %H:%M}"
    return text if source.stale is None else f"{text} · {source.stale}"


def create_source_badge(source: PageSource) -> dbc.Badge:
    """The data source and its freshness, red when simulated, amber when stale."""
    color = "danger" if source.simulated else "warning" if source.stale else "secondary"
    return dbc.Badge(
        source_badge_text(source),
        id=ids.SOURCE_BADGE,
        color=color,
        className="ms-2 text-wrap",
    )


def create_source_banner(source: PageSource) -> dbc.Alert:
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


def create_header(source: PageSource) -> html.Div:
    """Title, badge, the refresh control and the light/dark switch."""
    return html.Div(
        [
            html.H1("r2k-dash", className="h4 mb-0 me-1"),
            html.Span("small caps, weekly", className="text-body-secondary small me-2"),
            create_source_badge(source),
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
