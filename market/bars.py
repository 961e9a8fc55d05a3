"""The Bars shape every part of r2k-dash exchanges: daily OHLCV indexed by session date.

A Bars frame has a tz-naive ``DatetimeIndex`` named ``date``, sorted ascending and unique,
and float columns ``open, high, low, close, volume``. Rows without a close are dropped.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


def empty_bars() -> pd.DataFrame:
    """A Bars frame with no rows."""
    index = pd.DatetimeIndex([], name="date")
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS}, index=index)


def to_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise a frame with OHLCV columns (any capitalisation) into the Bars shape.

    Column names are lower-cased; the index becomes tz-naive session dates; duplicate
    dates keep their last row; rows whose close is missing are dropped.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a DataFrame of OHLCV bars, got {type(frame).__name__}")
    renamed = frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in BAR_COLUMNS if c not in renamed.columns]
    if missing:
        raise ValueError(
            f"bars need columns {', '.join(BAR_COLUMNS)}; missing {', '.join(missing)} "
            f"(got {', '.join(map(str, frame.columns))})"
        )
    index = pd.DatetimeIndex(pd.to_datetime(renamed.index))
    if index.tz is not None:
        index = index.tz_localize(None)
    out = renamed.loc[:, list(BAR_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    out = out.astype("float64")
    out.index = index.normalize().rename("date")
    out = out[out["close"].notna()]
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out


def validate_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` unchanged if it is Bars; raise ``ValueError`` naming what is wrong."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a Bars DataFrame, got {type(frame).__name__}")
    if tuple(frame.columns) != BAR_COLUMNS:
        raise ValueError(
            f"Bars must have exactly the columns {list(BAR_COLUMNS)}, got {list(frame.columns)}"
        )
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is not None:
        raise ValueError("Bars must be indexed by a tz-naive DatetimeIndex named 'date'")
    if index.name != "date":
        raise ValueError(f"Bars index must be named 'date', not {index.name!r}")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise ValueError("Bars index must be sorted ascending and unique")
    return frame


def bars_as_of(bars: pd.DataFrame, as_of: pd.Timestamp | date | str | None) -> pd.DataFrame:
    """The rows of ``bars`` on or before ``as_of`` (all rows when ``as_of`` is None)."""
    if as_of is None:
        return bars
    cutoff = pd.Timestamp(as_of).normalize()
    return bars.loc[bars.index <= cutoff]
