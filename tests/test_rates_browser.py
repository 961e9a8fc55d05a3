"""The Relative tab with Treasury yields in headless Chromium on the demo market."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from app import create_app
from settings import Settings
from tests.browser import CHART_TITLE, wait_until

pytestmark = pytest.mark.browser


def test_the_relative_tab_shows_simulated_treasury_yields(dash_duo, screenshot_dir):
    dash_duo.start_server(create_app(Settings(source="demo")))
    dash_duo.driver.get(dash_duo.server_url + "/?ticker=DEMO-R2K&ind=sma50,rates")
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    tabs = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#chart-tabs .nav-link")
    relative = next(tab for tab in tabs if tab.text == "Relative")
    dash_duo.driver.execute_script("arguments[0].click();", relative)
    title = wait_until(
        lambda: dash_duo.find_element("#compare-chart .g-y3title").text,
        timeout=40,
        message="the yields' axis",
    )
    assert title == "Yield % (simulated)"
    legend = dash_duo.find_element("#compare-chart .legend").text
    assert "10-year Treasury (^TNX)" in legend and "13-week T-bill (^IRX)" in legend
    dash_duo.driver.save_screenshot(str(screenshot_dir / "internals-rates.png"))
