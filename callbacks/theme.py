"""Light and dark themes: a clientside switch of Bootstrap's and AG Grid's colour modes.

Figures follow through their own callbacks (the theme switch is one of their inputs).
"""

from __future__ import annotations

from dash import Dash, Input, Output

from components import ids

SET_THEME_JS = """
function (dark) {
    const mode = dark ? "dark" : "light";
    document.documentElement.setAttribute("data-bs-theme", mode);
    document.body.setAttribute("data-ag-theme-mode", mode);
    return mode;
}
"""


def register(app: Dash) -> None:
    """Attach the clientside theme switch to ``app``."""
    app.clientside_callback(
        SET_THEME_JS,
        Output(ids.THEME_STORE, "data"),
        Input(ids.THEME_SWITCH, "value"),
    )
