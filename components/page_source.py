"""What the page says about its data source, as plain values the caller reads from the market."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PageSource:
    """The source's name and state as the header, banner and footer show them.

    Plain values, so the layout needs no market object: ``callbacks.services`` fills it in.
    """

    label: str
    simulated: bool = False
    refreshable: bool = True
    """False when the source is read directly (demo, CSV files): nothing to fetch."""
    note: str | None = None
    """Why the source in use is not the one asked for (``auto`` fell back), if so."""
    updated_at: datetime | None = None
    stale: str | None = None
    """One line saying what the last fetch could not update, if anything."""
