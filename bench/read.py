"""Figure 5: the technical read of one ticker from 10 years of daily bars, warm and cold.

Warm: ``analysis.read.technical_read`` after warm-up, beside a floor that computes the same
numbers the shortest way (weekly closes by resample, pandas-ta, a polyfit channel). Cold:
the first call in a fresh process with an empty ``NUMBA_CACHE_DIR`` (so pandas-ta's numba
code compiles), and the same after ``analysis.indicators.warm_up`` (what
``app.create_services`` runs at start, before any request).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandas_ta as ta

from analysis.read import technical_read
from bench.report import Row
from bench.timing import CPU, paired, run_script_for_json
from market.demo import DemoProvider

FIGURE = "5 Read"
TICKER = "DEMO-R2K"
YEARS = 10
ROOT = Path(__file__).resolve().parent.parent

_COLD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from analysis.indicators import warm_up
from analysis.read import technical_read
from bench.read import ten_years
imported = time.perf_counter()
daily = ten_years()
warm = 0.0
if sys.argv[1] == "warm-up":
    t = time.perf_counter(); warm_up(); warm = time.perf_counter() - t
t = time.perf_counter(); technical_read("DEMO-R2K", daily); first = time.perf_counter() - t
t = time.perf_counter(); technical_read("DEMO-R2K", daily); second = time.perf_counter() - t
print(json.dumps({"import": imported - started, "warm_up": warm, "first": first,
                  "second": second}))
"""


def ten_years() -> pd.DataFrame:
    """The demo index's daily Bars over the last 10 years."""
    daily = DemoProvider().bars([TICKER]).bars[TICKER]
    return daily.loc[daily.index > daily.index[-1] - pd.DateOffset(years=YEARS)]


def floor_read(daily: pd.DataFrame) -> dict[str, float]:
    """The read's numbers with the least code: resample, pandas-ta, polyfit, max."""
    closes = daily["close"].resample("W-MON", label="left", closed="left").last().dropna()
    macd = ta.macd(closes, talib=True).to_numpy()
    window = closes.iloc[-104:].to_numpy()
    x = np.arange(len(window), dtype="float64")
    slope, intercept = np.polyfit(x, window, 1)
    deviation = float(np.std(window - (intercept + slope * x), ddof=1))
    daily_closes = daily["close"].to_numpy()
    return {
        "drawdown": float(daily_closes[-1] / daily_closes.max() - 1.0),
        "sma50": float(ta.sma(closes, length=50, talib=True).iloc[-1]),
        "macd": float(macd[-1, 0]),
        "signal": float(macd[-1, 2]),
        "rsi": float(ta.rsi(closes, talib=True).iloc[-1]),
        "upper": intercept + slope * x[-1] + 2 * deviation,
    }


def cold_call(mode: str) -> dict[str, Any]:
    """Seconds of import, warm-up, first and second read in a fresh process and numba cache."""
    with tempfile.TemporaryDirectory(prefix="r2k-numba-") as numba_cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": numba_cache, "PYTHONPATH": str(ROOT)}
        result: dict[str, Any] = run_script_for_json(_COLD_SCRIPT, env, mode)
    return result


def measure(repeat: int = 30) -> list[Row]:
    """Warm read beside its floor; cold first call without and with the start-up warm-up."""
    daily = ten_years()
    technical_read(TICKER, daily)
    ours_s, floor_s = paired(
        lambda: technical_read(TICKER, daily), lambda: floor_read(daily), repeat, 3, CPU
    )
    cold = cold_call("first-call")
    warmed = cold_call("warm-up")
    return [
        Row(
            FIGURE,
            "warm read",
            ours_s * 1e3,
            "ms",
            floor_s * 1e3,
            goal_value=30.0,
            note=f"{len(daily):,} daily bars; CPU time, median of {repeat}",
        ),
        Row(
            FIGURE,
            "cold first read",
            cold["first"] * 1e3,
            "ms",
            cold["second"] * 1e3,
            note=f"fresh process and numba cache (import {cold['import']:.1f} s); "
            "floor: its second call",
        ),
        Row(
            FIGURE,
            "first read after warm-up",
            warmed["first"] * 1e3,
            "ms",
            warmed["second"] * 1e3,
            note=f"warm_up() at start took {warmed['warm_up'] * 1e3:,.0f} ms "
            "(create_services runs it before the first request)",
        ),
    ]
