"""The technical read: the numbers of one ticker as of a date, and plain sentences about them.

Everything is computed on weekly bars built from the daily bars up to the as-of date (the
indicators on weekly closes, the channel on the last ``lookback`` weeks); the all-time high is
the highest adjusted daily close up to that date. Every number in the sentences is formatted
from a field of the read; what cannot be computed (too few weeks) is None and said so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from analysis.channel import BAND_SIGMAS, LOOKBACK_WEEKS, Channel
from analysis.numbers import price, price_decimals
from analysis.study import Study
from analysis.weekly import week_monday, weekly_bars
from market.bars import validate_bars

SMA_WEEKS = 50
RSI_WEEKS = 14
OVERSOLD = 30.0
NEARING_OVERSOLD = 40.0
NEARING_OVERBOUGHT = 60.0
OVERBOUGHT = 70.0

CHANNEL_KEYS: tuple[str, ...] = (
    "lookback_weeks",
    "fit_start",
    "fit_end",
    "slope_pct_per_week",
    "ascending",
    "upper",
    "middle",
    "lower",
    "position",
    "exit_week",
)
"""The keys of the read's ``channel`` object (all None when there is no channel)."""


@dataclass(frozen=True, eq=False)
class TechnicalRead:
    """The read of one ticker as of ``as_of`` (the last daily session used).

    ``week`` is the Monday of the last weekly bar (``week_partial`` when unfinished);
    ``in_progress`` says ``close`` is of a session still open, so not a final close;
    ``lookback`` is the channel window asked for, ``weeks`` the weekly bars available.
    Indicator fields are None when the series is too short for them. ``sentences`` are the
    plain-language read (about the high, the trend, the momentum); ``summary`` joins them.
    """

    ticker: str
    as_of: pd.Timestamp
    week: pd.Timestamp
    week_partial: bool
    in_progress: bool
    weeks: int
    lookback: int
    close: float
    all_time_high: float
    all_time_high_date: pd.Timestamp
    drawdown_pct: float
    sma50w: float | None
    above_sma50w: bool | None
    macd: float | None
    macd_signal: float | None
    macd_hist: float | None
    rsi14: float | None
    channel: Channel | None
    sentences: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The sentences as one paragraph."""
        return " ".join(self.sentences)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields of the ``r2k read --json`` contract (dates as ISO strings)."""
        return {
            "ticker": self.ticker,
            "as_of": _iso(self.as_of),
            "week": _iso(self.week),
            "close": _number(self.close),
            "all_time_high": _number(self.all_time_high),
            "all_time_high_date": _iso(self.all_time_high_date),
            "drawdown_pct": _number(self.drawdown_pct),
            "sma50w": _number(self.sma50w),
            "above_sma50w": self.above_sma50w,
            "macd": _number(self.macd),
            "macd_signal": _number(self.macd_signal),
            "macd_hist": _number(self.macd_hist),
            "rsi14": _number(self.rsi14),
            "channel": _channel_dict(self.channel),
            "summary": self.summary,
        }


def _iso(day: pd.Timestamp | None) -> str | None:
    return None if day is None else day.date().isoformat()


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _channel_dict(channel: Channel | None) -> dict[str, Any]:
    if channel is None:
        return dict.fromkeys(CHANNEL_KEYS)
    return {
        "lookback_weeks": channel.lookback,
        "fit_start": _iso(channel.fit_start),
        "fit_end": _iso(channel.fit_end),
        "slope_pct_per_week": _number(channel.slope_pct_per_bar),
        "ascending": channel.ascending,
        "upper": _number(channel.upper),
        "middle": _number(channel.middle),
        "lower": _number(channel.lower),
        "position": channel.position,
        "exit_week": _iso(channel.exit_date),
    }


def _last(series: pd.Series) -> float | None:
    value = float(series.iloc[-1])
    return None if math.isnan(value) else value


def money(value: float, decimals: int | None = None) -> str:
    """A price as the read writes it: ``$1,234.56``, or four decimals under a dollar.

    The sentences pass the decimals of the ticker's close, so one sentence never mixes
    ``$0.5817`` with ``$3.99``.
    """
    return "$" + price(value, price_decimals(value) if decimals is None else decimals)


def rsi_zone(value: float) -> str:
    """The RSI wording: oversold <= 30 < nearing oversold < 40, 60 < nearing overbought < 70."""
    if value <= OVERSOLD:
        return "oversold"
    if value < NEARING_OVERSOLD:
        return "nearing oversold"
    if value >= OVERBOUGHT:
        return "overbought"
    if value > NEARING_OVERBOUGHT:
        return "nearing overbought"
    return "neutral"


def _versus(value: float, reference: float) -> str:
    return "above" if value > reference else "below" if value < reference else "at"


def _high_sentence(read: TechnicalRead) -> str:
    decimals = price_decimals(read.close)
    price = f"{money(read.close, decimals)} on {_iso(read.as_of)}"
    if read.in_progress:
        opening = f"{read.ticker} is at {price} (session in progress)"
    else:
        opening = f"{read.ticker} closed at {price}"
    if read.drawdown_pct >= 0:
        return f"{opening}, at its all-time high."
    return (
        f"{opening}, {abs(read.drawdown_pct):.1f}% below its all-time high of "
        f"{money(read.all_time_high, decimals)} ({_iso(read.all_time_high_date)})."
    )


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"


