"""Refresh from the page: the rules (one at a time, a minimum interval) and the button.

The browser tests run the real background callback on Dash's DiskcacheManager (a process
per refresh) against a fake live source whose every batch takes a moment, so the progress
bar can be seen moving while the rest of the page keeps working.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dash import CeleryManager, DiskcacheManager
from selenium.webdriver.common.keys import Keys

from app import create_app
from callbacks.refresh import progress_values
from callbacks.services import Services
from components import ids
from components.refresh import create_refresh_control
from hosting.background import (
    REFRESH_STAMP,
    background_manager,
    next_refresh_allowed,
    run_page_refresh,
)
from market.data import MarketData
from market.demo import DemoProvider
from market.refresh import RefreshProgress
from market.sources import DIRECT, LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.browser import CHART_TITLE, visible_text, wait_until
from tests.refresh_fakes import MEMBERS, PRESTORED, fake_services, live_source
from tests.store_fakes import FakeProvider, stored_bars

pytestmark = pytest.mark.filterwarnings(
    # DiskcacheManager forks each refresh from dash_duo's threaded server (under gunicorn's
    # sync workers there is one thread); the child only runs the refresh and exits.
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)

BATCH = 4


def _settings(cache: Path, min_interval: float = 300.0) -> Settings:
    return Settings(cache_dir=cache, refresh_min_interval=min_interval, batch_size=BATCH)


def _services(cache: Path, delay: float) -> Services:
    return fake_services(_settings(cache), delay)


def _find(component, component_id):
    """The sub-component of a layout tree with ``component_id``."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


# The rules, without a browser


def test_progress_values_say_done_of_total_and_failures():
    assert progress_values(RefreshProgress(3, 10, 1)) == (3, 10, "3 of 10 tickers, 1 failure")
    assert progress_values(RefreshProgress(0, 0, 2)) == (0, 1, "0 of 0 tickers, 2 failures")


def test_page_refresh_fills_the_store_and_reports_progress(tmp_path):
    source = live_source(tmp_path)
    steps: list[RefreshProgress] = []
    outcome = run_page_refresh(source, _settings(tmp_path), steps.append, clock=lambda: 1000.0)
    assert outcome.started
    assert outcome.message.startswith("Refreshed: fetched 22")
    assert "Next refresh allowed at 00:21:40 UTC" in outcome.message  # 1000 s + 300 s
    assert steps[-1] == RefreshProgress(22, 22, 0)
    assert [s.done for s in steps] == sorted(s.done for s in steps)
    assert len({s.done for s in steps}) > 2  # batches of 4 report along the way
    assert len(stored_bars(source.store, "M07")) > 100


def test_a_second_start_within_the_interval_is_refused_until_it_has_passed(tmp_path):
    source = live_source(tmp_path)
    settings = _settings(tmp_path, min_interval=60.0)
    assert run_page_refresh(source, settings, clock=lambda: 5000.0).started
    too_soon = run_page_refresh(source, settings, clock=lambda: 5030.0)
    assert not too_soon.started
    assert too_soon.message == (
        "A refresh was started less than 60 seconds ago; the next one is allowed at 01:24:20 UTC."
    )
    assert next_refresh_allowed(source.store, 60.0).timestamp() == 5060.0
    assert run_page_refresh(source, settings, clock=lambda: 5061.0).started


def test_a_held_store_lock_means_another_refresh_is_running_and_records_no_start(tmp_path):
    source = live_source(tmp_path)
    with source.store.lock():
        outcome = run_page_refresh(source, _settings(tmp_path))
    assert not outcome.started
    assert outcome.message == "Another refresh is running; try again when it has finished."
    assert not (source.store.root / REFRESH_STAMP).exists()
    assert source.store.tickers() == []


def test_sources_read_directly_are_not_refreshed_and_the_button_says_so(tmp_path):
    demo = ResolvedSource(DemoProvider(), Store(tmp_path / "demo"), DIRECT, "Simulated demo")
    outcome = run_page_refresh(demo, _settings(tmp_path))
    assert not outcome.started
    assert "Nothing to refresh" in outcome.message
    assert not (tmp_path / "demo" / REFRESH_STAMP).exists()

    settings = _settings(tmp_path)
    control = create_refresh_control(Services(settings, MarketData(demo)).page_source())
    assert _find(control, ids.REFRESH_BUTTON).disabled is True
    assert "Nothing to refresh" in control.children[0].title
    live_page = Services(settings, MarketData(live_source(tmp_path))).page_source()
    live = create_refresh_control(live_page)
    assert _find(live, ids.REFRESH_BUTTON).disabled is False
    assert _find(live, ids.REFRESH_STATUS).children == ""


