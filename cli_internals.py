"""``r2k movers``, ``r2k breadth`` and ``r2k screen``: the market internals in a terminal.

The flags are the page's URL parameters (``--as-of``, ``--period``, ``--include``,
``--exclude``, ``--top``); ``--json`` prints one object whose keys are the contract of issue
12 (plus ``source`` and ``simulated``, so simulated numbers are never taken for real ones).
Bad input (an unknown sector, a malformed date or period) is one line on stderr, status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.breadth import breadth_at
from analysis.contributions import contributions, index_return_pct
from analysis.movers import movers, period_start
from analysis.panel import sector_members
from analysis.screen import SCREEN_STATES, screen
from settings import Settings

if TYPE_CHECKING:
    from market.data import MarketData

EXIT_BAD_INPUT = 2
COMMANDS: tuple[str, ...] = ("movers", "breadth", "screen")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the three commands to the ``r2k`` parser (dates are checked later, one line)."""
    helps = {
        "movers": "rank constituents by return, with their contribution to the index",
        "breadth": "how many constituents are above their averages, at highs, advancing",
        "screen": "constituents by technical state (channel, 50-week average, RSI, MACD)",
    }
    for name in COMMANDS:
        command = commands.add_parser(name, help=helps[name])
        command.add_argument("--source", help="auto, yahoo, demo or csv:DIR")
        command.add_argument("--as-of", help="as of YYYY-MM-DD (default: the last session)")
        command.add_argument("--include", help="only these sectors, comma-separated")
        command.add_argument("--exclude", help="leave out these sectors, comma-separated")
        command.add_argument("--top", type=int, default=10, help="rows to show (default 10)")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        command.add_argument(
            "--period",
            default="YTD",
            help="movers: 1W, 1M, 3M, YTD, 1Y or a date (accepted by all, as in a page's URL)",
        )
        if name == "screen":
            command.add_argument(
                "--state", help=f"only these states, comma-separated: {', '.join(SCREEN_STATES)}"
            )
            command.add_argument("--within", type=int, help="states begun in the last N weeks")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}") from error


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _number(value: float | None, digits: int = 6) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(float(value), digits)


def _iso(day: pd.Timestamp | date | None) -> str | None:
    return None if day is None else pd.Timestamp(day).date().isoformat()


def _movers(market: MarketData, args: argparse.Namespace, as_of: date | None) -> dict[str, Any]:
    from market.data import UnknownTickerError  # see ``run``

    universe = market.universe()
    if universe is None:
        raise ValueError(f"no universe from {market.source.label}; run `r2k refresh` first")
    include, exclude = _names(args.include), _names(args.exclude)
    sector_members(universe, include, exclude)
    closes = market.closes()
    every = max(1, len(universe))
    ranking = movers(closes, universe, args.period, as_of, include, exclude, n=every)
    shares = contributions(closes, ranking)
    by_ticker = shares.rows.set_index("ticker")["contribution_pct"]
    try:
        index = market.daily_bars(market.index_ticker)["close"]
        index_pct = index_return_pct(index, args.period, ranking.as_of)
    except UnknownTickerError:
        index_pct = None

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [
            {
                "ticker": row["ticker"],
                "name": row["name"],
                "sector": row["sector"],
                "weight": _number(row["weight"], 8),
                "last": _number(row["last_price"], 4),
                "return_pct": _number(row["return_pct"], 4),
                "contribution_pct": _number(by_ticker.get(row["ticker"]), 6),
            }
            for row in frame.to_dict("records")
        ]

    sessions = closes.index[closes.index <= ranking.as_of]
    return {
        "as_of": _iso(ranking.as_of),
        "period": args.period,
        "start": _iso(period_start(args.period, ranking.as_of)),
        "end": _iso(sessions[-1]) if len(sessions) else None,
        "ranked": ranking.considered,
        "left_out": ranking.missing_start + ranking.missing_end + ranking.below_min_price,
        "index_return_pct": _number(index_pct, 4),
        "contributions_sum_pct": _number(shares.total_pct, 4),
        "top": rows(ranking.top.head(args.top)),
        "bottom": rows(ranking.bottom.head(args.top)),
    }


def _selected_closes(market: MarketData, args: argparse.Namespace) -> pd.DataFrame:
    universe = market.universe()
    if universe is None:
        raise ValueError(f"no universe from {market.source.label}; run `r2k refresh` first")
    members = sector_members(universe, _names(args.include), _names(args.exclude))
    closes = market.closes()
    return closes.loc[:, [t for t in members["ticker"] if t in closes.columns]]


