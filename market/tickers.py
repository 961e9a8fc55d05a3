"""What a ticker may look like, checked wherever one comes in (URL, CLI, file names)."""

from __future__ import annotations

import re

RATE_TICKERS: dict[str, str] = {
    "^IRX": "13-week T-bill",
    "^FVX": "5-year Treasury",
    "^TNX": "10-year Treasury",
}
"""Yahoo's symbols of US Treasury yields (quoted in percent), and what each is."""

TICKER_PATTERN = re.compile(r"^[A-Z0-9^][A-Z0-9.\-^=]{0,14}$")
"""Yahoo symbols such as ``BRK-B``, ``^RUT``, ``DEMO-R2K``: no slashes, no ``..`` paths."""


def parse_ticker(raw: str | None) -> str | None:
    """``raw`` upper-cased and stripped if it can be a ticker, else None."""
    if raw is None or not raw.isascii():
        return None
    ticker = raw.strip().upper()
    if not TICKER_PATTERN.fullmatch(ticker) or ".." in ticker:
        return None
    return ticker


def check_ticker(ticker: str) -> str:
    """``ticker`` if it already is a valid upper-case ticker (so safe as a file name).

    Raises ``ValueError`` naming the expected shape otherwise.
    """
    if parse_ticker(ticker) != ticker:
        raise ValueError(
            f"{str(ticker)[:40]!r} is not a ticker: upper-case letters, digits and . - ^ = only, "
            "at most 15 characters, no '..'"
        )
    return ticker
