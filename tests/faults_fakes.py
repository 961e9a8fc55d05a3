"""Fakes for the fault tests: a Yahoo that answers, hangs or is slow, on a fixed calendar.

Every ticker's history runs over the same business days up to ``TODAY``'s session, so a
stored copy of it is fresh for the page and for a refresh alike and needs no fetch. Closes are
``base + 0, 1, 2, ...`` with a base taken from the ticker, so a test can check what was
stored without going through the code under test. Subprocess scripts import this module.
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from market.data import MarketData
from market.sources import LIVE, ResolvedSource, store_for
from market.universe import make_universe
from market.yahoo import YahooProvider
from market.yfinance_fetch import BatchAnswer
from settings import Settings
from tests.yahoo_fakes import answer_from_frame, download_frame, history_frame

TODAY = date(2025, 6, 4)
"""A Wednesday."""
FIRST_SESSION = "2024-06-03"
LAST_SESSION = pd.Timestamp(TODAY)
SESSIONS = len(pd.bdate_range(FIRST_SESSION, LAST_SESSION))


def base_price(ticker: str) -> float:
    """The first close of ``ticker``'s history: a number between 10 and 99 from its name."""
    return 10.0 + zlib.crc32(ticker.encode()) % 90


def history(ticker: str) -> pd.DataFrame:
    """``Ticker.history()`` of ``ticker``: ``SESSIONS`` sessions ending on ``LAST_SESSION``."""
    return history_frame(FIRST_SESSION, SESSIONS, base=base_price(ticker))


def expected_closes(ticker: str) -> pd.Series:
    """The closes a correct store holds for ``ticker`` after a fetch."""
    dates = pd.bdate_range(FIRST_SESSION, LAST_SESSION, name="date")
    return pd.Series(base_price(ticker) + np.arange(SESSIONS, dtype="float64"), index=dates)


def answering(missing: Sequence[str] = (), delay: float = 0.0) -> Callable[..., BatchAnswer]:
    """A batch download that answers every batch, leaving ``missing`` tickers empty."""
    left_out = set(missing)

    def download(tickers: Sequence[str], **_options: Any) -> BatchAnswer:
        time.sleep(delay)
        frame = download_frame({t: None if t in left_out else history(t) for t in tickers})
        return answer_from_frame(frame, tickers)

    return download


def gated(gate: Path, delay: float = 0.0) -> Callable[..., BatchAnswer]:
    """A batch download that says it started (``gate/started``), then waits for ``gate/go``."""
    answer = answering(delay=delay)

    def download(tickers: Sequence[str], **options: Any) -> BatchAnswer:
        (gate / "started").touch()
        while not (gate / "go").exists():
            time.sleep(0.02)
        return answer(tickers, **options)

    return download


def hanging(address: tuple[str, int], calls: list[list[str]]) -> Callable[..., BatchAnswer]:
    """A batch download that sends a request to ``address`` and waits for the whole answer."""

    def download(tickers: Sequence[str], **_options: Any) -> BatchAnswer:
        calls.append(list(tickers))
        with socket.create_connection(address) as connection:
            connection.sendall(b"GET /v8/finance/chart/IWM HTTP/1.1\r\nHost: yahoo\r\n\r\n")
            while connection.recv(1024):
                pass
        return BatchAnswer(missing=tuple(tickers))

    return download


@contextmanager
def silent_server(greeting: bytes | None = None) -> Iterator[tuple[str, int]]:
    """A loopback TCP server that accepts connections and never answers them.

    With ``greeting``, it sends those bytes on each connection first (so the network
    probe sees a live peer) and then says nothing more. Yields its address; on exit it
    closes every connection (which releases whoever is still waiting for an answer) and
    the listening socket.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            if greeting is not None:
                connection.sendall(greeting)

    thread = threading.Thread(target=accept, name="silent server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def yahoo_settings(cache_dir: Path, **overrides: Any) -> Settings:
    """Settings for a fast fake Yahoo: no request pacing worth waiting for."""
    values: dict[str, Any] = {
        "source": "yahoo",
        "cache_dir": cache_dir,
        "requests_per_second": 1000.0,
        "batch_size": 2,
    }
    values.update(overrides)
    return Settings(**values)


def live_market(settings: Settings, provider: YahooProvider) -> MarketData:
    """The page's data path over ``provider``, as ``resolve_source`` builds it for yahoo."""
    source = ResolvedSource(provider, store_for(settings, "yahoo"), LIVE, "Yahoo Finance")
    return MarketData(source, today=lambda: TODAY)


def universe_of(tickers: Sequence[str]) -> pd.DataFrame:
    """A universe of ``tickers`` in two sectors with equal weights."""
    sectors = ["Financials", "Industrials"]
    return make_universe(
        pd.DataFrame(
            {
                "ticker": list(tickers),
                "name": [f"{t} Corp." for t in tickers],
                "sector": [sectors[i % 2] for i in range(len(tickers))],
                "weight": [1.0 / len(tickers)] * len(tickers),
            }
        )
    )
