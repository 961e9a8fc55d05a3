"""The technical screen: every constituent's technical state, with the read's definitions.

Computed on the weekly closes of the whole universe at once (``analysis.panel_indicators``),
so each ticker gets the numbers its own read would give as of the same date. A ticker is
screened when it has a close in the as-of week (one that stopped trading is left out and
counted). States, each with ``since``, the Monday of the week it began:

- ``below_channel`` / ``above_channel``: the last weekly close is outside its 104-week
  regression channel (+-2 sigma); ``since`` is the read's exit week;
- ``crossed_below_sma50w`` / ``crossed_above_sma50w``: the close is below (not above) / above
  its 50-week average and was on the other side the week before ``since``;
- ``rsi_oversold`` / ``rsi_overbought``: weekly RSI(14) under 30 / over 70 since ``since``;
- ``macd_cross_down`` / ``macd_cross_up``: MACD below (not above) / above its signal line
  since ``since``, having been on the other side the week before.

``within=N`` keeps the states that began in the last N weeks of the panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analysis import panel_indicators as pi
from analysis.channel import BAND_SIGMAS, LOOKBACK_WEEKS
from analysis.panel import cut_panel, sector_members, weekly_panel
from analysis.read import OVERBOUGHT, OVERSOLD, RSI_WEEKS, SMA_WEEKS

SCREEN_STATES: tuple[str, ...] = (
    "below_channel",
    "above_channel",
    "crossed_below_sma50w",
    "crossed_above_sma50w",
    "rsi_oversold",
    "rsi_overbought",
    "macd_cross_down",
    "macd_cross_up",
)
SCREEN_COLUMNS: tuple[str, ...] = (
    "ticker",
    "name",
    "sector",
    "weight",
    "state",
    "since",
    "close",
    "rsi14",
    "sma50w",
    "macd",
    "macd_signal",
    "channel_lower",
    "channel_upper",
)


@dataclass(frozen=True, eq=False)
class Screen:
    """One row per (ticker, state) (columns ``SCREEN_COLUMNS``), in the order of
    ``SCREEN_STATES``, newest ``since`` first, then by ticker; ``screened`` counts the
    tickers with a close in the as-of week, ``stale`` those of the selection without."""

    as_of: pd.Timestamp
    week: pd.Timestamp
    rows: pd.DataFrame
    screened: int
    stale: int


def _names(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def _run_start(condition: np.ndarray) -> np.ndarray:
    """The first row of each column's trailing run of True (the row count when none)."""
    rows = condition.shape[0]
    reversed_ = condition[::-1]
    length = np.where(reversed_.all(axis=0), rows, np.argmax(~reversed_, axis=0))
    return rows - length


def _crossed(side: np.ndarray, wanted: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns now on ``wanted`` side (+1/-1) having crossed from the other; its first row."""
    start = _run_start(side == wanted)
    before = np.take_along_axis(side, np.clip(start - 1, 0, None)[None, :], axis=0)[0]
    hit = (start < side.shape[0]) & (start > 0) & (before == -wanted)
    return hit, start


def _sides(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """+1 where ``upper > lower``, -1 where not, 0 where either is missing."""
    with np.errstate(invalid="ignore"):
        side = np.where(upper > lower, 1, -1)
    return np.where(np.isnan(upper) | np.isnan(lower), 0, side)


def _states(packed: np.ndarray, lookback: int, k: float) -> dict[str, tuple[np.ndarray, ...]]:
    """For each state: which columns are in it and the packed row where it began."""
    sma = pi.sma(packed, SMA_WEEKS)
    rsi = pi.rsi(packed, RSI_WEEKS)
    line, signal = pi.macd(packed)
    band = pi.channel(packed, lookback, k)
    sma_side, macd_side = _sides(packed, sma), _sides(line, signal)
    with np.errstate(invalid="ignore"):
        oversold, overbought = rsi < OVERSOLD, rsi > OVERBOUGHT
    states = {
        "below_channel": (band.side == -1, band.exit_row),
        "above_channel": (band.side == 1, band.exit_row),
        "crossed_below_sma50w": _crossed(sma_side, -1),
        "crossed_above_sma50w": _crossed(sma_side, 1),
        "rsi_oversold": (oversold[-1], _run_start(oversold)),
        "rsi_overbought": (overbought[-1], _run_start(overbought)),
        "macd_cross_down": _crossed(macd_side, -1),
        "macd_cross_up": _crossed(macd_side, 1),
    }
    last = {
        "close": packed[-1],
        "rsi14": rsi[-1],
        "sma50w": sma[-1],
        "macd": line[-1],
        "macd_signal": signal[-1],
        "channel_lower": band.lower,
        "channel_upper": band.upper,
    }
    return {**states, **{name: (values,) for name, values in last.items()}}


def screen(
    closes: pd.DataFrame,
    universe: pd.DataFrame,
    as_of: date | str | pd.Timestamp | None = None,
    within: int | None = None,
    states: Iterable[str] | str | None = None,
    include_sectors: Iterable[str] | str | None = None,
    exclude_sectors: Iterable[str] | str | None = None,
    lookback: int = LOOKBACK_WEEKS,
    k: float = BAND_SIGMAS,
) -> Screen:
    """Screen the universe's constituents (by sector) on the closes up to ``as_of``.

    ``states`` (None or empty: all) picks states by name; ``within`` keeps those that began
    in the last ``within`` weeks.
    """
    wanted = _names(states) or list(SCREEN_STATES)
    unknown = [name for name in wanted if name not in SCREEN_STATES]
    if unknown:
        raise ValueError(f"unknown screen states {unknown}; expected some of {SCREEN_STATES}")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int)):
        raise ValueError(f"within must be a whole number of weeks, got {within!r}")
    if within is not None and within < 1:
        raise ValueError(f"within must be at least 1 week, got {within}")
    panel = cut_panel(closes, as_of)
    selected = sector_members(universe, include_sectors, exclude_sectors)
    members = selected.loc[selected["ticker"].isin(panel.columns)]
    weekly = weekly_panel(panel.loc[:, list(members["ticker"])])
    current = weekly.iloc[-1].notna().to_numpy()
    members = members.loc[current]
    packed, order = pi.pack(weekly.to_numpy()[:, current])
    results = _states(packed, lookback, float(k))
    weeks = pd.DatetimeIndex(weekly.index)
    cutoff = weeks[max(0, len(weeks) - within)] if within is not None else weeks[0]
    frames = []
    for state in (name for name in SCREEN_STATES if name in wanted):
        hit, start = results[state]
        columns = np.flatnonzero(hit & (start >= 0) & (start < packed.shape[0]))
        source_rows = order[start[columns], columns]
        since = weeks[source_rows]
        keep = since >= cutoff
        columns = columns[keep]
        frame = members.iloc[columns][["ticker", "name", "sector", "weight"]].reset_index(drop=True)
        frame["state"] = state
        frame["since"] = since[keep]
        for name in SCREEN_COLUMNS[6:]:
            frame[name] = results[name][0][columns]
        frames.append(frame.sort_values(["since", "ticker"], ascending=[False, True]))
    rows = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(SCREEN_COLUMNS))
    )
    return Screen(
        as_of=pd.Timestamp(panel.index[-1]),
        week=pd.Timestamp(weeks[-1]),
        rows=rows.loc[:, list(SCREEN_COLUMNS)].reset_index(drop=True),
        screened=int(current.sum()),
        stale=len(selected) - int(current.sum()),
    )
