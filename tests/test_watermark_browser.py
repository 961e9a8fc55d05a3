"""The demo's "SIMULATED DATA" watermark in a real desktop Chromium window (not an emulated
phone: a desktop window keeps a scrollbar's gutter, so the page is narrower than the window).

On every demo chart the watermark is whole inside the chart, and nothing makes the page
scroll sideways. Screenshots are saved under test-output/screenshots.
"""

from __future__ import annotations

import pytest

from app import create_app
from settings import Settings
from tests.browser import CHART_TITLE, wait_until

pytestmark = pytest.mark.browser

BREADTH_VIEW = "?ticker=DEMO-R2K&ind=sma50,channel,volume,breadth"
COMPARE_VIEW = "?ticker=DEMO-R2K&compare=DEMO-LARGE"

WATERMARKS = """
return [...document.querySelectorAll('.js-plotly-plot')]
  .filter((plot) => plot.getBoundingClientRect().width > 0)
  .map((plot) => {
    const box = plot.querySelector('.main-svg').getBoundingClientRect();
    const marks = [...plot.querySelectorAll('.annotation-text')]
      .filter((text) => text.textContent.includes('SIMULATED'))
      .map((text) => text.getBoundingClientRect());
    return {
      chart: plot.closest('[id]').id,
      marks: marks.length,
      inside: marks.every((mark) => mark.left >= box.left && mark.right <= box.right),
    };
  });
"""


@pytest.fixture
def demo_app():
    return create_app(Settings(source="demo"))


def _window_width(dash_duo, width: int) -> None:
    """A desktop window whose page viewport (innerWidth) is ``width`` pixels wide."""
    frame = dash_duo.driver.execute_script("return window.outerWidth - window.innerWidth;")
    dash_duo.driver.set_window_size(width + frame, 1000)
    wait_until(
        lambda: dash_duo.driver.execute_script("return window.innerWidth;") == width,
        message=f"a {width} px viewport",
    )


def _open(dash_duo, query: str, chart: str) -> None:
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    dash_duo.wait_for_element(CHART_TITLE, timeout=30)
    wait_until(lambda: dash_duo.find_element(f"{chart} .gtitle").text, timeout=40, message=chart)


def _watermarks(dash_duo, charts: set[str]) -> dict[str, dict]:
    """Each drawn chart's watermarks, once every chart of ``charts`` has drawn one."""

    def drawn() -> dict[str, dict] | None:
        found = {mark["chart"]: mark for mark in dash_duo.driver.execute_script(WATERMARKS)}
        return found if all(found.get(chart, {}).get("marks") for chart in charts) else None

    return wait_until(drawn, message=f"watermarks on {sorted(charts)}")


def _page_width(dash_duo) -> tuple[int, int]:
    return tuple(
        dash_duo.driver.execute_script(
            "const root = document.documentElement; return [root.scrollWidth, root.clientWidth];"
        )
    )


def _settle(dash_duo) -> None:
    """Until the page's width stops changing: Dash and AG Grid lay out in steps."""
    widths: list[tuple[int, int]] = []
    wait_until(
        lambda: widths.append(_page_width(dash_duo)) or widths[-3:] == [widths[-1]] * 3,
        message="a settled layout",
    )


@pytest.mark.parametrize("width", [390, 1400])
def test_the_watermark_fits_every_demo_chart_and_the_page_does_not_scroll_sideways(
    dash_duo, demo_app, screenshot_dir, width
):
    dash_duo.start_server(demo_app)
    _window_width(dash_duo, width)
    _open(dash_duo, BREADTH_VIEW, "#breadth-chart")
    dash_duo.wait_for_element("#holdings-table table", timeout=30)
    marks = _watermarks(dash_duo, {"price-chart", "breadth-chart", "sector-chart"})
    assert all(mark["marks"] == 1 and mark["inside"] for mark in marks.values()), marks
    _settle(dash_duo)
    scroll_width, client_width = _page_width(dash_duo)
    assert scroll_width <= client_width, "the page scrolls sideways"
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto'; window.scrollTo(0, 0);"
    )
    dash_duo.driver.save_screenshot(str(screenshot_dir / f"watermark-{width}.png"))
    dash_duo.driver.execute_script(
        "document.querySelector('#holdings-table').scrollIntoView({block: 'start'});"
    )
    dash_duo.driver.save_screenshot(str(screenshot_dir / f"watermark-holdings-{width}.png"))

    _open(dash_duo, COMPARE_VIEW, "#compare-chart")
    compare = _watermarks(dash_duo, {"compare-chart"})["compare-chart"]
    assert compare["marks"] == 1 and compare["inside"], compare
    _settle(dash_duo)
    scroll_width, client_width = _page_width(dash_duo)
    assert scroll_width <= client_width, "the compare view scrolls sideways"
