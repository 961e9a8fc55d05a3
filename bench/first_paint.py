"""Figure 2: first paint in headless Chromium, from navigation to the price chart drawn.

Measured: the app's default page from a running server. Floor: a static page holding the
identical figure (``chart_view`` of the same default view) drawn by the same plotly.js
finance bundle the app uses (``assets/vendor``), served from a loopback HTTP server in this
process. ``plotly.io.write_html``'s page (the full plotly.js) is measured too and named in
the note: a slower bundle must not make the app look close to its floor.

The time is read with the page's own clock (``performance.now()``, which starts at
navigation) by a MutationObserver installed before any page script runs, at the first
moment a candlestick trace exists in the chart's SVG. The app's page draws its first chart
from the served HTML before Dash starts (``assets/first-chart.js``); when Dash's own Graph
mounted is noted too. The pages are loaded with the browser cache off (a first visit) and
with it on (a return visit), in turn, after unmeasured loads of each (Chromium keeps
compiled scripts only from the third load of a page on). The note gives the machine's load
average before and after, since every figure here is wall-clock time.
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import plotly.io as pio
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from bench.report import Row
from bench.timing import ROOT
from callbacks.chart import chart_view
from callbacks.services import Services
from components.view_state import parse_query

FIGURE = "2 First paint"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
CHART_DRAWN = "#price-chart .main-svg .boxlayer .trace"
PAINT_TIMEOUT = 60.0
WARM_UP_LOADS = 3
APP_BUNDLE = "plotly-finance-*.min.js"
SAME_BUNDLE = "static, app's bundle"
"""The floor: the static page drawing with the very bundle the app uses."""

_RECORDER = (
    """
(() => {
  const selector = "CHART_DRAWN";
  const observer = new MutationObserver(() => {
    if (window.__r2kChartDrawn === undefined && document.querySelector(selector)) {
      window.__r2kChartDrawn = performance.now();
    }
    if (document.querySelector("#react-entry-point " + selector)) {
      window.__r2kGraphMounted = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true});
})();
"""
).replace("CHART_DRAWN", CHART_DRAWN)


def write_static_pages(services: Services, directory: Path) -> dict[str, str]:
    """The default view's figure as two standalone pages, by name: with plotly.js's full
    bundle (``write_html``'s own) and with the app's bundle; the scripts lie beside them."""
    state = parse_query("", services.default_ticker, date.today())
    figure = chart_view(services, state).figure
    options: dict[str, Any] = {
        "full_html": True,
        "div_id": "price-chart",
        "default_height": "720px",
        "config": {"displaylogo": False, "responsive": True},
    }
    pio.write_html(figure, directory / "static.html", include_plotlyjs="directory", **options)
    (bundle,) = (ROOT / "assets" / "vendor").glob(APP_BUNDLE)
    shutil.copy(bundle, directory / bundle.name)
    pio.write_html(figure, directory / "static-app-bundle.html", include_plotlyjs=False, **options)
    page = directory / "static-app-bundle.html"
    script = f'<script src="{bundle.name}"></script>'
    page.write_text(page.read_text(encoding="utf-8").replace("<body>", "<body>" + script, 1))
    return {"static": "static.html", SAME_BUNDLE: page.name}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the terminal."""


@contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """A threaded HTTP server for ``directory`` on a loopback port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """Debian's headless Chromium under chromedriver, recording when the chart is drawn."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORDER})
        driver.execute_cdp_cmd("Network.enable", {})
        yield driver
    finally:
        driver.quit()


def paint_ms(driver: webdriver.Chrome, url: str, cached: bool) -> float:
    """Milliseconds from navigation to the chart's first candlestick trace on ``url``."""
    return paint_and_mount_ms(driver, url, cached, wait_for_dash=False)[0]


def paint_and_mount_ms(
    driver: webdriver.Chrome, url: str, cached: bool, wait_for_dash: bool
) -> tuple[float, float | None]:
    """Milliseconds to the first candlestick trace on ``url`` and (``wait_for_dash``) to
    the moment Dash's Graph holds the chart."""
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": not cached})
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + PAINT_TIMEOUT
    while time.monotonic() < deadline:
        drawn, mounted = driver.execute_script(
            "return [window.__r2kChartDrawn ?? null, window.__r2kGraphMounted ?? null];"
        )
        if drawn is not None and (mounted is not None or not wait_for_dash):
            return float(drawn), None if mounted is None else float(mounted)
        time.sleep(0.05)
    raise TimeoutError(f"no chart drawn at {url} within {PAINT_TIMEOUT:.0f} s")


def measure(app_url: str, services: Services, repeat: int = 5) -> list[Row]:
    """Median first paint of the app's page and of the static pages, cache off and on."""
    with tempfile.TemporaryDirectory(prefix="r2k-bench-paint-") as directory:
        pages = write_static_pages(services, Path(directory))
        with static_server(Path(directory)) as static_url, chromium() as driver:
            urls = {"app": app_url + "/"}
            urls.update({name: f"{static_url}/{page}" for name, page in pages.items()})
            rows = []
            for cached in (False, True):
                times: dict[str, list[float]] = {name: [] for name in urls}
                mounted: list[float] = []
                load_before = os.getloadavg()[0]
                for url in urls.values():
                    for _ in range(WARM_UP_LOADS):
                        paint_ms(driver, url, cached)
                for _ in range(repeat):
                    for name, url in urls.items():
                        drawn, graph = paint_and_mount_ms(driver, url, cached, name == "app")
                        times[name].append(drawn)
                        mounted.extend([] if graph is None else [graph])
                medians = {name: statistics.median(values) for name, values in times.items()}
                load = f"load average {load_before:.1f} to {os.getloadavg()[0]:.1f}"
                label = "return visit (cache on)" if cached else "first visit (cache off)"
                floor = medians[SAME_BUNDLE]
                spread = ", ".join(f"{t:.0f}" for t in sorted(times[SAME_BUNDLE]))
                app_spread = ", ".join(f"{t:.0f}" for t in sorted(times["app"]))
                rows.append(
                    Row(
                        FIGURE,
                        label,
                        medians["app"],
                        "ms",
                        floor,
                        goal_ratio=1.3,
                        note=(
                            f"median of {repeat}, {load}; app: {app_spread} ms, Dash's "
                            f"Graph took the chart at {statistics.median(mounted):.0f} ms; "
                            f"floor: the same figure in a static page with the app's "
                            f"plotly.js finance bundle ({spread} ms); plotly.io.write_html's "
                            f"page (full bundle): {medians['static']:.0f} ms"
                        ),
                    )
                )
    return rows
