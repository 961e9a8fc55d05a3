"""Figure 3: the round trip when only an overlay is toggled (SMA 50 off), as the page does it.

Over HTTP against the running server, with the requests the browser sends: the view
callback (URL and controls), then every callback that depends on what it changed (today the
whole chart callback: figure, read panel). Each toggle is measured on a ticker not shown
before (a cache miss), and toggled back (the view seen before: a cache hit when the server
caches results). Floor: the view callback alone, the round trip every control change makes;
for bytes, its answer plus the ``dash.Patch`` that would hide the one trace instead.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import plotly.io.json as plotly_json
from dash import Patch

from bench.dash_client import DashPage, Exchange
from bench.load import PAGE_DRAWN, ranked_tickers
from bench.report import Row

FIGURE = "3 Control change"
OVERLAY = "sma50"
OVERLAY_TRACE = "SMA 50"
VIEW_CALLBACK = "url.search"
CHECKLIST = ("indicator-checklist", "value")


def patch_bytes(figure: dict[str, Any] | None, trace_name: str) -> int:
    """Bytes of a callback answer that hides ``trace_name`` with a Patch (not a new figure)."""
    traces = (figure or {}).get("data") or []
    index = next((i for i, t in enumerate(traces) if t.get("name") == trace_name), 0)
    patch = Patch()
    patch["data"][index]["visible"] = False
    answer = {"multi": True, "response": {"price-chart": {"figure": patch}}}
    return len(plotly_json.to_json_plotly(answer))


def _toggle(page: DashPage, indicators: list[str]) -> tuple[float, list[Exchange]]:
    started = time.perf_counter()
    exchanges = page.change({CHECKLIST: indicators})
    return time.perf_counter() - started, exchanges


def _view_time(exchanges: list[Exchange]) -> float:
    return sum(e.seconds for e in exchanges if e.kind == VIEW_CALLBACK)


def measure(url: str, repeat: int = 8) -> list[Row]:
    """Median time and bytes of an overlay toggle, uncached and cached, beside the floor."""
    fresh: list[float] = []
    cached: list[float] = []
    view: list[float] = []
    received: list[int] = []
    floor_bytes: list[int] = []
    requests: list[str] = []
    with httpx.Client(base_url=url, timeout=60.0) as client:
        page = DashPage(client, drawn=PAGE_DRAWN)
        page.load()
        tickers = ranked_tickers(page)
        for ticker in tickers[:repeat]:
            page.change({("ticker-input", "value"): ticker})
            shown = list(page.value(*CHECKLIST) or [])
            figure = page.value("price-chart", "figure")
            seconds, exchanges = _toggle(page, [name for name in shown if name != OVERLAY])
            fresh.append(seconds)
            view.append(_view_time(exchanges))
            received.append(sum(e.received for e in exchanges))
            view_bytes = sum(e.received for e in exchanges if e.kind == VIEW_CALLBACK)
            floor_bytes.append(view_bytes + patch_bytes(figure, OVERLAY_TRACE))
            requests = [e.kind for e in exchanges]
            seconds, exchanges = _toggle(page, shown)
            cached.append(seconds)
    if not fresh:
        raise RuntimeError("the page showed no movers to pick tickers from")
    floor_ms = statistics.median(view) * 1e3
    note = f"{len(requests)} requests: {', '.join(requests)}; median of {len(fresh)}"
    return [
        Row(FIGURE, "toggle, new view", statistics.median(fresh) * 1e3, "ms", floor_ms, note=note),
        Row(
            FIGURE,
            "toggle, view seen before",
            statistics.median(cached) * 1e3,
            "ms",
            floor_ms,
            note="the server's result cache answers",
        ),
        Row(
            FIGURE,
            "toggle, bytes received",
            statistics.median(received) / 1e3,
            "kB",
            statistics.median(floor_bytes) / 1e3,
            note="floor: the view callback's answer + a Patch hiding one trace",
        ),
    ]
