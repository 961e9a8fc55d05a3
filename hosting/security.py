"""Access control and security headers for the Flask server behind the Dash app."""

from __future__ import annotations

from dash import Dash

from settings import Settings


def protect(app: Dash, settings: Settings) -> None:
    """Turn on authentication and security headers as the settings ask."""
