"""The footer credits the source the numbers come from, never Yahoo for the user's own files."""

from __future__ import annotations

import pytest

from components.footer import source_credit
from components.page_source import PageSource


@pytest.mark.parametrize(
    ("source", "says", "never"),
    [
        (
            PageSource("CSV files in /data/prices", refreshable=False),
            "CSV files in /data/prices",
            "Yahoo",
        ),
        (
            PageSource("Simulated demo market", simulated=True, refreshable=False),
            "simulated",
            "Yahoo",
        ),
        (PageSource("Yahoo Finance"), "Yahoo Finance via yfinance", "simulated"),
        (PageSource("Yahoo Finance (stored copy)"), "iShares IWM", "CSV"),
    ],
)
def test_the_credit_names_the_source_in_use(source, says, never):
    credit = source_credit(source)
    assert says in credit and never not in credit
    assert credit.endswith("Not investment advice.")
