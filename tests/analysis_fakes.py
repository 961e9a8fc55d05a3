"""Builders of small synthetic series for the analysis tests (no network, no files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st


def random_walk(count: int, seed: int, start: float = 100.0, vol: float = 0.03) -> np.ndarray:
    """A positive geometric random walk of ``count`` closes."""
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, vol, count)))


def weekly_closes(values: np.ndarray, first_monday: str = "2010-01-04") -> pd.Series:
    """``values`` as closes on consecutive Mondays."""
    index = pd.date_range(first_monday, periods=len(values), freq="W-MON", name="date")
    return pd.Series(np.asarray(values, dtype="float64"), index=index)


def bars_from_closes(closes: np.ndarray, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Daily Bars whose open is the previous close and whose range holds open and close."""
    closes = np.asarray(closes, dtype="float64")
    opens = np.concatenate([[closes[0]], closes[:-1]])
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) * 1.01,
            "low": np.minimum(opens, closes) * 0.99,
            "close": closes,
            "volume": np.full(len(closes), 1_000.0),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )


@st.composite
def daily_bars(draw: st.DrawFn, min_sessions: int = 1, max_sessions: int = 120) -> pd.DataFrame:
    """Valid daily Bars on a random subset of weekdays, with random but consistent OHLCV."""
    days = draw(st.integers(min_value=min_sessions, max_value=max_sessions))
    start = draw(
        st.dates(
            min_value=pd.Timestamp("2000-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()
        )
    )
    calendar = pd.bdate_range(start, periods=days * 2)
    keep = draw(st.lists(st.booleans(), min_size=len(calendar), max_size=len(calendar)))
    dates = calendar[np.asarray(keep, dtype=bool)]
    if len(dates) == 0:
        dates = calendar[:1]
    count = len(dates)
    prices = st.floats(min_value=1.0, max_value=1_000.0, allow_nan=False)
    opens = np.asarray(draw(st.lists(prices, min_size=count, max_size=count)))
    closes = np.asarray(draw(st.lists(prices, min_size=count, max_size=count)))
    spread = np.asarray(draw(st.lists(st.floats(0.0, 0.2), min_size=count * 2, max_size=count * 2)))
    volume = draw(st.lists(st.integers(0, 10**9), min_size=count, max_size=count))
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) * (1.0 + spread[:count]),
            "low": np.minimum(opens, closes) * (1.0 - spread[count:]),
            "close": closes,
            "volume": np.asarray(volume, dtype="float64"),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )
