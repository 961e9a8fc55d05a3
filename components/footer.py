"""The page's footer: who the numbers come from, named after the source actually in use."""

from __future__ import annotations

from dash import html

from components.page_source import PageSource

HOLDINGS_CREDIT = "Membership: iShares IWM holdings."
NOT_ADVICE = "Not investment advice."


def source_credit(source: PageSource) -> str:
    """Credit for the prices and membership shown: Yahoo only when they come from Yahoo."""
    if source.simulated:
        return "Prices and membership: the simulated demo market (no real data). " + NOT_ADVICE
    if source.label.startswith("Yahoo"):
        return f"Prices: {source.label} via yfinance (personal use). {HOLDINGS_CREDIT} {NOT_ADVICE}"
    return f"Prices and membership: {source.label}, supplied by this site. {NOT_ADVICE}"


def create_footer(source: PageSource) -> html.Footer:
    """The credit line under the page."""
    return html.Footer(source_credit(source), className="small text-body-secondary my-3")
