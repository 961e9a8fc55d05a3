"""The load driver: simulated users switching tickers, periods and ranges on a running server.

``python -m bench.load --users 20 --seconds 60 --url http://127.0.0.1:PORT`` opens the page
once per user (page, layout, callback graph, initial callbacks), then each user repeats,
for the given time, one action picked at random: a click on a movers or laggards row, a
ticker typed, the index button, another movers period, another chart range, a reload. Each
action sends the callback requests a browser would (see ``bench.dash_client``). It prints
requests per second, latency percentiles and errors, and exits 1 when any request failed
(never for being slow). Meant for loopback servers: every request loop is bounded in time.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

from bench.dash_client import DashPage, Exchange, PropId, dash_id
from bench.timing import percentile

REQUEST_TIMEOUT = 30.0
ACTION_WEIGHTS: dict[str, int] = {
    "row-click": 4,
    "ticker-typed": 2,
    "index": 1,
    "period": 3,
    "range": 1,
    "reload": 1,
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
PAGE_DRAWN: dict[PropId, Any] = {("chart-painted", "data"): True}
"""What the page's browser code sets once the chart is drawn (it then asks for the tables)."""
TABLES = tuple(dash_id({"type": "movers-table", "side": side}) for side in ("top", "bottom"))
"""The movers and laggards tables' ids, as Dash writes them."""


@dataclass
class LoadResult:
    """Every request made, how many actions, and the wall time from start to the last answer."""

    users: int
    seconds: float
    exchanges: list[Exchange] = field(default_factory=list)
    actions: int = 0
    crashes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Failed requests (status other than 200/204, transport errors) and user crashes."""
        failed = [f"{e.kind}: {e.error}" for e in self.exchanges if e.error is not None]
        return failed + self.crashes

    @property
    def requests_per_second(self) -> float:
        return len(self.exchanges) / self.seconds if self.seconds > 0 else float("nan")

    def latency_ms(self, fraction: float, kind: str | None = None) -> float:
        """A latency percentile in ms over all requests (or those of one ``kind``)."""
        times = [e.seconds for e in self.exchanges if kind is None or e.kind == kind]
        return percentile(times, fraction) * 1e3


def ranked_tickers(page: DashPage) -> list[str]:
    """The ranked tickers the movers tables show, best first (sent once for both tables)."""
    ranked = page.value("movers-rows", "data")
    tickers = ranked.get("ticker") if isinstance(ranked, dict) else None
    return [t for t in tickers or [] if isinstance(t, str) and t]


def _rows(page: DashPage) -> list[tuple[str, str]]:
    """(table, ticker) of every row the tables show."""
    return [(grid, ticker) for grid in TABLES for ticker in ranked_tickers(page)]


def _options(page: DashPage, component: str) -> list[Any]:
    options = page.value(component, "options") or []
    return [o["value"] for o in options if isinstance(o, dict) and "value" in o]


def next_action(page: DashPage, rng: random.Random) -> tuple[str, dict[PropId, Any] | None]:
    """A random action that the page allows now, as the property changes a user makes.

    ``None`` changes mean "reload the page".
    """
    rows = _rows(page)
    choices = {
        "row-click": bool(rows),
        "ticker-typed": bool(rows) and page.has("ticker-input"),
        "index": page.has("index-button"),
        "period": bool(_options(page, "period-select")),
        "range": bool(_options(page, "range-select")),
        "reload": True,
    }
    names = [name for name, allowed in choices.items() if allowed]
    action = rng.choices(names, weights=[ACTION_WEIGHTS[n] for n in names])[0]
    if action == "row-click":
        grid, ticker = rng.choice(rows)
        click = {"value": ticker, "colId": "ticker", "rowId": ticker, "timestamp": time.time()}
        return action, {(grid, "cellClicked"): click}
    if action == "ticker-typed":
        return action, {("ticker-input", "value"): rng.choice(rows)[1].lower()}
    if action == "index":
        clicks = page.value("index-button", "n_clicks") or 0
        return action, {("index-button", "n_clicks"): clicks + 1}
    if action in ("period", "range"):
        component = f"{action}-select"
        return action, {(component, "value"): rng.choice(_options(page, component))}
    return action, None


def _user(
    url: str, deadline: float, seed: int, think: float, record: Callable[[Exchange], None]
) -> int:
    rng = random.Random(seed)
    actions = 0
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client:
        page = DashPage(client, record, drawn=PAGE_DRAWN)
        page.load()
        while time.monotonic() < deadline:
            _, changes = next_action(page, rng)
            if changes is None:
                page.load(page.value("view-store", "data") or "")
            else:
                page.change(changes)
            actions += 1
            if think > 0:
                time.sleep(think)
    return actions


def check_loopback(url: str) -> None:
    """Refuse any target but this machine: the load is for loopback servers only."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"the load driver only targets loopback addresses, not {host!r}")


def run_load(
    url: str, users: int, seconds: float, think: float = 0.0, seed: int = 2000
) -> LoadResult:
    """``users`` simulated users for ``seconds`` (each finishes its last action) on ``url``."""
    check_loopback(url)
    if users < 1 or seconds <= 0:
        raise ValueError(f"need users >= 1 and seconds > 0, got {users} and {seconds}")
    lock = threading.Lock()
    result = LoadResult(users=users, seconds=0.0)

    def record(exchange: Exchange) -> None:
        with lock:
            result.exchanges.append(exchange)

    started = time.monotonic()
    deadline = started + seconds
    with ThreadPoolExecutor(max_workers=users) as pool:
        futures = [
            pool.submit(_user, url.rstrip("/"), deadline, seed + n, think, record)
            for n in range(users)
        ]
        for future in futures:
            try:
                result.actions += future.result()
            except Exception as error:  # a user that crashed is an error of the run
                result.crashes.append(f"user crashed: {type(error).__name__}: {error}")
    result.seconds = time.monotonic() - started
    return result


def summary(result: LoadResult) -> str:
    """The lines ``python -m bench.load`` prints."""
    errors = result.errors
    lines = [
        f"requests: {len(result.exchanges)} in {result.seconds:.1f} s = "
        f"{result.requests_per_second:.1f} req/s; actions: {result.actions}; "
        f"users: {result.users}",
        "latency ms: "
        + "  ".join(f"p{int(q * 100)} {result.latency_ms(q):.1f}" for q in (0.5, 0.95, 0.99))
        + f"  max {result.latency_ms(1.0):.1f}",
    ]
    kinds = Counter(e.kind for e in result.exchanges)
    for kind, count in kinds.most_common():
        lines.append(
            f"  {kind:<26} {count:>6}  p50 {result.latency_ms(0.5, kind):7.1f}  "
            f"p95 {result.latency_ms(0.95, kind):7.1f}"
        )
    lines.append(f"errors: {len(errors)}")
    lines.extend(f"  {line}" for line, _ in Counter(errors).most_common(5))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", required=True, help="base URL of a loopback r2k-dash server")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0, help="seconds between actions")
    parser.add_argument("--seed", type=int, default=2000)
    args = parser.parse_args(argv)
    try:
        result = run_load(args.url, args.users, args.seconds, args.think, args.seed)
    except ValueError as error:
        parser.error(str(error))
    print(f"r2k load: {args.users} users for {args.seconds:g} s against {args.url}")
    print(summary(result))
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