def _channel_clause(channel: Channel, lookback: int, decimals: int) -> str:
    direction = "ascending" if channel.ascending else "flat" if channel.slope == 0 else "descending"
    if channel.lookback < lookback:
        name = f"its {direction} channel over only {_weeks(channel.lookback)}"
    else:
        name = f"its {channel.lookback}-week {direction} channel"
    if channel.anchored:
        name += f" (fitted to the week of {_iso(channel.fit_end)})"
    if channel.position == "below":
        return f"It fell below the lower band of {name} in the week of {_iso(channel.exit_date)}"
    if channel.position == "above":
        return f"It rose above the upper band of {name} in the week of {_iso(channel.exit_date)}"
    lower, upper = money(channel.lower, decimals), money(channel.upper, decimals)
    return f"It is inside {name}, between {lower} and {upper},"


def _trend_sentence(read: TechnicalRead) -> str:
    if read.sma50w is None:
        average = f"has too few weeks for a {SMA_WEEKS}-week average"
    else:
        average = (
            f"trades {_versus(read.close, read.sma50w)} its {SMA_WEEKS}-week average "
            f"({money(read.sma50w, price_decimals(read.close))})"
        )
    if read.channel is None:
        return f"With only {_weeks(read.weeks)} of data it has no channel and {average}."
    clause = _channel_clause(read.channel, read.lookback, price_decimals(read.close))
    return f"{clause} and {average}."


def _momentum_sentence(read: TechnicalRead) -> str:
    oscillator = f"RSI({RSI_WEEKS})"
    if read.macd is None or read.macd_signal is None:
        if read.rsi14 is None:
            return (
                f"With only {_weeks(read.weeks)} of data, MACD and {oscillator} cannot be computed."
            )
        momentum = f"MACD needs more than {_weeks(read.weeks)} of data"
    else:
        momentum = (
            f"MACD is {_versus(read.macd, 0.0)} zero and "
            f"{_versus(read.macd, read.macd_signal)} its signal"
        )
    if read.rsi14 is None:
        return f"{momentum}; {oscillator} cannot be computed."
    return f"{momentum}; {oscillator} at {read.rsi14:.1f} is {rsi_zone(read.rsi14)}."


def technical_read(
    ticker: str,
    daily: pd.DataFrame,
    as_of: date | str | pd.Timestamp | None = None,
    lookback: int = LOOKBACK_WEEKS,
    k: float = BAND_SIGMAS,
    anchor: date | str | pd.Timestamp | None = None,
    weekly: Study | None = None,
    in_progress: bool = False,
) -> TechnicalRead:
    """Read ``ticker``'s daily Bars as of ``as_of`` (default: the last bar).

    ``lookback`` weeks and ``k`` standard deviations shape the channel, fitted up to
    ``anchor`` when given. ``weekly`` is a Study of the weekly bars of these daily bars,
    when the caller has one to share (the chart draws from it too). ``in_progress`` says the
    last daily bar is of a session still open: the read then says its price "is at", not
    "closed at", and its week stays partial. Raises ValueError when
    there is no bar on or before ``as_of``, when ``weekly`` ends in another week than the
    daily bars, and (from the channel) for an anchor before the first bar or with fewer
    than 3 weeks.
    """
    if not isinstance(ticker, str) or not ticker.strip():
        raise ValueError(f"ticker must be a non-empty string, got {ticker!r}")
    if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback < 3:
        raise ValueError(f"lookback must be an integer number of weeks >= 3, got {lookback!r}")
    validate_bars(daily)
    if as_of is not None:
        daily = daily.loc[daily.index <= pd.Timestamp(as_of).normalize()]
    if daily.empty:
        when = "" if as_of is None else f" on or before {pd.Timestamp(as_of).date()}"
        raise ValueError(f"no daily bars for {ticker}{when}")
    study = weekly or Study(weekly_bars(daily, as_of, in_progress=in_progress))
    weeks = study.bars
    last_week = week_monday(pd.DatetimeIndex(daily.index[-1:]))[0]
    if weeks.empty or weeks.index[-1] != last_week or "partial" not in weeks.columns:
        raise ValueError(
            f"weekly must be the weekly bars (with 'partial') of the daily bars, ending in the "
            f"week of {last_week.date()}"
        )
    daily_closes = daily["close"]
    close = float(daily_closes.iloc[-1])
    high_row = int(daily_closes.to_numpy().argmax())
    high_date = pd.Timestamp(daily.index[high_row])
    high = float(daily_closes.iloc[high_row])
    lines = study.macd()
    sma50w = _last(study.sma(SMA_WEEKS))
    read = TechnicalRead(
        ticker=ticker,
        as_of=pd.Timestamp(daily.index[-1]),
        week=pd.Timestamp(weeks.index[-1]),
        week_partial=bool(weeks["partial"].iloc[-1]),
        in_progress=in_progress,
        weeks=len(weeks),
        lookback=lookback,
        close=close,
        all_time_high=high,
        all_time_high_date=high_date,
        drawdown_pct=100.0 * (close / high - 1.0),
        sma50w=sma50w,
        above_sma50w=None if sma50w is None else close > sma50w,
        macd=_last(lines["macd"]),
        macd_signal=_last(lines["signal"]),
        macd_hist=_last(lines["hist"]),
        rsi14=_last(study.rsi(RSI_WEEKS)),
        channel=study.channel(lookback, k, anchor) if len(weeks) >= 3 else None,
        sentences=(),
    )
    sentences = (_high_sentence(read), _trend_sentence(read), _momentum_sentence(read))
    return replace(read, sentences=sentences)
