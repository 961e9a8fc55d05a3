"""Hostile input: query strings, callback payloads and ``csv:`` paths never break the page.

Property tests (hypothesis, a bounded number of examples each) feed long strings, unicode,
control characters, script tags, path traversal, absurd dates, ranges and channel values,
repeated parameters and values of the wrong JSON type to the view's pure functions and to
the real Flask server of the app (``/_dash-update-component``, with bodies shaped as Dash's
renderer sends them). Nothing may raise, answer HTTP 500, choose a ticker that is not a
ticker, or pass input on as HTML.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import create_app
from callbacks.chart import chart_view
from callbacks.services import Services
from callbacks.view import CLICKS, next_view
from components import ids
from components.control_values import CONTROLS
from components.view_state import (
    CHANNEL_MAX,
    CHANNEL_MIN,
    EARLIEST_DATE,
    INDICATORS,
    INTERVALS,
    PERIODS,
    RANGES,
    SCALES,
    ViewState,
    parse_date,
    parse_query,
    to_query,
)
from market.data import MarketData, UnknownTickerError
from market.sources import DIRECT, resolve_source
from market.tickers import parse_ticker
from market.universe import GICS_SECTORS
from settings import Settings
from tests.dash_payloads import body_outputs, changed_prop, dash_id, with_value

TODAY = date(2026, 11, 25)
FIXTURES = Path(__file__).parent / "data" / "csv"
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bounded(examples: int) -> settings:
    """Settings for a property test inside a test that has fixtures; each example is slow."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


NASTY_STRINGS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "IWM/../../secret",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "2024-13-01",
    "1989-12-31",
    "-1",
    "0",
    "1e9",
    "9" * 40,
    "NaN",
    "Infinity",
    "\x00",
    "IWM\x00",
    "\u202eMWI",
    "💥",
    "Ｉ Ｗ Ｍ",
    "ß",
    "A" * 5000,
    "%00",
    "%",
    "&&&===",
    "Health Care,<script>",
    "';DROP TABLE bars;--",
]
VALID_VALUES = [
    "IWM",
    "brk-b",
    "^RUT",
    "1wk",
    "1d",
    "max",
    "sma50,macd,rsi,channel",
    "104",
    "8",
    "520",
    "521",
    "2025-04-01",
    "ytd",
    "1m",
    "Health Care",
    "Energy,Financials",
    "log",
]
CONTROL_VALUES = ["compare", "price", True, False, 0, 1, 52, ["Energy"], ["sma50", "bb"]]
"""Values the page's own controls send, so that hostile ones meet views that draw."""
PARAMS = ["ticker", "interval", "range", "ind", "channel", "chend", "asof", "period"]
PARAMS += ["include", "exclude", "compare", "scale"]

