"""Shared test setup: an isolated cache per test, and headless Chromium for dash_duo.

Browser tests need Debian's chromium and chromium-driver (``make test`` installs them as
root). Without them those tests are skipped, except under ``CI=true``, where a missing
browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from dash.testing.application_runners import BaseDashRunner
from selenium.webdriver.chrome.options import Options

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
    """Options for dash_duo's Chromium: Debian's binary, headless-friendly flags, a real size.

    Reduced motion turns off Bootstrap's smooth scrolling: a pointer placed after a
    ``scrollIntoView`` stays over what it was placed on, instead of the page sliding under it."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--force-prefers-reduced-motion",
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
