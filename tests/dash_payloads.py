"""Request bodies of Dash callbacks that several test files post to a real server."""

from __future__ import annotations

import json
from typing import Any

from bench.dash_client import dash_id
from components import ids

TABLES = [ids.movers_table(ids.TOP), ids.movers_table(ids.BOTTOM)]
"""The ids of both movers tables, as the page holds them once its chart is drawn."""


TOP_TABLE_KEY = dash_id(ids.movers_table(ids.TOP))
"""The top table's key in a callback response."""

EXPORT_CALLBACK = {
    "output": dash_id({"type": ids.MOVERS_TABLE, "side": ["ALL"]}) + ".exportDataAsCsv",
    "outputs": [{"id": table, "property": "exportDataAsCsv"} for table in TABLES],
    "inputs": [
        {"id": ids.MOVERS_EXPORT, "property": "n_clicks", "value": 1},
        {"id": ids.LAGGARDS_EXPORT, "property": "n_clicks", "value": None},
    ],
    "changedPropIds": [f"{ids.MOVERS_EXPORT}.n_clicks"],
    "state": [],
}
"""The movers CSV-export callback: the smallest real callback a request can run."""

REFRESH_CALLBACK = {
    "output": f"..{ids.REFRESH_STATUS}.children...{ids.SOURCE_BADGE}.children..",
    "outputs": [
        {"id": ids.REFRESH_STATUS, "property": "children"},
        {"id": ids.SOURCE_BADGE, "property": "children"},
    ],
    "inputs": [{"id": ids.REFRESH_BUTTON, "property": "n_clicks", "value": 1}],
    "changedPropIds": [f"{ids.REFRESH_BUTTON}.n_clicks"],
    "state": [],
}
"""What the page posts when the refresh button is clicked: a background callback."""


def _is_wildcard(spec_id: str) -> bool:
    return spec_id.startswith("{")


def _instances(spec_id: str) -> list[dict[str, str]]:
    """The components a pattern matches once the page is drawn: the screen table, or both
    movers tables."""
    pattern = json.loads(spec_id)
    return [ids.SCREEN_TABLE_ID] if pattern.get("type") == ids.SCREEN_TABLE else TABLES


def body_outputs(output: str) -> Any:
    """The ``outputs`` of a body for a callback's output string: a list when it has several,
    and a list for a pattern (both tables)."""
    outputs: list[Any] = []
    for part in output.strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        if _is_wildcard(component):
            outputs.append([{"id": table, "property": prop} for table in _instances(component)])
        else:
            outputs.append({"id": component, "property": prop})
    return outputs if output.startswith("..") else outputs[0]


def changed_prop(spec: dict[str, Any]) -> str:
    """The ``changedPropIds`` entry when ``spec`` fired (the top table's, for a pattern)."""
    component = dash_id(_instances(spec["id"])[0]) if _is_wildcard(spec["id"]) else spec["id"]
    return f"{component}.{spec['property']}"


def with_value(spec: dict[str, Any], value: Any) -> Any:
    """An input or state of a body; a pattern's (both tables) each get ``value``, or their
    own id for the ``id`` property."""
    if not _is_wildcard(spec["id"]):
        return {**spec, "value": value}
    prop = spec["property"]
    return [
        {"id": table, "property": prop, "value": table if prop == "id" else value}
        for table in _instances(spec["id"])
    ]


def callback_request(
    dependencies: list[dict[str, Any]], output: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The body the browser POSTs to /_dash-update-component for the callback of ``output``."""
    dependency = next(
        d for d in dependencies if output in d["output"] and not d.get("clientside_function")
    )
    inputs = [with_value(spec, values.get(spec["id"])) for spec in dependency["inputs"]]
    state = [with_value(spec, values.get(spec["id"])) for spec in dependency["state"]]
    return {
        "output": dependency["output"],
        "outputs": body_outputs(dependency["output"]),
        "inputs": inputs,
        "changedPropIds": [changed_prop(dependency["inputs"][0])],
        "state": state,
    }
