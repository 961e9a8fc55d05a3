"""Company names in normal case: the iShares file's capitals read as people write names."""

import pytest

from analysis.names import normal_case


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("BLOOM ENERGY CLASS A CORP", "Bloom Energy Class A Corp"),
        ("CREDO TECHNOLOGY GROUP HOLDING LTD", "Credo Technology Group Holding Ltd"),
        ("AMERICAN HEALTHCARE REIT INC", "American Healthcare REIT Inc"),
        ("BANK OF HAWAII CORP", "Bank of Hawaii Corp"),
        ("THE ST. JOE COMPANY", "The St. Joe Company"),
        ("O'REILLY-TYPE HOLDINGS II", "O'reilly-Type Holdings II"),
        ("3D SYSTEMS CORP", "3D Systems Corp"),
        ("Acme Widgets Inc", "Acme Widgets Inc"),
        ("", ""),
    ],
)
def test_capitals_become_normal_case_and_written_names_stay(raw, shown):
    assert normal_case(raw) == shown


def test_a_non_string_is_refused():
    with pytest.raises(ValueError, match="name must be a string"):
        normal_case(None)  # type: ignore[arg-type]
