"""Figure 2: first paint in headless Chromium, from navigation to the price chart drawn.

Measured: the app's default page from a running server. Floor: a static page holding the
identical figure (``chart_view`` of the same default view) drawn by the same plotly.js
finance bundle the app uses (``assets/vendor``), served from a loopback HTTP server in this
process. ``plotly.io.write_html``'s page (the full plotly.js) is measured too and named in
the note: a slower bundle must not make the app look close to its floor.

The time is read with the page's own clock (``performance.now()``, which starts at
navigation) by a MutationObserver installed before any page script runs, at the first
moment a candlestick trace exists in the chart's SVG. The pages are loaded with the browser
cache off (a first visit) and with it on (a return visit), in turn, after unmeasured loads
of each (Chromium keeps compiled scripts only from the third load of a page on).
"""

from __future__ import annotations

import functools
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
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": not cached})
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + PAINT_TIMEOUT
    while time.monotonic() < deadline:
        drawn = driver.execute_script("return window.__r2kChartDrawn ?? null;")
        if drawn is not None:
            return float(drawn)
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
                for url in urls.values():
                    for _ in range(WARM_UP_LOADS):
                        paint_ms(driver, url, cached)
                for _ in range(repeat):
                    for name, url in urls.items():
                        times[name].append(paint_ms(driver, url, cached))
                medians = {name: statistics.median(values) for name, values in times.items()}
                label = "return visit (cache on)" if cached else "first visit (cache off)"
                floor = medians[SAME_BUNDLE]
                spread = ", ".join(f"{t:.0f}" for t in sorted(times[SAME_BUNDLE]))
                rows.append(
                    Row(
                        FIGURE,
                        label,
                        medians["app"],
                        "ms",
                        floor,
                        goal_ratio=1.3,
                        note=(
                            f"median of {repeat}; floor: the same figure in a static page "
                            f"with the app's plotly.js finance bundle (all: {spread} ms); "
                            f"plotly.io.write_html's page (full bundle): "
                            f"{medians['static']:.0f} ms"
                        ),
                    )
                )
    return rows
