"""The manager that runs Dash background callbacks: on disk locally, Celery with Redis."""

from __future__ import annotations

from typing import Any

from settings import Settings


def background_manager(settings: Settings) -> Any:
    """None until background callbacks are wired (the refresh button)."""
    return None
