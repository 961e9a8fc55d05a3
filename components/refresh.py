"""The header's refresh control: a button, a progress bar while it runs, and a status line."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.page_source import PageSource

HIDDEN = {"display": "none"}


def refresh_hint(source: PageSource) -> str:
    """What the button does for ``source``, or why there is nothing for it to do."""
    if not source.refreshable:
        return f"Nothing to refresh: {source.label} is read directly, nothing is fetched."
    return f"Fetch the latest prices of the whole index from {source.label}."


def create_refresh_control(source: PageSource) -> html.Div:
    """Button, progress bar (hidden until a refresh runs) and status text.

    A disabled button shows no tooltip of its own, so the hint sits on a wrapping span
    (the page's banner already says when data is simulated). The progress row is shown
    by its outer ``style`` (Bootstrap's ``d-flex`` is ``!important``, so it sits inside).
    """
    hint = refresh_hint(source)
    return html.Div(
        [
            html.Span(
                dbc.Button(
                    "Refresh data",
                    id=ids.REFRESH_BUTTON,
                    size="sm",
                    color="secondary",
                    outline=True,
                    disabled=not source.refreshable,
                ),
                title=hint,
            ),
            html.Div(
                html.Div(
                    [
                        dbc.Progress(
                            id=ids.REFRESH_PROGRESS,
                            value=0,
                            max=1,
                            striped=True,
                            animated=True,
                            style={"width": "8rem", "height": "0.75rem"},
                        ),
                        html.Span(id=ids.REFRESH_PROGRESS_TEXT, className="small"),
                    ],
                    className="d-flex align-items-center gap-2",
                ),
                id=ids.REFRESH_PROGRESS_ROW,
                style=HIDDEN,
            ),
            html.Span(
                "",
                id=ids.REFRESH_STATUS,
                className="small text-body-secondary",
                role="status",
            ),
        ],
        className="d-flex flex-wrap align-items-center gap-2 ms-2",
    )
