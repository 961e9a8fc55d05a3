"""Numbers as the page writes them: one minus sign (U+2212), one price precision per ticker.

Pure formatting, shared by the read's sentences, the chart's readout and the read panel, so
that "$0.5817 and $3.99" or a hyphen beside a true minus never appear side by side.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
COMPACT_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def price_decimals(reference: float) -> int:
    """Decimals for every price of a ticker: 4 under a dollar (penny stocks), else 2."""
    if not math.isfinite(reference):
        raise ValueError(f"price_decimals needs a finite reference price, got {reference!r}")
    return 4 if abs(reference) < 1 else 2


def with_minus(text: str) -> str:
    """``text`` with ASCII hyphen-minus signs of numbers replaced by U+2212."""
    return text.replace("-", MINUS)


def price(value: float, decimals: int = 2) -> str:
    """``1,234.56`` (or ``−0.5817``): thousands separated, the given decimals."""
    return with_minus(f"{value:,.{decimals}f}")


def signed(value: float, decimals: int = 1, suffix: str = "") -> str:
    """``+1.2%`` or ``−3.4%``: always a sign, the minus a true one."""
    return with_minus(f"{value:+,.{decimals}f}") + suffix


def compact(value: float) -> str:
    """A volume or count as traders read it: ``1.2M``, ``850K``, ``3.4B``."""
    if not math.isfinite(value):
        return "n/a"
    for size, unit in COMPACT_UNITS:
        if abs(value) >= size:
            return with_minus(f"{value / size:.1f}{unit}")
    return with_minus(f"{value:.0f}")
