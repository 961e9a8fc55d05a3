"""Rows the page holds already are not sent again.

A table's rows are large (the movers' 2,000 ranked rows, the screen's 500) and change far less
often than the views that ask for them (a theme switch, an overlay, another ticker). So a store
beside the table keeps the key of the rows last sent (``Services.result_key`` of what the rows
depend on, and of nothing else), and the table's callback sends rows only under another key.
"""

from __future__ import annotations


def already_sent(sent_key: object, wanted_key: str) -> bool:
    """True when the rows of ``wanted_key`` are those the page holds: ``sent_key`` is the
    store's key of the rows last sent (None before any)."""
    if not wanted_key:
        raise ValueError("already_sent needs the wanted rows' key, a non-empty string")
    return sent_key == wanted_key
