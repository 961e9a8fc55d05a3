"""A Dash page driven over HTTP the way dash-renderer drives it, without a browser.

``DashPage.load`` fetches the page, its layout and its callback graph, then fires the
initial callbacks in dependency order; ``DashPage.change`` sets component properties (a
control change, a table click) and fires every server callback that depends on them, then
those that depend on their outputs, until the page is quiet. Components a callback adds
(children) join the page and fire what listens to them; ``ALL`` patterns match every such
component. Clientside and background callbacks are left out: the browser runs the first
itself (``drawn`` stands for what they set once the page is drawn), and the page's server
work is in the others. Callbacks of one wave are sent one after the other, where a browser
sends them in parallel. Only the standard library and httpx: it starts fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

PropId = tuple[str, str]
"""(component id, property); a pattern-matching id as Dash writes it (sorted JSON)."""

UPDATE_PATH = "/_dash-update-component"
MAX_CALLBACKS_PER_EVENT = 100
"""More callback requests than this for one event means a loop, not a page."""


@dataclass(frozen=True)
class Exchange:
    """One HTTP request of the page: what it was, how long it took, its size, its outcome."""

    kind: str
    seconds: float
    status: int
    sent: int
    received: int
    error: str | None = None


@dataclass(frozen=True)
class Callback:
    """A server callback as ``/_dash-dependencies`` describes it."""

    output: str
    outputs: tuple[PropId, ...]
    inputs: tuple[PropId, ...]
    state: tuple[PropId, ...]
    prevent_initial_call: bool

    @property
    def name(self) -> str:
        """A short name for reports: the first output, ``component.property``."""
        return ".".join(self.outputs[0]) if self.outputs else self.output


def parse_output(output: str) -> tuple[PropId, ...]:
    """``..a.x...b.y..`` (several outputs) or ``a.x`` (one) as (id, property) pairs."""
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    pairs = []
    for name in names:
        component, _, prop = name.rpartition(".")
        pairs.append((component, prop))
    return tuple(pairs)


def dash_id(component: Any) -> str:
    """A component id as Dash writes it in specs and responses: a dict id as sorted JSON."""
    if isinstance(component, dict):
        return json.dumps(component, sort_keys=True, separators=(",", ":"))
    return str(component)


def _pattern(spec_id: str) -> dict[str, Any] | None:
    """The dict of a pattern-matching spec id, None for a string id."""
    return json.loads(spec_id) if spec_id.startswith("{") else None


def matches(spec_id: str, component: str) -> bool:
    """Whether ``component`` is ``spec_id``, or one of the components its ``ALL`` pattern names."""
    pattern = _pattern(spec_id)
    if pattern is None:
        return spec_id == component
    concrete = _pattern(component)
    if concrete is None or concrete.keys() != pattern.keys():
        return False
    return all(want == ["ALL"] or concrete[key] == want for key, want in pattern.items())


def server_callbacks(dependencies: Iterable[Mapping[str, Any]]) -> list[Callback]:
    """The callbacks this client fires: server-side, not background; patterns only ``ALL``."""
    callbacks = []
    for spec in dependencies:
        if spec.get("clientside_function") or spec.get("background") or spec.get("no_output"):
            continue
        outputs = parse_output(str(spec["output"]))
        inputs = tuple((str(d["id"]), str(d["property"])) for d in spec.get("inputs", []))
        state = tuple((str(d["id"]), str(d["property"])) for d in spec.get("state", []))
        ids = [component for component, _ in (*outputs, *inputs, *state)]
        if any("MATCH" in component or "ALLSMALLER" in component for component in ids):
            continue
        callbacks.append(
            Callback(
                str(spec["output"]), outputs, inputs, state, bool(spec["prevent_initial_call"])
            )
        )
    return callbacks


def layout_props(node: Any, props: dict[PropId, Any] | None = None) -> dict[PropId, Any]:
    """Every property of every component with an id in a ``/_dash-layout`` tree."""
    props = {} if props is None else props
    if isinstance(node, list):
        for child in node:
            layout_props(child, props)
    elif isinstance(node, dict) and "props" in node:
        own = node["props"]
        component = own.get("id")
        if isinstance(component, str | dict):
            for name, value in own.items():
                if name != "children" or not _is_tree(value):
                    props[(dash_id(component), name)] = value
        for value in own.values():
            if _is_tree(value):
                layout_props(value, props)
    return props


def _is_tree(value: Any) -> bool:
    if isinstance(value, dict):
        return "props" in value and "type" in value
    return isinstance(value, list) and any(_is_tree(item) for item in value)


class DashPage:
    """One browser tab of a Dash app, over one HTTP client; ``record`` sees every request."""

    def __init__(
        self,
        client: httpx.Client,
        record: Callable[[Exchange], None] | None = None,
        drawn: Mapping[PropId, Any] | None = None,
    ) -> None:
        self.client = client
        self.props: dict[PropId, Any] = {}
        self.callbacks: list[Callback] = []
        self._record = record or (lambda _exchange: None)
        self._drawn = dict(drawn or {})

    def load(self, query: str = "") -> list[Exchange]:
        """Open ``/`` with ``query``, run the initial callbacks, then set what the browser
        sets once the page is drawn (``drawn``), as a page load does."""
        exchanges = [self._get("page", "/" + query)]
        layout = self._get_json("layout", "/_dash-layout", exchanges)
        dependencies = self._get_json("dependencies", "/_dash-dependencies", exchanges)
        if layout is None or dependencies is None:
            return exchanges
        self.props = layout_props(layout)
        self.callbacks = server_callbacks(dependencies)
        self.props[("url", "pathname")] = "/"
        self.props[("url", "search")] = query
        present = {component for component, _ in self.props}
        initial: dict[int, set[PropId]] = {
            index: set()
            for index, callback in enumerate(self.callbacks)
            if not callback.prevent_initial_call
            and all(
                _pattern(component) is not None or component in present
                for component, _ in callback.inputs
            )
        }
        exchanges += self._run(initial)
        drawn = {prop: value for prop, value in self._drawn.items() if prop[0] in present}
        if drawn:
            exchanges += self.change(drawn)
        return exchanges

    def change(self, changes: Mapping[PropId, Any]) -> list[Exchange]:
        """Set properties as a user would, then run what depends on them until quiet."""
        self.props.update(changes)
        pending: dict[int, set[PropId]] = {}
        for prop in changes:
            for index in self._listeners(prop):
                pending.setdefault(index, set()).add(prop)
        return self._run(pending)

    def value(self, component: str, prop: str) -> Any:
        """The page's current value of a property (None when never set)."""
        return self.props.get((component, prop))

    def has(self, component: str) -> bool:
        """Whether the page's layout holds a component with this id."""
        return (component, "id") in self.props

    def _listeners(self, prop: PropId, source: int | None = None) -> list[int]:
        return [
            index
            for index, callback in enumerate(self.callbacks)
            if index != source
            and any(matches(c, prop[0]) and p == prop[1] for c, p in callback.inputs)
        ]

    def _added(self, value: Any) -> list[PropId]:
        """The properties of components a callback just put on the page (in ``value``)."""
        added = layout_props(value) if _is_tree(value) else {}
        self.props.update(added)
        return list(added)

    def _initial_listeners(self, added: list[PropId]) -> list[int]:
        """Callbacks that fire because components they listen to arrived."""
        listeners = {index for prop in added for index in self._listeners(prop)}
        return [index for index in listeners if not self.callbacks[index].prevent_initial_call]

    def _present(self, spec_id: str) -> list[str]:
        """The components on the page a spec id names, in page order."""
        if _pattern(spec_id) is None:
            return [spec_id]
        components = dict.fromkeys(c for c, _ in self.props if matches(spec_id, c))
        return list(components)

    def _run(self, pending: dict[int, set[PropId]]) -> list[Exchange]:
        exchanges: list[Exchange] = []
        while pending:
            if len(exchanges) > MAX_CALLBACKS_PER_EVENT:
                raise RuntimeError(f"callbacks kept firing: {[e.kind for e in exchanges[-5:]]}")
            ready = [index for index in pending if not self._waits(index, pending)] or list(pending)
            for index in ready:
                changed = pending.pop(index)
                exchange, updates = self._fire(self.callbacks[index], changed)
                exchanges.append(exchange)
                for prop, value in updates.items():
                    self.props[prop] = value
                    for listener in self._listeners(prop, source=index):
                        pending.setdefault(listener, set()).add(prop)
                    added = self._added(value)
                    for listener in self._initial_listeners(added):
                        pending.setdefault(listener, set())
        return exchanges

    def _waits(self, index: int, pending: Mapping[int, set[PropId]]) -> bool:
        """Whether an input of callback ``index`` is an output of another pending callback."""
        inputs = set(self.callbacks[index].inputs)
        return any(
            inputs.intersection(self.callbacks[other].outputs)
            for other in pending
            if other != index
        )

    def _fire(self, callback: Callback, changed: set[PropId]) -> tuple[Exchange, dict[PropId, Any]]:
        outputs = [self._output(prop) for prop in callback.outputs]
        body = {
            "output": callback.output,
            "outputs": outputs if callback.output.startswith("..") else outputs[0],
            "inputs": [self._argument(prop) for prop in callback.inputs],
            "changedPropIds": [f"{c}.{p}" for c, p in changed],
            "state": [self._argument(prop) for prop in callback.state],
        }
        content = json.dumps(body).encode()
        exchange, response = self._send(
            callback.name,
            lambda: self.client.post(
                UPDATE_PATH, content=content, headers={"Content-Type": "application/json"}
            ),
            len(content),
        )
        updates: dict[PropId, Any] = {}
        if response is not None and response.status_code == 200 and exchange.error is None:
            try:
                answer = response.json()
            except ValueError:
                exchange = _failed(exchange, "callback answered with something other than JSON")
                answer = {}
            for key in ("response", "sideUpdate"):
                for component, values in (answer.get(key) or {}).items():
                    for prop, value in values.items():
                        updates[(component, prop)] = value
        self._record(exchange)
        return exchange, updates

    def _output(self, prop: PropId) -> Any:
        """An output of a body; a pattern's is a list, one entry per matching component."""
        entries = [
            {"id": _concrete(component), "property": prop[1]}
            for component in self._present(prop[0])
        ]
        return entries if _pattern(prop[0]) is not None else entries[0]

    def _argument(self, prop: PropId) -> Any:
        """An input or state of a body; a pattern's is a list, one entry per component."""
        arguments = []
        for component in self._present(prop[0]):
            argument: dict[str, Any] = {"id": _concrete(component), "property": prop[1]}
            if (component, prop[1]) in self.props:
                argument["value"] = self.props[(component, prop[1])]
            arguments.append(argument)
        return arguments if _pattern(prop[0]) is not None else arguments[0]

    def _get(self, kind: str, path: str) -> Exchange:
        exchange = self._send(kind, lambda: self.client.get(path), 0)[0]
        self._record(exchange)
        return exchange

    def _get_json(self, kind: str, path: str, exchanges: list[Exchange]) -> Any:
        exchange, response = self._send(kind, lambda: self.client.get(path), 0)
        document = None
        if response is not None and exchange.error is None:
            try:
                document = response.json()
            except ValueError:
                exchange = _failed(exchange, f"{path} answered with something other than JSON")
        self._record(exchange)
        exchanges.append(exchange)
        return document

    def _send(
        self, kind: str, request: Callable[[], httpx.Response], sent: int
    ) -> tuple[Exchange, httpx.Response | None]:
        started = time.perf_counter()
        try:
            response = request()
        except httpx.HTTPError as failure:
            elapsed = time.perf_counter() - started
            return Exchange(kind, elapsed, 0, sent, 0, f"{type(failure).__name__}: {failure}"), None
        elapsed = time.perf_counter() - started
        ok = response.status_code in (200, 204)
        problem = None if ok else f"HTTP {response.status_code}"
        size = len(response.content)
        return Exchange(kind, elapsed, response.status_code, sent, size, problem), response


def _concrete(component: str) -> Any:
    """A component id as a request body carries it: a dict for a pattern-matching id."""
    return _pattern(component) or component


def _failed(exchange: Exchange, error: str) -> Exchange:
    return Exchange(
        exchange.kind, exchange.seconds, exchange.status, exchange.sent, exchange.received, error
    )
