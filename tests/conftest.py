"""Shared test setup: an isolated cache per test, and headless Chromium for dash_duo.

Browser tests need Debian's chromium and chromium-driver (``make test`` installs them as
root). Without them those tests are skipped, except under ``CI=true``, where a missing
browser is a failure. Each pytest process starts one Chromium; every browser test gets a
fresh tab of it (see ``dash_duo``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dash.testing.application_runners import BaseDashRunner, ThreadedRunner
from dash.testing.browser import Browser
from dash.testing.composite import DashComposite
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
DASH_FIRST_PORT = 58050
PORTS_PER_WORKER = 500
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"


def _missing_browser_tools() -> list[str]:
    missing = [] if os.access(CHROMIUM, os.X_OK) else ["chromium"]
    if shutil.which("chromedriver") is None:
        missing.append("chromium-driver")
    return missing


def pytest_setup_options() -> Options:
    """Options for dash_duo's Chromium: Debian's binary, headless-friendly flags, a real size."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    return options


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _missing_browser_tools()
    if not missing:
        return
    reason = f"browser tests need {', '.join(missing)} (apt-get install {' '.join(missing)})"
    for item in items:
        if "dash_duo" in getattr(item, "fixturenames", ()) or item.get_closest_marker("browser"):
            if os.environ.get("CI") == "true":
                item.add_marker(pytest.mark.usefixtures("_fail_missing_browser"))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_missing_browser() -> None:
    missing = ", ".join(_missing_browser_tools())
    pytest.fail(f"CI=true but {missing} is missing: browser tests cannot run", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _dash_ports_of_this_worker() -> None:
    """Each pytest-xdist worker starts its dash_duo servers on ports of its own (dash.testing
    counts up from one port in every process)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    BaseDashRunner._next_port = DASH_FIRST_PORT + PORTS_PER_WORKER * int(worker.removeprefix("gw"))


class SharedChromium:
    """This pytest process's Chromium, started by dash.testing's own ``Browser`` on first use
    (about a second, ~80 times a run otherwise) and quit at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._browser: Browser | None = None
        self._window_size: dict[str, int] = {}

    def fresh_tab(self) -> WebDriver:
        """The driver on a new tab, every other tab closed: nothing a test set on its page
        (device metrics, scripts run on every new document, alerts) reaches the next one.
        A browser that does not answer is replaced."""
        if self._browser is not None:
            try:
                return self._reset(self._browser.driver)
            except WebDriverException:
                self.quit()
        self._browser = Browser(
            browser=self._config.getoption("webdriver"),
            headless=self._config.getoption("headless"),
            options=self._config.hook.pytest_setup_options(),
            percy_run=False,
        )
        self._window_size = self._browser.driver.get_window_size()
        return self._browser.driver

    def _reset(self, driver: WebDriver) -> WebDriver:
        used = driver.window_handles
        driver.switch_to.new_window("tab")
        fresh = driver.current_window_handle
        for handle in used:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(fresh)
        driver.set_window_size(self._window_size["width"], self._window_size["height"])
        driver.get_log("browser")  # the last test's console messages: read and dropped
        return driver

    def leave(self, url: str) -> None:
        """Leave the page at ``url`` before its server stops (none of its timers or
        callbacks go on asking that server), and drop what it stored (cookies, local
        storage, cache)."""
        if self._browser is None:
            return
        self._browser.driver.get("about:blank")
        if not url:
            return
        parts = urlsplit(url)
        self._browser.driver.execute_cdp_cmd(
            "Storage.clearDataForOrigin",
            {"origin": f"{parts.scheme}://{parts.netloc}", "storageTypes": "all"},
        )

    def quit(self) -> None:
        if self._browser is not None:
            browser, self._browser = self._browser, None
            with contextlib.suppress(WebDriverException):
                browser.driver.quit()


class SharedChromiumComposite(DashComposite):
    """dash.testing's ``dash_duo`` on a fresh tab of the shared Chromium, which it leaves
    running (and clears of the test's site data) at the end instead of quitting."""

    def __init__(self, chromium: SharedChromium, server: ThreadedRunner, **kwargs) -> None:
        self._chromium = chromium
        super().__init__(server, **kwargs)

    def get_webdriver(self) -> WebDriver:
        driver = self._chromium.fresh_tab()
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.download_path}
        )
        return driver

    def __exit__(self, exc_type, exc_val, traceback) -> None:
        try:
            self._chromium.leave(self._url)
        except WebDriverException:
            self._chromium.quit()


@pytest.fixture(scope="session")
def shared_chromium(request: pytest.FixtureRequest) -> Iterator[SharedChromium]:
    chromium = SharedChromium(request.config)
    yield chromium
    chromium.quit()


@pytest.fixture
def dash_duo(
    request: pytest.FixtureRequest,
    dash_thread_server: ThreadedRunner,
    tmp_path: Path,
    shared_chromium: SharedChromium,
) -> Iterator[DashComposite]:
    """dash.testing's ``dash_duo`` (a threaded Dash server and a browser), with the browser
    a fresh tab of this process's Chromium rather than a Chromium of its own."""
    download = tmp_path / "download"
    download.mkdir()
    with SharedChromiumComposite(
        shared_chromium,
        dash_thread_server,
        browser=request.config.getoption("webdriver"),
        headless=request.config.getoption("headless"),
        options=request.config.hook.pytest_setup_options(),
        download_path=str(download),
        percy_run=False,
    ) as composite:
        yield composite


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own R2K cache and XDG cache (yfinance keeps one there)."""
    cache = tmp_path / "r2k-cache"
    monkeypatch.setenv("R2K_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for name in list(os.environ):
        if name.startswith("R2K_") and name != "R2K_CACHE_DIR":
            monkeypatch.delenv(name)
    return cache


@pytest.fixture
def screenshot_dir() -> Path:
    """Where browser tests save screenshots of the states they reach, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
