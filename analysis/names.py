"""Company names in normal case: the iShares holdings file spells them in capitals.

"BLOOM ENERGY CLASS A CORP" reads as "Bloom Energy Class A Corp"; acronyms and words with
digits keep their capitals ("REIT", "II", "3D"). A name that is not all capitals is
already written by someone who cared and is returned as given.
"""

from __future__ import annotations

import re

ACRONYMS = frozenset(
    {
        "ADR", "AG", "BDC", "CVR", "ETF", "II", "III", "IV", "LLC", "LP", "NV", "PLC",
        "REIT", "SA", "SE", "SPA", "UK", "US", "USA", "VI", "VII", "VIII", "XXI",
    }
)  # fmt: skip
"""Words kept in capitals (fund and company-form acronyms and roman numerals)."""
_LOWER = frozenset({"and", "of", "the", "for", "in", "on", "de"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def _word(match: re.Match[str], first: bool) -> str:
    word = match.group(0)
    if word.upper() in ACRONYMS:
        return word.upper()
    lower = word.lower()
    if lower in _LOWER and not first:
        return lower
    return lower[:1].upper() + lower[1:]


def normal_case(name: str) -> str:
    """``name`` in normal case when it is written in capitals, else unchanged."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {type(name).__name__}")
    if name != name.upper() or not any(c.isalpha() for c in name):
        return name
    parts = []
    for token in name.split(" "):
        if any(c.isdigit() for c in token):
            parts.append(token)
            continue
        parts.append(_WORD.sub(lambda m: _word(m, first=not parts), token))
    return " ".join(parts)
