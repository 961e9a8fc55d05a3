"""The page paints its chart from the layout: drawn for the URL it was opened at, once.

The layout request carries the page's URL in its Referer; the layout then holds the chart,
the read and the controls of that view, and the chart callback leaves them alone until
something changes. The served HTML carries the same figure, which plotly.js (the finance
bundle from ``assets/vendor``) draws before Dash starts (tests/test_first_paint_browser.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.offline
import pytest
from dash import Dash

from app import create_app
from components import dash_start, first_chart, ids
from components.chart_panel import ChartContent
from components.view_state import ViewState, to_query
from settings import Settings
from tests.dash_payloads import TABLES, callback_request, dash_id

ROOT = Path(__file__).resolve().parents[1]
VIEW = "?ticker=DEMO-LARGE&range=2y&ind=sma50,rsi"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Dash:
    cache = tmp_path_factory.mktemp("first-paint")
    return create_app(Settings(source="demo", cache_dir=cache, cache_timeout=0))


def _components(node: Any) -> Iterator[dict[str, Any]]:
    """Every component of a layout as served (JSON), depth first."""
    if isinstance(node, list):
        for child in node:
            yield from _components(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        for value in node["props"].values():
            yield from _components(value)


def _props(layout: Any, component_id: str) -> dict[str, Any]:
    (found,) = [c["props"] for c in _components(layout) if c["props"].get("id") == component_id]
    return found


def _layout(app: Dash, referrer: str | None) -> Any:
    headers = {"Referer": referrer} if referrer is not None else {}
    response = app.server.test_client().get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return json.loads(response.data)


def test_the_layout_holds_the_chart_read_and_controls_of_the_pages_url(app: Dash) -> None:
    layout = _layout(app, f"http://localhost/{VIEW}")

    figure = _props(layout, "price-chart")["figure"]
    assert figure["layout"]["title"]["text"].startswith("DEMO-LARGE")
    assert {trace.get("name") for trace in figure["data"]} >= {"SMA 50", "RSI 14"}
    assert "MACD hist" not in {trace.get("name") for trace in figure["data"]}
    assert "DEMO-LARGE" in json.dumps(_props(layout, "read-panel")["children"])
    assert _props(layout, "ticker-input")["value"] == "DEMO-LARGE"
    assert _props(layout, "range-select")["value"] == "2y"
    assert _props(layout, "indicator-checklist")["value"] == ["sma50", "rsi"]
    query = to_query(ViewState("DEMO-LARGE", range="2y", indicators=("sma50", "rsi")))
    assert _props(layout, "view-store")["data"] == query
    assert _props(layout, "chart-view")["data"] == query
    assert _props(layout, "drawn-chart")["data"] == {"view": query, "dark": False}


@pytest.mark.parametrize(
    "referrer",
    [
        None,
        "",
        "http://elsewhere.example/?ticker=DEMO-LARGE",
        "not a url \x00",
        "http://localhost/",
    ],
)
def test_without_a_usable_referer_the_layout_is_the_default_view(app: Dash, referrer) -> None:
    layout = _layout(app, referrer)

    assert _props(layout, "ticker-input")["value"] == "DEMO-R2K"
    title = _props(layout, "price-chart")["figure"]["layout"]["title"]["text"]
    assert title.startswith("DEMO-R2K")


def test_a_hostile_referer_query_still_gives_a_page(app: Dash) -> None:
    layout = _layout(app, "http://localhost/?ticker=%3Cscript%3E&range=9y&channel=-1")

    assert _props(layout, "ticker-input")["value"] == "DEMO-R2K"
    assert _props(layout, "range-select")["value"] == "5y"
    assert "<script>" not in json.dumps(layout)


def _chart_post(app: Dash, query: str, dark: bool, drawn: Any) -> Any:
    client = app.server.test_client()
    dependencies = json.loads(client.get("/_dash-dependencies").data)
    values = {
        "chart-view": query,
        "theme-switch": dark,
        "view-store": query,
        "drawn-chart": drawn,
    }
    return client.post(
        "/_dash-update-component",
        json=callback_request(dependencies, "price-chart.figure", values),
    )


def test_the_chart_callback_leaves_the_chart_the_layout_drew(app: Dash) -> None:
    query = to_query(ViewState("DEMO-LARGE"))

    response = _chart_post(app, query, False, {"view": query, "dark": False})

    assert response.status_code == 204  # PreventUpdate: nothing sent, nothing drawn


@pytest.mark.parametrize(
    ("dark", "drawn"),
    [
        (True, {"view": "?ticker=DEMO-LARGE", "dark": False}),  # a dark theme kept from before
        (False, {"view": "?ticker=DEMO-R2K", "dark": False}),  # the URL said otherwise
        (False, None),
    ],
)
def test_the_chart_callback_redraws_for_another_view_or_theme(app: Dash, dark, drawn) -> None:
    query = "?ticker=DEMO-LARGE"

    response = _chart_post(app, query, dark, drawn)

    assert response.status_code == 200
    outputs = json.loads(response.data)["response"]
    assert outputs["price-chart"]["figure"]["layout"]["title"]["text"].startswith("DEMO-LARGE")
    assert outputs["drawn-chart"]["data"] == {"view": query, "dark": dark}


def test_the_vendored_plotly_bundle_matches_plotly_pys_plotly_js() -> None:
    (bundle,) = (ROOT / "assets" / "vendor").glob("plotly-finance-*.min.js")
    header = bundle.read_text(encoding="utf-8")[:200]
    match = re.search(r"plotly\.js \(finance - minified\) v(\d+)\.(\d+)\.\d+", header)
    assert match, f"no plotly.js version in the header of {bundle.name}"
    major, minor = plotly.offline.get_plotlyjs_version().split(".")[:2]
    assert match.groups() == (major, minor), (
        f"{bundle.name} does not draw the figures plotly {plotly.__version__} writes "
        f"(plotly.js {plotly.offline.get_plotlyjs_version()}); vendor the matching bundle"
    )
    assert f"-{'.'.join(match.groups())}." in bundle.name, "the file name says its version"


def test_assets_are_linked_by_version_and_kept_by_the_browser(app: Dash) -> None:
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    (link,) = re.findall(r'src="(/assets/vendor/plotly-finance-[^"]+)"', page)
    assert "?m=" in link, "the link changes when the file does"

    response = client.get(link)

    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600


def test_the_layout_has_no_table_and_the_movers_wait_for_the_tables(app: Dash) -> None:
    """The tables are put on the page once the chart is drawn; the movers fill them then."""
    layout = _layout(app, "http://localhost/")
    assert not [c for c in _components(layout) if c["type"] == "AgGrid"]
    assert "Ranking" in json.dumps(_props(layout, ids.MOVERS_SLOT)["children"])
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    values = {ids.MOVERS_VIEW: "?ticker=DEMO-R2K&period=1m", ids.THEME_SWITCH: False}
    body = callback_request(dependencies, f"{ids.MOVERS_NOTE}.children", values)

    with_tables = client.post("/_dash-update-component", json=body)
    body["inputs"][-1] = []
    body["outputs"][2] = []  # the tables' CSV names
    before_tables = client.post("/_dash-update-component", json=body)

    assert before_tables.status_code == 204
    assert with_tables.status_code == 200
    response = with_tables.get_json()["response"]
    ranked = response[ids.MOVERS_ROWS]["data"]
    assert len(ranked["ticker"]) > 1000, "every ranked constituent, sent once for both tables"
    assert ranked["return_pct"] == sorted(ranked["return_pct"], reverse=True), "best first"
    names = [response[dash_id(table)]["csvExportParams"]["fileName"] for table in TABLES]
    assert [re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", name) for name in names] == [
        "r2k-movers-1m-DATE-top.csv",
        "r2k-movers-1m-DATE-bottom.csv",
    ]


def test_the_tables_are_made_when_the_chart_is_painted(app: Dash) -> None:
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    body = callback_request(dependencies, f"{ids.MOVERS_SLOT}.children", {ids.CHART_PAINTED: True})

    response = client.post("/_dash-update-component", json=body).get_json()["response"]

    made = [response[slot]["children"] for slot in (ids.MOVERS_SLOT, ids.LAGGARDS_SLOT)]
    assert [table["type"] for table in made] == ["AgGrid", "AgGrid"]
    assert [table["props"]["id"] for table in made] == TABLES
    assert [table["props"]["csvExportParams"]["fileName"] for table in made] == [
        "r2k-movers-top.csv",
        "r2k-movers-bottom.csv",
    ]


def test_a_theme_switch_redraws_the_sectors_and_sends_no_rows_again(app: Dash) -> None:
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    values = {ids.MOVERS_VIEW: "?ticker=DEMO-R2K&period=1m", ids.THEME_SWITCH: False}
    first = client.post(
        "/_dash-update-component",
        json=callback_request(dependencies, f"{ids.MOVERS_NOTE}.children", values),
    ).get_json()["response"]
    sent = first[ids.MOVERS_ROWS_KEY]["data"]
    body = callback_request(dependencies, f"{ids.MOVERS_NOTE}.children", values)
    body["inputs"][1]["value"] = True  # the dark theme
    body["state"][0]["value"] = sent
    assert body["state"][0]["id"] == ids.MOVERS_ROWS_KEY

    dark = client.post("/_dash-update-component", json=body).get_json()["response"]

    assert ids.MOVERS_ROWS not in dark, "the rows the page holds are not sent again"
    assert dark[ids.SECTOR_CHART]["figure"] != first[ids.SECTOR_CHART]["figure"]
    body["inputs"][0]["value"] = "?ticker=DEMO-R2K&period=3m"
    other = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert other[ids.MOVERS_ROWS]["data"]["ticker"] != first[ids.MOVERS_ROWS]["data"]["ticker"]


def test_a_view_change_that_keeps_the_screen_sends_no_screen_rows_again(app: Dash) -> None:
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    output = f"{ids.SCREEN_NOTE}.children"
    values = {ids.VIEW_STORE: "?ticker=DEMO-R2K&screen=rsi_oversold"}
    first = client.post(
        "/_dash-update-component", json=callback_request(dependencies, output, values)
    ).get_json()["response"]
    body = callback_request(dependencies, output, values)
    body["inputs"][0]["value"] = "?ticker=DEMO-LARGE&ind=sma50&screen=rsi_oversold"
    body["state"][0]["value"] = first[ids.SCREEN_SENT]["data"]
    assert body["state"][0]["id"] == ids.SCREEN_SENT

    kept = client.post("/_dash-update-component", json=body)

    assert kept.status_code == 204, "an overlay or another ticker leaves the screen's rows"
    body["inputs"][0]["value"] = "?ticker=DEMO-LARGE&screen=rsi_overbought"
    other = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert other[ids.SCREEN_SENT]["data"] != first[ids.SCREEN_SENT]["data"]
    assert other[ids.SCREEN_NOTE]["children"] != first[ids.SCREEN_NOTE]["children"]


def _served_figure(page: str) -> Any:
    match = re.search(
        rf'<script type="application/json" id="{ids.FIRST_CHART_FIGURE}">(.*?)</script>',
        page,
        re.S,
    )
    assert match, "the page carries its first figure"
    return json.loads(match.group(1))


def _bdata_in(value: Any) -> bool:
    return "bdata" in json.dumps(value)


def test_the_served_page_carries_the_figure_the_layout_draws(app: Dash) -> None:
    client = app.server.test_client()
    page = client.get("/" + VIEW).get_data(as_text=True)

    served = _served_figure(page)
    layout = _layout(app, f"http://localhost/{VIEW}")
    graph = _props(layout, ids.PRICE_CHART)

    assert served["figure"]["layout"]["title"]["text"].startswith("DEMO-LARGE")
    assert served["figure"] == graph["figure"], "the Graph gets the very figure drawn first"
    assert served["config"] == graph["config"]
    assert not _bdata_in(served) and not _bdata_in(graph["figure"]), "plain arrays only"


def test_the_first_chart_is_drawn_before_the_app_scripts(app: Dash) -> None:
    page = app.server.test_client().get("/").get_data(as_text=True)

    bundle = page.index('src="/assets/vendor/plotly-finance-')
    figure = page.index(f'id="{ids.FIRST_CHART_FIGURE}"')
    script = page.index('src="/assets/first-chart.js?m=')
    assert bundle < page.index(f'id="{ids.FIRST_CHART_PAGE}"') < figure < script
    assert script < page.index('id="react-entry-point"') < page.index("react@18")
    assert page.count("first-chart.js") == 1 and page.count("plotly-finance-") == 1


def test_dash_scripts_wait_in_a_template_for_the_start_script(app: Dash) -> None:
    page = app.server.test_client().get("/").get_data(as_text=True)

    held = page.split(f'<template id="{ids.DASH_SCRIPTS}">', 1)[1].split("</template>")[0]
    start = page.index(f'src="/assets/{dash_start.SCRIPT}?m=')
    assert page.index('src="/assets/first-chart.js?m=') < start
    assert page.index("</template>") < start
    for script in ("react@18", "react-dom@18", "dash_renderer", "dash_ag_grid.v", "r2k-access.js"):
        assert page.count(script) == 1 and script in held, f"{script} is held, once"
    assert held.rstrip().endswith("new DashRenderer();</script>"), "the renderer starts last"
    assert "dash_clientside" in held, "the clientside callbacks are held too"
    assert dash_start.SCRIPT not in held and "first-chart.js" not in held


def test_the_page_config_leaves_out_dashs_copy_of_the_layout(app: Dash) -> None:
    page = app.server.test_client().get("/").get_data(as_text=True)
    config = json.loads(page.split('id="_dash-config" type="application/json">')[1].split("<")[0])

    assert "validation_layout" not in config, "164 kB the renderer uses only in debug"
    assert len(page) < 200_000


def test_dash_start_holds_scripts_and_refuses_what_would_break_out() -> None:
    html = dash_start.create_dash_start('<script src="/a.js"></script>', "<script start>")

    assert html == (
        f'<template id="{ids.DASH_SCRIPTS}">\n<script src="/a.js"></script>\n</template>\n'
        "<script start>"
    )
    with pytest.raises(ValueError, match="<script>"):
        dash_start.create_dash_start("", "<script start>")
    with pytest.raises(ValueError, match="template"):
        dash_start.create_dash_start("<script></template></script>", "<script start>")


def test_the_start_script_finds_the_templates_id() -> None:
    script = (ROOT / "assets" / dash_start.SCRIPT).read_text(encoding="utf-8")
    assert f'getElementById("{ids.DASH_SCRIPTS}")' in script


def test_a_page_opening_on_the_relative_tab_has_only_the_bundle(app: Dash) -> None:
    page = app.server.test_client().get("/?compare=DEMO-LARGE").get_data(as_text=True)

    assert ids.FIRST_CHART_FIGURE not in page and "first-chart.js" not in page
    assert page.count('src="/assets/vendor/plotly-finance-') == 1


def test_a_hostile_query_gets_the_default_first_chart(app: Dash) -> None:
    page = app.server.test_client().get("/?ticker=%3C/script%3E&range=9y").get_data(as_text=True)

    title = _served_figure(page)["figure"]["layout"]["title"]["text"]
    assert title.startswith("DEMO-R2K")
    assert (
        "</script><"
        not in page.split(f'id="{ids.FIRST_CHART_FIGURE}">', 1)[1].split("</script>")[0]
    )


def test_the_figure_json_cannot_close_its_script_element() -> None:
    content = ChartContent({"layout": {"title": {"text": "</script><b>&"}}}, "", [], {})

    text = first_chart.figure_json(content)

    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["figure"]["layout"]["title"]["text"] == "</script><b>&"


def test_the_script_finds_the_pages_ids() -> None:
    script = (ROOT / "assets" / first_chart.SCRIPT).read_text(encoding="utf-8")
    assert f'getElementById("{ids.FIRST_CHART_PAGE}")' in script
    assert f'getElementById("{ids.FIRST_CHART_FIGURE}")' in script
    html = first_chart.create_first_chart(
        ChartContent({"data": [], "layout": {}}, "", [], {}), "<bundle>", "<script>"
    )
    assert f'data-chart="{ids.PRICE_CHART}"' in html, "the script reads the chart's id there"


def test_one_plotly_bundle_is_found_or_the_app_says_so(tmp_path: Path) -> None:
    assert first_chart.plotly_bundle(ROOT / "assets").startswith("vendor/plotly-finance-")
    with pytest.raises(ValueError, match="plotly-finance"):
        first_chart.plotly_bundle(tmp_path)
