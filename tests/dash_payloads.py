"""Request bodies of Dash callbacks that several test files post to a real server."""

from __future__ import annotations

from typing import Any

EXPORT_CALLBACK = {
    "output": "movers-grid.exportDataAsCsv",
    "outputs": {"id": "movers-grid", "property": "exportDataAsCsv"},
    "inputs": [{"id": "movers-export", "property": "n_clicks", "value": 1}],
    "changedPropIds": ["movers-export.n_clicks"],
    "state": [],
}
"""The movers CSV-export callback: the smallest real callback a request can run."""


def callback_request(
    dependencies: list[dict[str, Any]], output: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The body the browser POSTs to /_dash-update-component for the callback of ``output``."""
    dependency = next(
        d for d in dependencies if output in d["output"] and not d.get("clientside_function")
    )
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dependency["output"].strip(".").split("...")
    ]
    inputs = [{**spec, "value": values[spec["id"]]} for spec in dependency["inputs"]]
    state = [{**spec, "value": values.get(spec["id"])} for spec in dependency["state"]]
    return {
        "output": dependency["output"],
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        "state": state,
    }