def test_background_work_runs_on_diskcache_without_redis(tmp_path):
    manager = background_manager(Settings(cache_dir=tmp_path))
    assert isinstance(manager, DiskcacheManager)
    assert Path(manager.handle.directory) == tmp_path / "background"
    assert not isinstance(manager, CeleryManager)


# The button, in a browser


def _text(dash_duo, selector) -> str:
    return visible_text(dash_duo, selector)


def _status(dash_duo) -> str:
    return _text(dash_duo, f"#{ids.REFRESH_STATUS}")


@pytest.mark.browser
def test_refresh_button_shows_progress_while_the_page_stays_usable(
    dash_duo, tmp_path, screenshot_dir
):
    services = _services(tmp_path / "cache", delay=0.8)
    dash_duo.start_server(create_app(services.settings, services))
    wait_until(lambda: "IDX" in _text(dash_duo, CHART_TITLE), message="the index chart")
    badge_before = _text(dash_duo, f"#{ids.SOURCE_BADGE}")

    dash_duo.find_element(f"#{ids.REFRESH_BUTTON}").click()
    wait_until(
        lambda: dash_duo.find_element(f"#{ids.REFRESH_BUTTON}").get_attribute("disabled"),
        message="the button disabled while the refresh runs",
    )
    ticker = dash_duo.find_element(f"#{ids.TICKER_INPUT}")
    ticker.send_keys(Keys.CONTROL, "a")
    ticker.send_keys("AAA", Keys.ENTER)

    seen: list[str] = []
    chart_changed_while_running = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _status(dash_duo).startswith("Refreshed"):
        text = _text(dash_duo, f"#{ids.REFRESH_PROGRESS_TEXT}")
        if text and text not in seen:
            seen.append(text)
            if "of 22" in text and not text.startswith("22 of"):
                dash_duo.driver.save_screenshot(str(screenshot_dir / "refresh-progress.png"))
        if "AAA" in _text(dash_duo, CHART_TITLE) and not _status(dash_duo):
            chart_changed_while_running = True
        time.sleep(0.05)

    status = _status(dash_duo)
    assert status.startswith("Refreshed: fetched 18, already fresh 4, missing 0, failed 0")
    assert "Next refresh allowed at" in status
    midway = [t for t in seen if t.endswith("tickers, 0 failures") and not t.startswith("0 of")]
    assert any(not t.startswith("22 of") for t in midway), f"no progress seen midway: {seen}"
    assert chart_changed_while_running, "the chart did not follow the ticker during the refresh"
    wait_until(
        lambda: not dash_duo.find_element(f"#{ids.REFRESH_PROGRESS_ROW}").is_displayed(),
        timeout=5,
        message="the progress bar hidden again",
    )
    assert not dash_duo.find_element(f"#{ids.REFRESH_BUTTON}").get_attribute("disabled")
    badge_after = _text(dash_duo, f"#{ids.SOURCE_BADGE}")
    assert badge_after.startswith("Fake live source · updated")
    assert badge_after >= badge_before
    assert len(stored_bars(services.market.source.store, "M17")) > 100

    dash_duo.find_element(f"#{ids.REFRESH_BUTTON}").click()
    wait_until(
        lambda: _status(dash_duo).startswith("A refresh was started less than 5 minutes ago"),
        message="the second click refused",
    )
    assert "the next one is allowed at" in _status(dash_duo)
    dash_duo.driver.save_screenshot(str(screenshot_dir / "refresh-too-soon.png"))


@pytest.mark.browser
def test_refresh_while_another_holds_the_store_says_so(dash_duo, tmp_path):
    services = _services(tmp_path / "cache", delay=0.0)
    dash_duo.start_server(create_app(services.settings, services))
    wait_until(lambda: "IDX" in _text(dash_duo, CHART_TITLE), message="the index chart")
    with services.market.source.store.lock():
        dash_duo.find_element(f"#{ids.REFRESH_BUTTON}").click()
        wait_until(
            lambda: _status(dash_duo).startswith("Another refresh is running"),
            message="the busy message",
        )
    assert services.market.source.store.tickers() == sorted(PRESTORED)


def test_a_page_refresh_with_failed_tickers_says_it_refreshed_only_in_part(tmp_path):
    failing = FakeProvider(MEMBERS, failed={"M03": "Yahoo did not answer: timed out"})
    source = ResolvedSource(failing, Store(tmp_path / "fake"), LIVE, "Fake live source")

    outcome = run_page_refresh(source, _settings(tmp_path), lambda _step: None, clock=lambda: 1.0)

    assert outcome.message.startswith("Refreshed in part: fetched 21")
    assert "failed 1 (M03)" in outcome.message
    assert (
        "incomplete: 1 tickers failed (first: Yahoo did not answer: timed out)" in outcome.message
    )
