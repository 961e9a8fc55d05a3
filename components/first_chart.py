"""The served page carries its first price chart, which plotly.js draws before Dash starts.

Dash paints its components only after React, the renderer and the component bundles have
run, the layout has come in a second request and the lazily loaded Graph has mounted. The
page's HTML already knows the figure, so it ships it as JSON with the plotly.js bundle and a
small script (``assets/first-chart.js``) that draws it at once, in a box of the chart card's
width and height; when the dcc.Graph mounts, the script hands it the drawn plot.
"""

from __future__ import annotations

from pathlib import Path

from plotly.io.json import to_json_plotly

from components import ids
from components.chart_panel import ChartContent

SCRIPT = "first-chart.js"
BUNDLE_PATTERN = "vendor/plotly-finance-*.min.js"
"""The plotly.js bundle the page draws with, in ``assets/``."""
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def plotly_bundle(assets: Path) -> str:
    """The bundle's path under ``assets`` (one file: its name says its version)."""
    found = sorted(assets.glob(BUNDLE_PATTERN))
    if len(found) != 1:
        raise ValueError(f"expected one {BUNDLE_PATTERN} in {assets}, found {len(found)}")
    return found[0].relative_to(assets).as_posix()


def script_tag(assets: Path, path: str, url: str) -> str:
    """A <script> for the asset ``path``, linked with its modification time (browsers keep
    assets for a year, so the URL must change when the file does)."""
    return f'<script src="{url}?m={int((assets / path).stat().st_mtime)}"></script>'


def figure_json(content: ChartContent) -> str:
    """The figure and the Graph's config as JSON that is safe inside a <script> element."""
    text = to_json_plotly({"figure": content.figure, "config": content.config})
    for character, escape in _JSON_ESCAPES.items():
        text = text.replace(character, escape)
    return text


def create_first_chart(content: ChartContent | None, bundle_tag: str, script_tag: str) -> str:
    """HTML for above Dash's app: the plotly.js bundle and, with ``content``, the chart.

    The bundle comes first so that it downloads at once. The chart's box copies the chart
    card's place in the grid (``components/layout.py``: a ``lg=8`` column) and its height,
    so the plot has the size the Graph gives it and moves into it without a redraw. Without
    ``content`` (the page opens on another tab) only the bundle is there.
    """
    if content is None:
        return bundle_tag
    return f"""{bundle_tag}
<div id="{ids.FIRST_CHART_PAGE}" class="container-fluid r2k-page" data-chart="{ids.PRICE_CHART}">
  <div class="row r2k-chart-row"><div class="col-lg-8"><div class="card mb-3">
    <div id="{ids.PRICE_CHART}" class="dash-graph r2k-price-chart">
      <div class="r2k-first-plot" style="height: var(--r2k-chart-height)"></div>
    </div>
  </div></div></div>
</div>
<script type="application/json" id="{ids.FIRST_CHART_FIGURE}">{figure_json(content)}</script>
{script_tag}
"""
