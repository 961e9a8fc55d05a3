"""The page's <head> loads the saved colour mode before anything paints (no white flash).

The theme switch is persisted by Dash in localStorage and applied by a clientside callback,
which runs only after Dash has started: too late for the first paint. A small same-origin
script (allowed by the CSP, unlike an inline one) sets it first.
"""

from __future__ import annotations

from pathlib import Path

from components import ids

SCRIPT = "early-theme.js"
PERSISTENCE_KEY = f"_dash_persistence.{ids.THEME_SWITCH}.value.true"
"""Where Dash keeps the switch's value (``persistence=True``); the script reads this key."""
CSS_SLOT = "{%css%}"


def with_early_theme(index_string: str, script_url: str, assets: Path) -> str:
    """``index_string`` with the theme script in <head>, before the stylesheets.

    The URL carries the script's modification time: browsers keep assets for a year.
    """
    if CSS_SLOT not in index_string:
        raise ValueError(f"the index string needs a {CSS_SLOT} slot in its <head>")
    script = assets / SCRIPT
    if PERSISTENCE_KEY not in script.read_text(encoding="utf-8"):
        raise ValueError(f"{script} must read Dash's persistence key {PERSISTENCE_KEY}")
    tag = f'<script src="{script_url}?m={int(script.stat().st_mtime)}"></script>'
    return index_string.replace(CSS_SLOT, tag + "\n        " + CSS_SLOT, 1)
