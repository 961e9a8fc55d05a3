"""Wiring of the refresh button: a background callback with a progress bar.

The refresh runs outside the request (a process of its own, or a Celery worker), so the
rest of the page keeps answering while it runs. When it ends, the source badge is rewritten
with the store's new time, and every later request reads the new data from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dash import Dash, Input, Output

from callbacks.services import Services
from components import ids
from components.header import source_badge_text
from components.refresh import HIDDEN
from hosting.background import run_page_refresh
from market.refresh import RefreshProgress

PROGRESS_POLL_MS = 500
"""How often the page asks how far the refresh is."""


def progress_values(step: RefreshProgress) -> tuple[int, int, str]:
    """The progress bar's value and maximum, and its words: tickers done of total, failures."""
    failures = "1 failure" if step.failures == 1 else f"{step.failures} failures"
    return step.done, max(step.total, 1), f"{step.done} of {step.total} tickers, {failures}"


def register(app: Dash, services: Services) -> None:
    """Attach the refresh button's background callback to ``app``."""
    market = services.market

    @app.callback(
        Output(ids.REFRESH_STATUS, "children"),
        Output(ids.SOURCE_BADGE, "children"),
        Input(ids.REFRESH_BUTTON, "n_clicks"),
        background=True,
        running=[
            (Output(ids.REFRESH_BUTTON, "disabled"), True, False),
            (Output(ids.REFRESH_PROGRESS_ROW, "style"), {}, HIDDEN),
        ],
        progress=[
            Output(ids.REFRESH_PROGRESS, "value"),
            Output(ids.REFRESH_PROGRESS, "max"),
            Output(ids.REFRESH_PROGRESS_TEXT, "children"),
        ],
        interval=PROGRESS_POLL_MS,
        prevent_initial_call=True,
    )
    def refresh_from_page(
        set_progress: Callable[[Sequence[object]], None], _clicks: int | None
    ) -> tuple[str, str]:
        set_progress((0, 1, "starting…"))
        outcome = run_page_refresh(
            market.source,
            services.settings,
            progress=lambda step: set_progress(progress_values(step)),
        )
        badge = source_badge_text(services.page_source())
        return outcome.message, badge
