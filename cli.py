"""The ``r2k`` command: ``serve``, ``refresh``, ``read``, ``movers``, ``breadth``, ``screen``
and ``hash-password``.

Flags override the ``R2K_*`` settings. Errors are one line on stderr with a non-zero status.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError

import cli_internals
from market.provider import SourceUnavailableError
from settings import Settings

EXIT_NO_DATA = 2
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="r2k", description="r2k-dash: small-cap dashboard.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the dashboard with gunicorn")
    serve.add_argument("--source", help="auto, yahoo, demo or csv:DIR")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="gunicorn worker processes")

    hash_password = commands.add_parser(
        "hash-password", help="print a password hash for R2K_AUTH_USERS"
    )
    hash_password.add_argument("--user", help="print 'USER:hash', a line for the users file")

    refresh = commands.add_parser("refresh", help="fetch prices into the store")
    refresh.add_argument("--source", help="auto, yahoo, demo or csv:DIR")
    refresh.add_argument("tickers", nargs="*", help="tickers (default: the universe and index)")

    read = commands.add_parser("read", help="print the technical read of a ticker")
    read.add_argument("ticker")
    read.add_argument("--source", help="auto, yahoo, demo or csv:DIR")
    read.add_argument("--as-of", type=_parse_date, help="replay as of YYYY-MM-DD")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    cli_internals.add_parsers(commands)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key in ("source", "host", "port", "workers")
        if (value := getattr(args, key, None)) is not None
    }
    return Settings(**overrides)


def _serve(settings: Settings) -> int:
    # The workers are gevent's (see hosting.worker); patching here, before Dash imports
    # urllib3 and requests, lets their sockets and TLS cooperate too in the forked workers.
    from gevent import monkey

    monkey.patch_all()

    from app import create_app
    from hosting.security import ServingRefused
    from hosting.serve import serve

    try:
        serve(settings, create_app)
    except ServingRefused as error:
        print(f"r2k serve: {error}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def _read_password() -> str:
    """The password from a prompt (asked twice), or the first line of piped stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def _hash_password(user: str | None) -> int:
    from hosting.auth import hash_password

    try:
        if user is not None and (not user.strip() or ":" in user or "," in user):
            raise ValueError(f"expected a user name without ':' or ',', got {user!r}")
        hashed = hash_password(_read_password())
    except ValueError as error:
        print(f"r2k hash-password: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{user.strip()}:{hashed}" if user is not None else hashed)
    return 0


def _refresh(settings: Settings, tickers: Sequence[str]) -> int:
    from market.refresh import refresh_command
    from market.sources import resolve_source

    source = resolve_source(settings)
    if source.note:
        print(f"r2k refresh: {source.note}", file=sys.stderr)
    symbols = [t.strip().upper() for t in tickers] or None
    status = refresh_command(
        source.provider,
        source.store,
        symbols,
        history_years=settings.history_years,
        universe_years=settings.universe_years,
    )
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:]):
        # yfinance's download threads can hang on a dead network after we gave up on them;
        # they must not keep the command alive after its last line.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _read(settings: Settings, ticker: str, as_of: date | None, as_json: bool) -> int:
    from analysis.read import technical_read
    from market.data import MarketData, UnknownTickerError
    from market.sources import resolve_source

    market = MarketData(resolve_source(settings), history_years=settings.history_years)
    try:
        daily = market.daily_bars(ticker)
        freshness = market.freshness(ticker)
        open_day = freshness.in_progress
        in_progress = open_day is not None and (as_of is None or as_of >= open_day)
        result = technical_read(ticker.strip().upper(), daily, as_of=as_of, in_progress=in_progress)
    except (UnknownTickerError, ValueError) as error:
        print(f"r2k read: {error}", file=sys.stderr)
        return EXIT_NO_DATA
    source = market.source
    if as_json:
        payload = {
            "ticker": result.ticker,
            "source": source.provider.name,
            "source_label": source.label,
            "simulated": source.simulated,
            **{k: v for k, v in result.to_dict().items() if k != "ticker"},
            "stale": freshness.stale,
            "stale_reason": freshness.problem if freshness.stale else None,
            "last_bar": (freshness.last_bar or result.as_of.date()).isoformat(),
            "in_progress": in_progress,
        }
        print(json.dumps(payload, indent=2))
    else:
        if source.simulated:
            print("SIMULATED DATA (offline demo market): no number below is a real price.")
        print(f"{result.ticker} · {source.label} · as of {result.as_of.date().isoformat()}")
        if freshness.stale:
            print(f"STALE: not updated ({freshness.problem}); last bar {freshness.last_bar}.")
        if freshness.in_progress is not None:
            print(f"The last bar ({freshness.in_progress}) is in progress: not a final close.")
        print(result.summary)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``r2k`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "hash-password":
        return _hash_password(args.user)
    try:
        settings = _settings(args)
    except ValidationError as error:
        first = error.errors()[0]
        print(f"r2k: {first['loc'][0]}: {first['msg']}", file=sys.stderr)
        return EXIT_NO_DATA
    try:
        if args.command == "serve":
            return _serve(settings)
        if args.command == "refresh":
            return _refresh(settings, args.tickers)
        if args.command in cli_internals.COMMANDS:
            return cli_internals.run(args, settings)
        return _read(settings, args.ticker, args.as_of, args.json)
    except SourceUnavailableError as error:
        print(f"r2k {args.command}: {error}", file=sys.stderr)
        return EXIT_NO_DATA


if __name__ == "__main__":
    sys.exit(main())
