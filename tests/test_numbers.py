"""Numbers as the page writes them: one minus sign, one precision per ticker, compact volumes."""

from __future__ import annotations

import math

import pytest

from analysis.numbers import MINUS, compact, price, price_decimals, signed, with_minus


def test_prices_under_a_dollar_get_four_decimals_others_two():
    assert price_decimals(0.5817) == 4 and price_decimals(3.99) == 2 and price_decimals(1.0) == 2
    with pytest.raises(ValueError, match="finite"):
        price_decimals(math.nan)


def test_every_negative_number_uses_the_true_minus_sign():
    assert price(-1234.567) == f"{MINUS}1,234.57"
    assert signed(-3.456, 1, "%") == f"{MINUS}3.5%" and signed(2.0, 2) == "+2.00"
    assert compact(-2_500_000) == f"{MINUS}2.5M"
    assert "-" not in with_minus("-1 -2")


@pytest.mark.parametrize(
    ("value", "text"),
    [(950, "950"), (1_234, "1.2K"), (1_234_567, "1.2M"), (3.4e9, "3.4B"), (math.nan, "n/a")],
)
def test_volumes_read_as_traders_write_them(value, text):
    assert compact(value) == text
