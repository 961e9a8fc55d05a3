"""A first start with an empty store fills the movers by itself, showing progress meanwhile.

The app runs on a fake live source (no network) whose third request is held until the test
releases it, so the fill can be looked at midway: through the server's own callbacks and
layout (as any worker answers them), and in headless Chromium, reload included.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from app import create_app, start_fill
from callbacks.first_fill import WAITING_NOTE, time_left
from callbacks.movers import movers_view
from callbacks.services import Services
from components import ids
from components.view_state import ViewState
from hosting.first_fill import DONE, FAILED, read_fill_progress, run_first_fill, start_first_fill
from market.data import MarketData
from market.sources import LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.browser import visible_text, wait_until
from tests.dash_payloads import callback_request
from tests.refresh_fakes import MEMBERS, SOURCE_LABEL, GatedProvider
from tests.store_fakes import FakeProvider

BATCH = 4
PAUSE_ON = "M04"
"""The fill is held at its second batch of members: the index, benchmark and 4 members are in
(6 of 22 tickers), whether the page or the fill fetched the index."""


def _services(tmp_path, provider: FakeProvider) -> Services:
    settings = Settings(cache_dir=tmp_path, batch_size=BATCH, universe_years=2)
    source = ResolvedSource(provider, Store(tmp_path / "fake"), LIVE, SOURCE_LABEL)
    return Services(settings=settings, market=MarketData(source))


def _find(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The component with ``component_id`` in a layout as /_dash-layout serves it."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return props
        children = props.get("children")
        return _find(children, component_id) if children is not None else None
    if isinstance(tree, list):
        for child in tree:
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_time_left_reads_as_people_say_it():
    assert time_left(None) == "estimating the time left"
    assert time_left(20) == "less than a minute left"
    assert time_left(150) == "about 2 min left"
    assert time_left(2 * 3600 + 5 * 60) == "about 2 h 05 min left"


def test_the_fill_on_start_can_be_turned_off(tmp_path):
    provider = GatedProvider(pause_on="none")
    services = _services(tmp_path, provider)
    off = Services(services.settings.model_copy(update={"fill_on_start": False}), services.market)
    assert start_fill(off) is None
    assert provider.calls == []
    thread = start_fill(services)
    assert thread is not None
    thread.join(timeout=60)
    assert read_fill_progress(services.market.source.store).state == DONE


def test_a_failed_fill_says_why_in_the_movers_area(tmp_path):
    provider = FakeProvider(MEMBERS, unavailable=True, universe_down=True)
    services = _services(tmp_path, provider)
    assert run_first_fill(services.market.source, services.settings).state == FAILED

    view = movers_view(services, ViewState(ticker="IDX"))

    assert view.ranked == {}
    assert view.note == (
        f"The first fetch of the constituents from {SOURCE_LABEL} failed: nothing could be "
        "fetched: fake source is down. Use the refresh button or `r2k refresh` to try again."
    )


def test_first_start_fills_the_movers_with_progress_meanwhile_and_on_reload(tmp_path):
    provider = GatedProvider(pause_on=PAUSE_ON)
    services = _services(tmp_path, provider)
    client = create_app(services.settings, services).server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    fill = start_first_fill(services.market.source, services.settings)
    assert fill is not None
    try:
        assert provider.paused.wait(timeout=30), "the fill never reached its second batch"
        store = services.market.source.store
        wait_until(lambda: read_fill_progress(store).done == 6, message="the second batch stored")

        layout = client.get("/_dash-layout").get_json()  # a page opened, or reloaded, now
        assert _find(layout, ids.FILL_PROGRESS_ROW)["style"] == {}
        assert _find(layout, ids.FILL_POLL)["disabled"] is False
        text = _find(layout, ids.FILL_PROGRESS_TEXT)["children"]
        assert text.startswith(f"First run: fetching the constituents' prices from {SOURCE_LABEL}")
        assert "6 of 22 tickers" in text
        assert _find(layout, ids.FILL_PROGRESS)["value"] == 6

        shown = {ids.FILL_STATE: "running"}  # as the layout above started it
        poll = callback_request(dependencies, f"{ids.FILL_POLL}.disabled", shown)
        running = client.post("/_dash-update-component", json=poll).get_json()["response"]
        assert running[ids.FILL_POLL]["disabled"] is False
        assert "6 of 22 tickers" in running[ids.FILL_PROGRESS_TEXT]["children"]
        assert ids.FILL_STATE not in running  # unchanged: the tables are not ranked again

        values = {ids.MOVERS_VIEW: "?period=1m", ids.FILL_STATE: "running"}
        movers = callback_request(dependencies, f"{ids.MOVERS_NOTE}.children", values)
        waiting = client.post("/_dash-update-component", json=movers).get_json()["response"]
        assert waiting[ids.MOVERS_NOTE]["children"] == WAITING_NOTE
        assert waiting[ids.MOVERS_ROWS]["data"] == {}
    finally:
        provider.release.set()
        fill.join(timeout=60)

    assert read_fill_progress(services.market.source.store).state == DONE
    ended = client.post("/_dash-update-component", json=poll).get_json()["response"]
    assert ended[ids.FILL_POLL]["disabled"] is True
    assert ended[ids.FILL_PROGRESS_ROW]["style"] == {"display": "none"}
    assert ended[ids.FILL_STATE]["data"] == DONE

    values = {ids.MOVERS_VIEW: "?period=1m", ids.FILL_STATE: DONE}
    movers = callback_request(dependencies, f"{ids.MOVERS_NOTE}.children", values)
    filled = client.post("/_dash-update-component", json=movers).get_json()["response"]
    assert len(filled[ids.MOVERS_ROWS]["data"]["ticker"]) == 20  # every ranked constituent
    assert "20 constituents ranked" in filled[ids.MOVERS_NOTE]["children"]
    layout = client.get("/_dash-layout").get_json()
    assert _find(layout, ids.FILL_POLL)["disabled"] is True
    assert _find(layout, ids.FILL_PROGRESS_ROW)["style"] == {"display": "none"}


def _text(dash_duo, component_id: str) -> str:
    return visible_text(dash_duo, f"#{component_id}")


def _rows(dash_duo, slot_id: str) -> int:
    selector = f"#{slot_id} .ag-center-cols-container .ag-row"
    return len(dash_duo.driver.find_elements(By.CSS_SELECTOR, selector))


def _shoot_page(dash_duo, path) -> None:
    """A screenshot of the page down to the movers, once the chart has taken its height."""
    wait_until(
        lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.PRICE_CHART} .main-svg"),
        message="the chart drawn",
    )
    dash_duo.driver.save_screenshot(str(path))


@pytest.mark.browser
def test_the_page_shows_the_fill_progress_then_the_filled_tables(
    dash_duo, tmp_path, screenshot_dir
):
    provider = GatedProvider(pause_on=PAUSE_ON)
    services = _services(tmp_path, provider)
    app = create_app(services.settings, services)
    store = services.market.source.store
    fill = start_first_fill(services.market.source, services.settings)
    assert fill is not None
    try:
        assert provider.paused.wait(timeout=30), "the fill never reached its second batch"
        wait_until(lambda: read_fill_progress(store).done == 6, message="the second batch stored")
        dash_duo.start_server(app)
        dash_duo.driver.set_window_size(1280, 1500)  # the chart and the movers in one view
        for shot in ("first-fill-progress.png", "first-fill-reloaded.png"):
            wait_until(
                lambda: "6 of 22 tickers" in _text(dash_duo, ids.FILL_PROGRESS_TEXT),
                message="the fill's progress",
            )
            wait_until(
                lambda: _text(dash_duo, ids.MOVERS_NOTE) == WAITING_NOTE,
                message="the movers note waiting for the fill",
            )
            assert _rows(dash_duo, ids.MOVERS_SLOT) == 0
            _shoot_page(dash_duo, screenshot_dir / shot)
            dash_duo.driver.refresh()  # a reload during the fill shows it again
    finally:
        provider.release.set()
        fill.join(timeout=60)

    wait_until(lambda: _rows(dash_duo, ids.MOVERS_SLOT) == 20, message="the movers filled")
    wait_until(lambda: _rows(dash_duo, ids.LAGGARDS_SLOT) == 20, message="the laggards filled")
    assert "20 constituents ranked" in _text(dash_duo, ids.MOVERS_NOTE)
    wait_until(  # the next poll hides it; the tables may fill a poll earlier after a reload
        lambda: not dash_duo.find_element(f"#{ids.FILL_PROGRESS_ROW}").is_displayed(),
        message="the fill's progress hidden once it ended",
    )
    _shoot_page(dash_duo, screenshot_dir / "first-fill-done.png")
