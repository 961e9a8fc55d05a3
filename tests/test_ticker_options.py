"""The ticker box's completions: index and benchmark first, then every constituent by ticker."""

from __future__ import annotations

import pandas as pd
import pytest

from callbacks.tickers import ticker_choices


def test_the_index_and_benchmark_come_first_then_constituents_once_each():
    universe = pd.DataFrame(
        {
            "ticker": ["ZZZ", "AAA", "IWM", "AAA"],
            "name": ["Zed Corp", "Aardvark Inc", "iShares Russell 2000", "Aardvark CVR"],
        }
    )
    assert ticker_choices(universe, ["IWM", "SPY"]) == [
        ("IWM", "index"),
        ("SPY", "benchmark"),
        ("AAA", "Aardvark Inc"),
        ("ZZZ", "Zed Corp"),
    ]


def test_without_a_universe_only_the_index_and_benchmark_are_offered():
    assert ticker_choices(None, ["IWM"]) == [("IWM", "index")]


def test_a_universe_without_names_is_refused_by_name():
    with pytest.raises(ValueError, match="name"):
        ticker_choices(pd.DataFrame({"ticker": ["AAA"]}), ["IWM"])
