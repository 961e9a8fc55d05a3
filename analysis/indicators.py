"""Technical indicators, computed with pandas-ta and renamed to our own column names.

This is the only module that imports pandas_ta. Every call asks pandas-ta for its TA-Lib path
(``talib=True``), so values equal TA-Lib's (and TradingView's) from the first bar TA-Lib
gives, warm-up included; without TA-Lib pandas-ta silently computes other numbers, so its
absence is an error here. pandas-ta returns ``None`` for series shorter than an indicator's
window and names columns after its argument types, so results are taken by position and
renamed, and short inputs give all-NaN results aligned to the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pandas_ta as ta
from pandas_ta.maps import Imports

MACD_COLUMNS: tuple[str, ...] = ("macd", "signal", "hist")
BBANDS_COLUMNS: tuple[str, ...] = ("lower", "middle", "upper")

_SPEC = re.compile(r"(sma|ema|rsi|bb)(\d*)")
_DEFAULT_LENGTHS: dict[str, int] = {"rsi": 14, "bb": 20}
_MIN_LENGTHS: dict[str, int] = {"sma": 1, "ema": 1, "rsi": 2, "bb": 2}


def _require_talib() -> None:
    if not Imports["talib"]:
        raise RuntimeError(
            "TA-Lib is not installed: pandas-ta would compute other numbers than TA-Lib and "
            "TradingView. Install the TA-Lib wheel (a runtime dependency of r2k-dash)."
        )


def _closes(close: pd.Series) -> pd.Series:
    if not isinstance(close, pd.Series):
        raise ValueError(f"expected a Series of closes, got {type(close).__name__}")
    _require_talib()
    return close.astype("float64")


def _length(value: int, name: str = "length", minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _series(result: pd.Series | None, index: pd.Index) -> pd.Series:
    if result is None:
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(np.asarray(result, dtype="float64"), index=index)


def _frame(
    result: pd.DataFrame | None, index: pd.Index, positions: tuple[int, ...], names: tuple[str, ...]
) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame(np.nan, index=index, columns=list(names), dtype="float64")
    values = result.iloc[:, list(positions)].to_numpy(dtype="float64")
    return pd.DataFrame(values, index=index, columns=list(names))


def sma(close: pd.Series, length: int) -> pd.Series:
    """Simple moving average of ``close`` over ``length`` bars (NaN during warm-up)."""
    close = _closes(close)
    return _series(ta.sma(close, length=_length(length), talib=True), close.index)


def ema(close: pd.Series, length: int) -> pd.Series:
    """Exponential moving average, seeded with the SMA of the first ``length`` bars."""
    close = _closes(close)
    return _series(ta.ema(close, length=_length(length), talib=True), close.index)


def macd(close: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD line, its signal line and the histogram, as columns ``macd, signal, hist``."""
    close = _closes(close)
    fast, slow, signal = _length(fast, "fast"), _length(slow, "slow"), _length(signal, "signal")
    if fast >= slow:
        raise ValueError(f"MACD needs fast < slow, got fast={fast}, slow={slow}")
    result = ta.macd(close, fast=fast, slow=slow, signal=signal, talib=True)
    # pandas-ta orders its columns: MACD line, histogram, signal.
    return _frame(result, close.index, (0, 2, 1), MACD_COLUMNS)


def rsi(close: pd.Series, length: int = 14) -> pd.Series:
    """Wilder's relative strength index (0 to 100), seeded with an SMA as TA-Lib does."""
    close = _closes(close)
    return _series(ta.rsi(close, length=_length(length, minimum=2), talib=True), close.index)


def bbands(close: pd.Series, length: int = 20, k: float = 2.0) -> pd.DataFrame:
    """Bollinger Bands: SMA ``middle`` and ``lower``/``upper`` at k population std devs."""
    close = _closes(close)
    if not np.isfinite(k) or k <= 0:
        raise ValueError(f"k must be a positive number of standard deviations, got {k!r}")
    result = ta.bbands(
        close,
        length=_length(length, minimum=2),
        lower_std=float(k),
        upper_std=float(k),
        ddof=0,
        talib=True,
    )
    # pandas-ta orders its columns: lower, middle, upper, bandwidth, percent.
    return _frame(result, close.index, (0, 1, 2), BBANDS_COLUMNS)


def _parse(name: object) -> tuple[str, int] | None:
    """``(kind, length)`` for an indicator name, or None when the name is not one."""
    if name == "macd":
        return ("macd", 0)
    match = _SPEC.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        return None
    kind, digits = match.group(1), match.group(2)
    if not digits:
        return (kind, _DEFAULT_LENGTHS[kind]) if kind in _DEFAULT_LENGTHS else None
    length = int(digits)
    return (kind, length) if length >= _MIN_LENGTHS[kind] else None


def is_indicator(name: str) -> bool:
    """Whether ``compute_indicators`` understands ``name`` (e.g. ``sma50``, ``macd``, ``bb``)."""
    return _parse(name) is not None


def compute_indicators(bars: pd.DataFrame, spec: Iterable[str]) -> pd.DataFrame:
    """Indicators on ``bars['close']`` named by ``spec``, as columns with our own names.

    Names: ``smaN`` and ``emaN`` (column as given, e.g. ``sma50``); ``macd`` (columns
    ``macd, macd_signal, macd_hist`` for 12, 26, 9); ``rsi`` or ``rsiN`` (column ``rsiN``,
    14 by default); ``bb`` or ``bbN`` (columns ``bb_lower, bb_middle, bb_upper`` for
    N = 20 by default and k = 2). Columns follow the order of ``spec``.
    """
    if not isinstance(bars, pd.DataFrame) or "close" not in bars.columns:
        raise ValueError("compute_indicators needs a DataFrame with a 'close' column")
    names = [spec] if isinstance(spec, str) else list(spec)
    unknown = [name for name in names if _parse(name) is None]
    if unknown:
        raise ValueError(
            f"unknown indicators {unknown}; expected smaN, emaN, macd, rsi[N] or bb[N]"
        )
    parsed = [kind_length for kind_length in map(_parse, names) if kind_length is not None]
    close = bars["close"]
    columns: dict[str, pd.Series] = {}
    for kind, length in parsed:
        if kind in ("sma", "ema"):
            columns[f"{kind}{length}"] = (sma if kind == "sma" else ema)(close, length)
        elif kind == "rsi":
            columns[f"rsi{length}"] = rsi(close, length)
        elif kind == "bb":
            bands = bbands(close, length)
            for column in BBANDS_COLUMNS:
                columns[f"bb_{column}"] = bands[column]
        else:
            lines = macd(close)
            columns["macd"] = lines["macd"]
            columns["macd_signal"] = lines["signal"]
            columns["macd_hist"] = lines["hist"]
    return pd.DataFrame(columns, index=bars.index)


def warm_up() -> None:
    """Run every indicator once, so one-off compilation happens at start, not in a request."""
    close = pd.Series(np.linspace(100.0, 120.0, 80) + np.sin(np.arange(80.0)))
    sma(close, 50)
    ema(close, 20)
    macd(close)
    rsi(close)
    bbands(close)
