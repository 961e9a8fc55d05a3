"""Fakes of the provider's download seam, for tests of our own pacing and batching.

Tests of what yfinance does with Yahoo's answers use the fake Yahoo at the HTTP seam
(``bench.fake_yahoo``); these fakes stand in for the whole batch call instead.

``download_frame`` assembles per-ticker histories the way ``yfinance.multi._download_impl``
does (checked against the real function in test_yahoo.py): a failed ticker contributes
``utils.empty_df()`` (all-NaN ``Adj Close, Close, High, Low, Open, Volume``), each daily
history loses its timezone, all are reindexed to the union of dates (NaN rows where a ticker
has no session), concatenated under ``(Ticker, Price)``, swapped to ``(Price, Ticker)`` and
sorted by price. A frame where every ticker failed has no rows and an unnamed index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from market.bars import to_bars
from market.yfinance_fetch import BatchAnswer

SESSION_TZ = "America/New_York"


def history_frame(first: str, sessions: int, base: float = 100.0) -> pd.DataFrame:
    """What ``Ticker.history(interval="1d", auto_adjust=True)`` returns for one ticker."""
    dates = pd.bdate_range(first, periods=sessions, tz=SESSION_TZ, name="Date")
    close = base + np.arange(sessions, dtype="float64")
    return pd.DataFrame(
        {
            "Open": close - 0.5,
            "High": close + 1.0,
            "Low": close - 1.0,
            "Close": close,
            "Volume": np.full(sessions, 1_000, dtype="int64") + np.arange(sessions),
        },
        index=dates,
    )


def empty_history() -> pd.DataFrame:
    """``yfinance.utils.empty_df()``: what a failed or unknown ticker contributes."""
    nan = np.nan
    empty = pd.DataFrame(
        index=[],
        data={"Open": nan, "High": nan, "Low": nan, "Close": nan, "Adj Close": nan, "Volume": nan},
    )
    empty.index.name = "Date"
    return empty


def download_frame(histories: dict[str, pd.DataFrame | None]) -> pd.DataFrame:
    """``yf.download(list(histories), group_by="column")``; None marks a failed ticker."""
    frames = {t.upper(): (empty_history() if h is None else h.copy()) for t, h in histories.items()}
    for frame in frames.values():
        if not frame.empty:
            frame.index = frame.index.tz_localize(None)
    union: pd.DatetimeIndex | None = None
    for frame in frames.values():
        if not frame.empty:
            index = pd.DatetimeIndex(frame.index)
            union = index if union is None else union.union(index)
    if union is None:
        union = pd.DatetimeIndex([])
    aligned = {t: f.reindex(union) for t, f in frames.items()}
    data = pd.concat(
        aligned.values(), axis=1, sort=True, keys=aligned.keys(), names=["Ticker", "Price"]
    )
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def drop_nan_rows(history: pd.DataFrame, dates: Sequence[str]) -> pd.DataFrame:
    """``history`` with the given sessions blanked: all-NaN rows, as Yahoo sometimes sends."""
    out = history.copy()
    mask = out.index.tz_localize(None).normalize().isin(pd.DatetimeIndex(dates))
    out.loc[mask, ["Open", "High", "Low", "Close"]] = np.nan
    out["Volume"] = out["Volume"].astype("float64")
    out.loc[mask, "Volume"] = np.nan
    return out


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps or works."""

    now: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def answer_from_frame(frame: pd.DataFrame, tickers: Sequence[str]) -> BatchAnswer:
    """A BatchAnswer from a ``yf.download``-shaped frame: all-NaN or absent columns are missing."""
    found: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for ticker in tickers:
        bars = None
        if not frame.empty and ticker.upper() in set(frame.columns.get_level_values(1)):
            columns = frame.xs(ticker.upper(), axis=1, level=1)
            bars = to_bars(columns.loc[:, ["Open", "High", "Low", "Close", "Volume"]])
        if bars is None or bars.empty:
            missing.append(ticker)
        else:
            found[ticker] = bars
    return BatchAnswer(found, tuple(missing))


Outcome = (
    pd.DataFrame
    | BatchAnswer
    | BaseException
    | threading.Event
    | Callable[[list[str]], pd.DataFrame]
)
"""A scripted answer: a frame, an exception to raise, an event to block on, or a function."""


@dataclass
class FakeDownload:
    """A stand-in for the provider's batch download that records calls and answers from a script.

    ``script`` answers the calls in order (the last answer repeats). ``work_seconds`` is how
    long each call takes on ``clock``, to check request pacing without wall time.
    """

    script: list[Outcome]
    clock: FakeClock | None = None
    work_seconds: float = 0.0
    calls: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)
    started_at: list[float] = field(default_factory=list)

    def __call__(self, tickers: Sequence[str], **options: Any) -> BatchAnswer:
        batch = list(tickers)
        self.calls.append((batch, options))
        if self.clock is not None:
            self.started_at.append(self.clock.now)
            self.clock.now += self.work_seconds
        outcome = self.script[min(len(self.calls), len(self.script)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, threading.Event):
            outcome.wait()
            return BatchAnswer(missing=tuple(batch))
        if isinstance(outcome, BatchAnswer):
            return outcome
        answer = outcome if isinstance(outcome, pd.DataFrame) else outcome(batch)
        return answer if isinstance(answer, BatchAnswer) else answer_from_frame(answer, batch)
