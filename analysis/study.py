"""The indicators of one series of bars, each computed at most once.

The chart callback reads a ticker and draws it from the same weekly bars: one ``Study``
shared by the read and the figure spares computing the weekly bars, the 50-week average,
MACD, RSI and the channel twice (about a fifth of the callback's time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pandas as pd

from analysis.channel import BAND_SIGMAS, Channel, regression_channel
from analysis.indicators import bbands, ema, macd, rsi, sma

T = TypeVar("T")


class Study:
    """Indicators on ``bars['close']`` (daily or weekly bars), remembered per argument."""

    def __init__(self, bars: pd.DataFrame) -> None:
        if not isinstance(bars, pd.DataFrame) or "close" not in bars.columns:
            raise ValueError("a Study needs bars: a DataFrame with a 'close' column")
        self.bars = bars
        self.close: pd.Series = bars["close"]
        self._done: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        if key not in self._done:
            self._done[key] = compute()
        result: T = self._done[key]
        return result

    def sma(self, length: int) -> pd.Series:
        """``analysis.indicators.sma`` of the closes."""
        return self._once(("sma", length), lambda: sma(self.close, length))

    def ema(self, length: int) -> pd.Series:
        """``analysis.indicators.ema`` of the closes."""
        return self._once(("ema", length), lambda: ema(self.close, length))

    def macd(self) -> pd.DataFrame:
        """MACD (12, 26, 9) of the closes."""
        return self._once(("macd",), lambda: macd(self.close))

    def rsi(self, length: int = 14) -> pd.Series:
        """RSI of the closes."""
        return self._once(("rsi", length), lambda: rsi(self.close, length))

    def bbands(self) -> pd.DataFrame:
        """Bollinger Bands (20, 2) of the closes."""
        return self._once(("bbands",), lambda: bbands(self.close))

    def channel(
        self, lookback: int, k: float = BAND_SIGMAS, anchor: date | str | pd.Timestamp | None = None
    ) -> Channel:
        """``regression_channel`` of the closes; its ``ValueError``s are raised each time."""
        when = None if anchor is None else pd.Timestamp(anchor)
        return self._once(
            ("channel", lookback, k, when),
            lambda: regression_channel(self.close, lookback, k, anchor),
        )
