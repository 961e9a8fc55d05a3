"""Helpers for browser tests: waiting on a page that React re-renders under us."""

from __future__ import annotations

import time
from collections.abc import Callable

from selenium.common.exceptions import StaleElementReferenceException

CHART_TITLE = "#react-entry-point #price-chart .gtitle"
"""The price chart's title in Dash's page: Dash is up. (The served HTML draws the chart
before Dash's scripts load, outside ``#react-entry-point``: its title alone says less.)"""


def wait_until[T](
    condition: Callable[[], T], timeout: float = 20.0, message: str = "condition"
) -> T:
    """The first truthy value of ``condition()``; a vanished element counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the DOM is re-rendered under us: try again
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


def visible_text(dash_duo, selector: str, attempts: int = 20) -> str:
    """The text of ``selector`` as shown, found again if React replaced the element between
    finding it and reading it (a page that updates while a test polls it)."""
    for _ in range(attempts):
        try:
            return dash_duo.find_element(selector).text
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{selector} was replaced {attempts} times in a row while read")


def wait_for_dash_chart(dash_duo, chart: str = "#react-entry-point #price-chart") -> None:
    """Until Dash's Graph has taken over the page's first chart (drawn before Dash starts)
    and listens to its events: a zoom made earlier reaches no callback.

    The sign is a ``plotly_click`` listener, which only the Graph binds: the breadth panel's
    axis link (assets/r2k-breadth-axis.js) binds ``plotly_relayout`` on the early plot too."""
    wait_until(
        lambda: dash_duo.driver.execute_script(
            "const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
            "return gd && gd._ev && gd._ev.listeners('plotly_click').length > 0;",
            chart,
        ),
        timeout=30,
        message="Dash's Graph bound to the chart",
    )


def price_axis_range(dash_duo, chart: str = "#react-entry-point #price-chart") -> list[float]:
    """The price (first) y axis range the chart shows now."""
    return dash_duo.driver.execute_script(
        "return document.querySelector(arguments[0] + ' .js-plotly-plot')"
        "._fullLayout.yaxis.range.slice();",
        chart,
    )


def wait_for_price_axis_change(
    dash_duo, before: list[float], chart: str = "#react-entry-point #price-chart"
) -> list[float]:
    """The price axis range once it differs from ``before``: the clientside fit has run."""
    return wait_until(
        lambda: (now := price_axis_range(dash_duo, chart)) != before and now,
        message="the price axis fitted to the bars in view",
    )
