"""Simulated US Treasury yields for the demo market: ``^IRX``, ``^FVX`` and ``^TNX``.

Yahoo quotes these as yields in percent (the 13-week bill, the 5-year and the 10-year note).
The demo's yields tell a plausible story for the rate-cut thesis, and nothing more: near zero
for years, a fast rise, a plateau, then cuts, the short end moving most. Deterministic for a
seed; like every demo number, shown as simulated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.bars import BAR_COLUMNS
from market.tickers import RATE_TICKERS

_STORY: tuple[tuple[float, float, float, float], ...] = (
    # fraction of the history, then ^IRX, ^FVX, ^TNX levels (percent) at that point
    (0.0, 0.05, 1.6, 2.3),
    (0.45, 0.1, 0.8, 1.5),
    (0.6, 4.2, 4.0, 3.9),
    (0.75, 5.3, 4.4, 4.3),
    (0.9, 5.2, 4.1, 4.2),
    (1.0, 3.9, 3.7, 4.1),
)
_DAILY_NOISE = (0.01, 0.04, 0.035)


def simulated_yields(dates: pd.DatetimeIndex, seed: int) -> dict[str, pd.DataFrame]:
    """Daily Bars (open = high = low = close, no volume) of each of ``RATE_TICKERS``."""
    if not isinstance(dates, pd.DatetimeIndex) or dates.empty:
        raise ValueError("simulated_yields needs a non-empty DatetimeIndex of sessions")
    position = np.linspace(0.0, 1.0, len(dates))
    points = np.array(_STORY)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7_001]))
    result: dict[str, pd.DataFrame] = {}
    for column, (ticker, noise) in enumerate(zip(RATE_TICKERS, _DAILY_NOISE, strict=True)):
        path = np.interp(position, points[:, 0], points[:, column + 1])
        wander = np.cumsum(rng.normal(0.0, noise, len(dates)))
        wander -= np.linspace(0.0, 1.0, len(dates)) * wander[-1]  # pinned at both ends
        close = np.round(np.maximum(path + wander, 0.01), 3)
        table = np.column_stack([close, close, close, close, np.zeros(len(dates))])
        frame = pd.DataFrame(table, index=dates.rename("date"), columns=list(BAR_COLUMNS))
        result[ticker] = frame
    return result