hostile_text = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=40))
long_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=1200)
param_value = st.one_of(st.sampled_from(VALID_VALUES), hostile_text, long_text)
param_name = st.one_of(st.sampled_from(PARAMS), st.text(max_size=20))
pairs = st.lists(st.tuples(param_name, param_value), max_size=12)
queries = st.one_of(
    pairs.map(lambda p: "?" + urlencode(p)),
    pairs.map(lambda p: "?" + urlencode(p + p)),  # every parameter repeated
    pairs.map(lambda p: "?" + "&".join(f"{n}={v}" for n, v in p)),  # not encoded at all
    pairs.map(lambda p: "&".join(f"{quote(n)}={quote(v, safe='')}" for n, v in p)),
    st.text(max_size=400),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.sampled_from([10**400, -(10**400)]),  # float() of these overflows
        st.floats(),
        hostile_text,
        st.sampled_from(VALID_VALUES),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Anything a client could put in a JSON callback payload, NaN and Infinity included."""
click_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({"rowId": json_values, "colId": json_values}),
    st.fixed_dictionaries({"points": json_values}),
    st.fixed_dictionaries({"points": st.lists(st.fixed_dictionaries({"y": json_values}))}),
)


def _assert_valid_view(state: ViewState) -> None:
    assert parse_ticker(state.ticker) == state.ticker
    assert state.compare is None or parse_ticker(state.compare) == state.compare
    assert state.interval in INTERVALS and state.range in RANGES and state.scale in SCALES
    assert set(state.indicators) <= set(INDICATORS)
    assert CHANNEL_MIN <= state.channel <= CHANNEL_MAX
    for day in (state.as_of, state.channel_end):
        assert day is None or EARLIEST_DATE <= day <= TODAY
    assert state.period in PERIODS or parse_date(state.period, TODAY) is not None
    assert set(state.include) <= set(GICS_SECTORS) and set(state.exclude) <= set(GICS_SECTORS)
    assert all(name.isprintable() and len(name) <= 31 for name in state.ignored)


# Query strings and the view reducer, as pure functions


@EXAMPLES
@given(queries)
@example("?channel=²")  # a digit to str.isdigit, not to int()
@example("?channel=١٠٤&asof=٢٠٢٥-٠٤-٠١")
@example("?ticker=IWM&ticker=<script>&asof=2024-02-30&asof=0001-01-01&chend=9999-12-31")
def test_any_query_string_gives_a_valid_view(query: str) -> None:
    state = parse_query(query, "IWM", TODAY)

    _assert_valid_view(state)
    assert parse_query(to_query(state), "IWM", TODAY) == state


@EXAMPLES
@given(
    trigger=st.sampled_from(
        [None, ids.URL, ids.INDEX_BUTTON, "no-such-component"]
        + [component for component, _ in CONTROLS + CLICKS]
    ),
    search=st.one_of(st.none(), queries, json_values, long_text),
    values=st.lists(json_values, min_size=len(CONTROLS), max_size=len(CONTROLS)),
    clicks=st.fixed_dictionaries({component: click_payloads for component, _ in CLICKS}),
    previous=st.one_of(st.none(), queries, json_values),
)
def test_any_event_gives_a_valid_view(trigger, search, values, clicks, previous) -> None:
    update = next_view(trigger, search, values, clicks, previous, "IWM", "IWM", TODAY)

    _assert_valid_view(update.state)
    assert all(isinstance(problem, str) for problem in update.problems)
    assert parse_query(to_query(update.state), "IWM", TODAY) == update.state


# Callback payloads through the real server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    cache = tmp_path_factory.mktemp("hostile-cache")
    app = create_app(Settings(source="demo", cache_dir=cache))
    return app.server.test_client()


@pytest.fixture(scope="module")
def callbacks(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    server_side = [cb for cb in response.get_json() if not cb.get("clientside_function")]
    assert len(server_side) >= 4
    return server_side


def _body(callback: dict[str, Any], values: list[Any], trigger: int) -> dict[str, Any]:
    """A ``/_dash-update-component`` body: every input and state with a value."""
    count = len(callback["inputs"])
    inputs = [with_value(dep, v) for dep, v in zip(callback["inputs"], values, strict=False)]
    state = [with_value(dep, v) for dep, v in zip(callback["state"], values[count:], strict=False)]
    return {
        "output": callback["output"],
        "outputs": body_outputs(callback["output"]),
        "inputs": inputs,
        "state": state,
        "changedPropIds": [changed_prop(callback["inputs"][trigger])],
    }


RISKY_COMPONENTS = {"Iframe", "ObjectEl", "Embed", "Script"}
RISKY_PROPS = {"dangerouslySetInnerHTML", "srcDoc"}
RISKY_FLAGS = {"dangerously_allow_html", "dangerously_allow_code"}
HTML_FROM_INPUT = ("<script", "<img", "<svg", "<iframe", "javascript:")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_no_html_from_input(value: Any, where: str = "response") -> None:
    """No component that renders HTML, and no HTML in the strings plotly renders."""
    if isinstance(value, list):
        for position, item in enumerate(value):
            _assert_no_html_from_input(item, f"{where}[{position}]")
        return
    if not isinstance(value, dict):
        return
    if {"type", "namespace", "props"} <= value.keys():
        assert value["type"] not in RISKY_COMPONENTS, f"{where} is an {value['type']}"
        props = value["props"] or {}
        assert not RISKY_PROPS & props.keys(), f"{where} sets {RISKY_PROPS & props.keys()}"
        assert not any(props.get(flag) for flag in RISKY_FLAGS), f"{where} allows raw HTML"
        href = str(props.get("href", ""))
        assert not href.strip().lower().startswith("javascript:"), f"{where} links to script"
    if "data" in value and "layout" in value:  # a plotly figure: its text may hold HTML
        for text in _strings(value):
            lowered = text.lower()
            assert not any(tag in lowered for tag in HTML_FROM_INPUT), f"{where}: {text[:80]!r}"
        return
    assert not any(value.get(flag) for flag in RISKY_FLAGS), f"{where} allows raw HTML"
    for key, item in value.items():
        _assert_no_html_from_input(item, f"{where}.{key}")


def _post(client: FlaskClient, body: dict[str, Any]) -> Any:
    response = client.post(
        "/_dash-update-component",
        data=json.dumps(body),  # allow_nan: a hostile client may send NaN and Infinity
        content_type="application/json",
    )
    assert response.status_code in (200, 204), (
        f"HTTP {response.status_code} for {json.dumps(body)[:600]}"
    )
    return response.get_json() if response.status_code == 200 else None


def _payloads(callback: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    """Values for a callback's inputs and state: view queries where a view is expected."""
    deps = callback["inputs"] + callback["state"]
    queries_or_junk = st.one_of(queries, json_values)
    choices = []
    for dep in deps:
        if dep["property"] == "data" or dep["property"] == "search":
            choices.append(queries_or_junk)
        elif dep["property"] in ("cellClicked", "clickData"):
            choices.append(click_payloads)
        elif dep["property"] == "active_tab":
            choices.append(st.one_of(st.just("compare"), json_values))
        else:
            choices.append(st.one_of(st.sampled_from(CONTROL_VALUES), json_values))
    return st.tuples(*choices).map(list)


def _callback(callbacks: list[dict[str, Any]], output_prefix: str) -> dict[str, Any]:
    # The first output's exact name: ``url.search@<hash>`` (a duplicate output) is another.
    matching = [cb for cb in callbacks if cb["output"].lstrip(".").split("...")[0] == output_prefix]
    assert len(matching) == 1, f"expected one callback whose output starts {output_prefix}"
    return matching[0]


TABLES_PATTERN = dash_id({"type": ids.MOVERS_TABLE, "side": ["ALL"]})
MAIN_CALLBACKS = {
    f"{ids.URL}.search": 60,
    f"{ids.PRICE_CHART}.figure": 15,
    f"{ids.COMPARE_CHART}.figure": 15,
    f"{ids.MOVERS_ROWS}.data": 15,
    f"{TABLES_PATTERN}.selectedRows": 30,
}
"""The page's callbacks, and how many hostile payloads each gets (a chart takes a while)."""


def _assert_survives_hostile_payloads(
    client: FlaskClient, callback: dict[str, Any], examples: int
) -> None:
    answered: list[bool] = []

    @_bounded(examples)
    @given(values=_payloads(callback), trigger=st.sampled_from(range(len(callback["inputs"]))))
    def post_anything(values: list[Any], trigger: int) -> None:
        answer = _post(client, _body(callback, values, trigger))
        answered.append(answer is not None)
        _assert_no_html_from_input(answer)
        response = (answer or {}).get("response", {})
        for component in (ids.TICKER_INPUT, ids.COMPARE_INPUT):
            value = response.get(component, {}).get("value")
            assert value in (None, "") or parse_ticker(value) == value, f"{component}: {value!r}"
        if ids.URL in response:
            state = parse_query(response[ids.URL]["search"], "IWM", date.today())
            assert state.ignored == (), f"the URL written back is clean: {state.ignored}"

    post_anything()
    assert any(answered), f"{callback['output']} never answered with content"


@pytest.mark.parametrize("output_prefix", list(MAIN_CALLBACKS))
def test_hostile_payloads_never_fail_the_page_callbacks(
    client: FlaskClient, callbacks: list[dict[str, Any]], output_prefix: str
) -> None:
    callback = _callback(callbacks, output_prefix)
    _assert_survives_hostile_payloads(client, callback, MAIN_CALLBACKS[output_prefix])


def test_hostile_payloads_never_fail_any_other_callback(
    client: FlaskClient, callbacks: list[dict[str, Any]]
) -> None:
    """Every other callback too, except background ones (a refresh job: a click starts it)."""
    main = [_callback(callbacks, prefix) for prefix in MAIN_CALLBACKS]
    others = [cb for cb in callbacks if cb not in main and not cb.get("background")]
    assert others, "the movers and laggards exports at least"
    for callback in others:
        _assert_survives_hostile_payloads(client, callback, 20)


def test_the_view_payload_a_script_ticker_comes_back_only_as_text(client, callbacks) -> None:
    callback = _callback(callbacks, f"{ids.URL}.search")
    names = [f"{d['id']}.{d['property']}" for d in callback["inputs"] + callback["state"]]
    values: list[Any] = [None] * len(names)
    values[names.index(f"{ids.VIEW_STORE}.data")] = "?ticker=IWM"
    values[names.index(f"{ids.TICKER_INPUT}.value")] = "<img src=x onerror=alert(1)>"
    trigger = names.index(f"{ids.TICKER_INPUT}.value")

    answer = _post(client, _body(callback, values, trigger))

    response = answer["response"]
    assert response[ids.TICKER_INPUT]["value"] == "IWM"
    notice = response[ids.IGNORED_PARAMS]["children"]
    assert all(isinstance(line, str) for line in notice), "the notice is plain text"
    assert any("is not a ticker" in line for line in notice)
    _assert_no_html_from_input(answer)


# csv: sources with path traversal


@pytest.fixture
def traversal_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp/a/b`` as the working directory, so that ``csv:../../etc`` is ``tmp/etc``.

    ``tmp/etc`` holds two ticker files and a ``passwd``; secrets lie around it.
    """
    etc = tmp_path / "etc"
    (etc / "SUB").mkdir(parents=True)
    for name in ("IWM.csv", "SPY.csv"):
        shutil.copy(FIXTURES / name, etc / name)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    shutil.copy(FIXTURES / "SPY.csv", etc / "SUB" / "HIDDEN.csv")
    shutil.copy(FIXTURES / "SPY.csv", tmp_path / "SECRET.csv")
    (tmp_path / "passwd.csv").write_text("Date,Open,High,Low,Close,Volume\n")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return etc


def _record_opens(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file opened from now on, by any of Python's ways to open one."""
    opened: list[Path] = []

    def recording(real: Any) -> Any:
        def open_(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | bytes | os.PathLike):
                opened.append(Path(os.fsdecode(file)).resolve())
            return real(file, *args, **kwargs)

        return open_

    monkeypatch.setattr(io, "open", recording(io.open))
    monkeypatch.setattr(builtins, "open", recording(builtins.open))
    monkeypatch.setattr(os, "open", recording(os.open))
    return opened


TRAVERSALS = [
    "../passwd",
    "../../passwd",
    "..",
    "../SECRET",
    "../../SECRET",
    "SUB/HIDDEN",
    "SUB\\HIDDEN",
    "/etc/passwd",
    "passwd",
    "IWM/../../SECRET",
    "..%2FSECRET",
    "~/SECRET",
    "IWM\x00",
    "IWM.csv",
    ".IWM",
]


def test_a_csv_source_with_traversal_opens_only_ticker_files_of_its_directory(
    traversal_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = resolve_source(Settings(source="csv:../../etc"))
    assert source.mode == DIRECT
    services = Services(settings=Settings(source="csv:../../etc"), market=MarketData(source))
    opened = _record_opens(monkeypatch)

    @_bounded(30)
    @given(st.one_of(st.sampled_from(TRAVERSALS), hostile_text))
    def ask(ticker: str) -> None:
        try:
            bars = services.market.daily_bars(ticker)
        except UnknownTickerError:
            pass
        else:
            assert parse_ticker(ticker) in ("IWM", "SPY") and not bars.empty
        symbol = parse_ticker(ticker) or "IWM"
        view = chart_view(services, ViewState(ticker=symbol))
        assert (view.read is None) == (symbol not in ("IWM", "SPY"))

    ask()
    for ticker in TRAVERSALS:
        with pytest.raises(UnknownTickerError):
            services.market.daily_bars(ticker)

    assert services.market.universe() is not None
    tree = traversal_tree.parent.resolve()
    in_tree = {path for path in opened if path.is_relative_to(tree)}
    allowed = {traversal_tree.resolve() / name for name in ("IWM.csv", "SPY.csv")}
    assert in_tree, "the spy saw the ticker files being read"
    assert in_tree <= allowed, f"opened beside the ticker files: {in_tree - allowed}"
    assert Path("/etc/passwd") not in opened


# Crafted bodies: shapes the renderer never sends


def _post_crafted(client: FlaskClient, body: Any) -> int:
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code < 500, f"HTTP {response.status_code} for {json.dumps(body)[:600]}"
    return response.status_code


def _pattern_callbacks(callbacks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server's callbacks with an output on both movers tables (a pattern-matched id)."""
    return [
        cb
        for cb in callbacks
        if TABLES_PATTERN in cb["output"] and not cb.get("clientside_function")
    ]


table_ids = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": st.just(ids.MOVERS_TABLE), "side": json_values}),
    st.fixed_dictionaries({"type": json_values}),
)
crafted_outputs = st.lists(
    st.one_of(st.fixed_dictionaries({"id": table_ids, "property": hostile_text}), json_values),
    max_size=3,
)


def test_a_400_digit_channel_value_is_refused_as_a_channel_not_a_server_error(
    client: FlaskClient, callbacks: list[dict[str, Any]]
) -> None:
    callback = _callback(callbacks, f"{ids.URL}.search")
    names = [f"{d['id']}.{d['property']}" for d in callback["inputs"] + callback["state"]]
    values: list[Any] = [None] * len(names)
    values[names.index(f"{ids.VIEW_STORE}.data")] = "?ticker=IWM&channel=104"
    values[names.index(f"{ids.CHANNEL_INPUT}.value")] = 10**400
    trigger = names.index(f"{ids.CHANNEL_INPUT}.value")

    answer = _post(client, _body(callback, values, trigger))

    notice = answer["response"][ids.IGNORED_PARAMS]["children"]
    assert any("Channel window" in line and "refused" in line for line in notice)
    assert "channel=104" in answer["response"][ids.URL]["search"]


def test_tables_of_an_unknown_side_get_no_rows_and_no_server_error(
    client: FlaskClient, callbacks: list[dict[str, Any]]
) -> None:
    callback = _callback(callbacks, f"{ids.MOVERS_ROWS}.data")
    values = ["?ticker=IWM", False] + [None] * (len(callback["inputs"]) - 2)
    body = _body(callback, values, 0)
    body["outputs"][2] = [
        {"id": {"type": ids.MOVERS_TABLE, "side": "sideways"}, "property": "csvExportParams"}
    ]
    body["inputs"][-1] = [
        {"id": {"type": ids.MOVERS_TABLE, "side": "sideways"}, "property": "id", "value": {}}
    ]
    body["state"] = [{"id": ids.MOVERS_ROWS_KEY, "property": "data", "value": None}]

    assert _post_crafted(client, body) == 200


def test_crafted_outputs_of_the_table_callbacks_never_answer_5xx(
    client: FlaskClient, callbacks: list[dict[str, Any]]
) -> None:
    patterns = _pattern_callbacks(callbacks)
    assert len(patterns) >= 3, "rows, selection and CSV export"

    @_bounded(60)
    @given(
        callback=st.sampled_from(patterns),
        outputs=crafted_outputs,
        values=st.lists(json_values, min_size=3, max_size=3),
    )
    def post_crafted(callback: dict[str, Any], outputs: list[Any], values: list[Any]) -> None:
        body = _body(callback, values, 0)
        if (
            isinstance(body["outputs"], list)
            and body["outputs"]
            and callback["output"].startswith("..")
        ):
            body["outputs"][0] = outputs
        else:
            body["outputs"] = outputs
        _post_crafted(client, body)

    post_crafted()


@pytest.mark.parametrize(
    "body",
    [
        [],
        "output",
        None,
        10**400,
        {},
        {"output": "x" * 100_000, "outputs": {"id": "x", "property": "y"}, "inputs": []},
        {"output": ["a"], "inputs": []},
        {"output": f"{ids.URL}.search", "inputs": "not a list"},
    ],
    ids=["list", "string", "null", "huge-int", "empty", "unknown-output", "output-list", "inputs"],
)
def test_bodies_that_are_not_dash_callbacks_get_400(client: FlaskClient, body: Any) -> None:
    assert _post_crafted(client, body) == 400


def test_an_unknown_output_is_refused_without_copying_it_into_the_log(
    client: FlaskClient, callbacks: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    name = "x" * 500_000
    body = {"output": name, "outputs": {"id": name, "property": "y"}, "inputs": []}

    assert _post_crafted(client, body) == 400
    assert sum(len(record.getMessage()) for record in caplog.records) < 10_000


def test_invalid_json_gets_400(client: FlaskClient) -> None:
    response = client.post(
        "/_dash-update-component", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/nonexistent/bundle.js",
        "/_dash-component-suites/dash/no_such_file.js",
        "/_dash-component-suites/dash/../../settings.py",
        "/_dash-component-suites/os/path.py",
        "/_dash-component-suites/" + "a" * 2000 + "/x.js",
    ],
)
def test_unregistered_component_suite_paths_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


crafted_dependency = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": st.one_of(hostile_text, table_ids), "property": hostile_text, "value": json_values}
    ),
)


def test_inputs_of_any_count_and_shape_never_answer_5xx(
    client: FlaskClient, callbacks: list[dict[str, Any]]
) -> None:
    """Too few, too many, lists for objects and objects for lists, for every callback."""

    @_bounded(80)
    @given(
        callback=st.sampled_from([cb for cb in callbacks if not cb.get("background")]),
        inputs=st.lists(st.one_of(crafted_dependency, st.lists(crafted_dependency)), max_size=4),
        state=st.one_of(st.just([]), st.lists(crafted_dependency, max_size=3)),
        outputs=st.one_of(st.none(), crafted_outputs),
    )
    def post_crafted(callback, inputs, state, outputs) -> None:
        body = {"output": callback["output"], "inputs": inputs, "state": state}
        body["outputs"] = body_outputs(callback["output"]) if outputs is None else outputs
        body["changedPropIds"] = []
        _post_crafted(client, body)

    post_crafted()
