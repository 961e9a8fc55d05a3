"""The Universe shape: the constituents of an index with their name, sector and weight."""

from __future__ import annotations

import pandas as pd

UNIVERSE_COLUMNS: tuple[str, ...] = ("ticker", "name", "sector", "weight")

GICS_SECTORS: tuple[str, ...] = (
    "Communication",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)
"""The eleven GICS sectors as iShares names them (``Communication``, not ``... Services``)."""


def validate_universe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` if it is a Universe; raise ``ValueError`` naming what is wrong."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a Universe DataFrame, got {type(frame).__name__}")
    missing = [c for c in UNIVERSE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"a Universe needs columns {list(UNIVERSE_COLUMNS)}; missing {missing}")
    if frame["ticker"].duplicated().any():
        dupes = frame.loc[frame["ticker"].duplicated(), "ticker"].head(5).tolist()
        raise ValueError(f"Universe tickers must be unique; duplicated: {dupes}")
    return frame


def make_universe(frame: pd.DataFrame) -> pd.DataFrame:
    """Select and type the Universe columns, sorted by weight (largest first)."""
    validate_universe(frame)
    out = frame.loc[:, list(UNIVERSE_COLUMNS)].copy()
    out["ticker"] = out["ticker"].astype(str)
    out["name"] = out["name"].astype(str)
    out["sector"] = out["sector"].astype(str)
    out["weight"] = pd.to_numeric(out["weight"], errors="coerce").fillna(0.0).astype("float64")
    return out.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
