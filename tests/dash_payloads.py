"""Request bodies of Dash callbacks that several test files post to a real server."""

EXPORT_CALLBACK = {
    "output": "movers-grid.exportDataAsCsv",
    "outputs": {"id": "movers-grid", "property": "exportDataAsCsv"},
    "inputs": [{"id": "movers-export", "property": "n_clicks", "value": 1}],
    "changedPropIds": ["movers-export.n_clicks"],
    "state": [],
}
"""The movers CSV-export callback: the smallest real callback a request can run."""
