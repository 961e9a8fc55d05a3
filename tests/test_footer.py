"""The footer credits the source the numbers come from, never Yahoo for the user's own files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from components.footer import source_credit
from market.sources import CACHED, DIRECT, LIVE, ResolvedSource
from market.store import Store


@dataclass
class _Provider:
    simulated: bool


def _source(label: str, mode: str, simulated: bool = False) -> ResolvedSource:
    return ResolvedSource(_Provider(simulated), Store(Path("unused")), mode, label)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "says", "never"),
    [
        (_source("CSV files in /data/prices", DIRECT), "CSV files in /data/prices", "Yahoo"),
        (_source("Simulated demo market", DIRECT, simulated=True), "simulated", "Yahoo"),
        (_source("Yahoo Finance", LIVE), "Yahoo Finance via yfinance", "simulated"),
        (_source("Yahoo Finance (stored copy)", CACHED), "iShares IWM", "CSV"),
    ],
)
def test_the_credit_names_the_source_in_use(source, says, never):
    credit = source_credit(source)
    assert says in credit and never not in credit
    assert credit.endswith("Not investment advice.")
