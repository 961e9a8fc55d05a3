"""Wiring of the first fill's progress: the movers area polls it while an empty store fills.

The fill itself runs in whichever worker started it (``hosting.first_fill``); every worker
reads its progress from the store's directory, so any page, reloaded or not, follows it.
When the fill ends the poll stops and the fill's state changes, which ranks the tables again.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, no_update

from callbacks.services import Services
from components import ids
from components.movers import FillNote
from components.refresh import HIDDEN
from hosting.first_fill import DONE, FAILED, INTERRUPTED, FillProgress, read_fill_progress
from market.sources import LIVE

WAITING_NOTE = "The tables fill when the first fetch of the constituents ends."


def time_left(seconds: float | None) -> str:
    """'about 3 min left', 'less than a minute left', or that it is still being estimated."""
    if seconds is None:
        return "estimating the time left"
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"


def describe_fill(progress: FillProgress, label: str) -> str:
    """The fill's state in words for the movers area."""
    if progress.state == DONE:
        return f"First fetch of the constituents done: {progress.message}."
    if progress.state == FAILED:
        return (
            f"The first fetch of the constituents from {label} failed: {progress.message}. "
            "Use the refresh button or `r2k refresh` to try again."
        )
    if progress.state == INTERRUPTED:
        return (
            f"The first fetch of the constituents stopped at {progress.done:,} of "
            f"{progress.total:,} tickers (its server process ended); it goes on when the "
            "server restarts, or with the refresh button."
        )
    if progress.total == 0:
        return f"First run: asking {label} for the index's constituents…"
    return (
        f"First run: fetching the constituents' prices from {label}: {progress.done:,} of "
        f"{progress.total:,} tickers, {time_left(progress.seconds_left())}."
    )


def fill_note(services: Services) -> FillNote | None:
    """The first fill as the page shows it; None when the source never had one."""
    source = services.market.source
    if source.mode != LIVE:
        return None
    progress = read_fill_progress(source.store)
    if progress is None:
        return None
    return FillNote(
        state=progress.state,
        running=progress.running,
        done=progress.done,
        total=progress.total,
        text=describe_fill(progress, source.label),
    )


def register(app: Dash, services: Services) -> None:
    """Attach the poll of the first fill's progress to ``app``."""

    @app.callback(
        Output(ids.FILL_PROGRESS_ROW, "style"),
        Output(ids.FILL_PROGRESS, "value"),
        Output(ids.FILL_PROGRESS, "max"),
        Output(ids.FILL_PROGRESS_TEXT, "children"),
        Output(ids.FILL_POLL, "disabled"),
        Output(ids.FILL_STATE, "data"),
        Input(ids.FILL_POLL, "n_intervals"),
        State(ids.FILL_STATE, "data"),
        prevent_initial_call=True,
    )
    def _poll(_ticks: int | None, shown_state: str | None) -> tuple[Any, ...]:
        note = fill_note(services)
        if note is None:
            return HIDDEN, 0, 1, "", True, no_update
        state = note.state if note.state != shown_state else no_update
        style = {} if note.running else HIDDEN
        return style, note.done, max(note.total, 1), note.text, not note.running, state