def _breadth(market: MarketData, args: argparse.Namespace, as_of: date | None) -> dict[str, Any]:
    snapshot = breadth_at(_selected_closes(market, args), as_of).to_dict()
    for key in ("above_sma50w_pct", "above_sma200d_pct"):
        snapshot[key] = _number(snapshot[key], 2)
    return snapshot


def _screen(market: MarketData, args: argparse.Namespace, as_of: date | None) -> dict[str, Any]:
    universe = market.universe()
    if universe is None:
        raise ValueError(f"no universe from {market.source.label}; run `r2k refresh` first")
    result = screen(
        market.closes(),
        universe,
        as_of,
        within=args.within,
        states=_names(args.state),
        include_sectors=_names(args.include),
        exclude_sectors=_names(args.exclude),
    )
    rows = result.rows.groupby("state", sort=False).head(args.top)
    return {
        "as_of": _iso(result.as_of),
        "week": _iso(result.week),
        "screened": result.screened,
        "left_out": result.stale,
        "rows": [
            {
                "ticker": row["ticker"],
                "name": row["name"],
                "sector": row["sector"],
                "state": row["state"],
                "since": _iso(row["since"]),
                "close": _number(row["close"], 4),
                "rsi14": _number(row["rsi14"], 2),
                "sma50w": _number(row["sma50w"], 4),
                "macd": _number(row["macd"], 4),
                "macd_signal": _number(row["macd_signal"], 4),
                "channel_lower": _number(row["channel_lower"], 4),
                "channel_upper": _number(row["channel_upper"], 4),
            }
            for row in rows.to_dict("records")
        ],
    }


def _text(command: str, payload: dict[str, Any]) -> str:
    """A plain listing of the JSON object, for a terminal."""
    lines = [f"{command} as of {payload['as_of']}"]
    if command == "movers":
        lines[0] += f" over {payload['period']} (from {payload['start']})"
        lines.append(
            f"{payload['ranked']} ranked, {payload['left_out']} left out; index return "
            f"{payload['index_return_pct']}%, sum of contributions "
            f"{payload['contributions_sum_pct']}%"
        )
        for side in ("top", "bottom"):
            lines.append(f"{side}:")
            lines += [
                f"  {r['ticker']:<10} {r['return_pct']:>9.2f}%  {r['contribution_pct']:>+8.4f} pt"
                f"  {r['sector']}  {r['name']}"
                for r in payload[side]
            ]
    elif command == "breadth":
        counts = payload["counts"]
        lines += [
            f"constituents with a close: {payload['constituents']}",
            f"above 50-week average: {payload['above_sma50w_pct']}% of {counts['sma50w']}",
            f"above 200-day average: {payload['above_sma200d_pct']}% of {counts['sma200d']}",
            f"52-week highs / lows: {payload['new_highs_52w']} / {payload['new_lows_52w']}"
            f" of {counts['highs_lows_52w']}",
            f"advancers / decliners: {payload['advancers']} / {payload['decliners']}",
        ]
    else:
        lines.append(f"{payload['screened']} screened, {payload['left_out']} without a close")
        lines += [
            f"  {r['state']:<22} {r['ticker']:<10} since {r['since']}  close {r['close']}"
            f"  RSI {r['rsi14']}  {r['sector']}"
            for r in payload["rows"]
        ]
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of ``COMMANDS``; print its result (JSON or text) or one line on stderr."""
    # Imported here, not with the module: they import requests, and ``r2k serve`` (whose
    # parser this module extends) must patch gevent before anything imports it.
    from market.data import MarketData, UnknownTickerError
    from market.sources import resolve_source

    handlers = {"movers": _movers, "breadth": _breadth, "screen": _screen}
    try:
        if args.top < 1:
            raise ValueError(f"--top must be at least 1, got {args.top}")
        as_of = _date(args.as_of)
        market = MarketData(resolve_source(settings), history_years=settings.history_years)
        payload = handlers[args.command](market, args, as_of)
    except (ValueError, UnknownTickerError) as error:
        print(f"r2k {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    source = market.source
    payload = {"source": source.provider.name, "simulated": source.simulated, **payload}
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        if source.simulated:
            print("SIMULATED DATA (offline demo market): no number below is a real price.")
        print(_text(args.command, payload))
    return 0
