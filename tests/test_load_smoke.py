"""A small run of the load driver of ``make bench`` against a real gunicorn on loopback.

3 simulated users for about 5 s on the demo market: every request must succeed and the
driver must print its throughput and percentiles. Speed is not asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bench.dash_client import layout_props, matches, parse_output
from bench.load import check_loopback
from tests.servers import ROOT, gunicorn_server

pytestmark = pytest.mark.slow


def test_load_driver_runs_users_against_gunicorn_without_errors() -> None:
    with gunicorn_server({"R2K_SOURCE": "demo"}, workers=1) as url:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load", "--users", "3", "--seconds", "5", "--url", url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    output = done.stdout
    assert done.returncode == 0, output + done.stderr[-2000:]
    assert re.search(r"^errors: 0$", output, re.MULTILINE), output
    assert re.search(r"p50 \d+\.\d+\s+p95 \d+\.\d+\s+p99 \d+\.\d+", output), output
    requests = re.search(r"^requests: (\d+) in [\d.]+ s = [\d.]+ req/s", output, re.MULTILINE)
    assert requests and int(requests.group(1)) > 3, output
    # the users reached the chart and the movers callbacks, not only the page
    assert "price-chart.figure" in output and "movers-rows.data" in output, output


def test_load_driver_refuses_targets_other_than_loopback() -> None:
    check_loopback("http://127.0.0.1:8050")
    check_loopback("http://localhost:8050")
    with pytest.raises(ValueError, match="loopback"):
        check_loopback("http://192.168.1.10:8050")
    with pytest.raises(ValueError, match="loopback"):
        check_loopback("https://example.com")


def test_callback_outputs_are_read_as_the_renderer_names_them() -> None:
    assert parse_output("price-chart.figure") == (("price-chart", "figure"),)
    assert parse_output("..url.search...view-store.data..") == (
        ("url", "search"),
        ("view-store", "data"),
    )


def test_an_all_pattern_matches_every_component_of_its_type_and_only_those() -> None:
    pattern = '{"side":["ALL"],"type":"movers-table"}'
    assert matches(pattern, '{"side":"top","type":"movers-table"}')
    assert matches(pattern, '{"side":"bottom","type":"movers-table"}')
    assert not matches(pattern, '{"side":"top","type":"other"}')
    assert not matches(pattern, "movers-table")
    assert matches("price-chart", "price-chart") and not matches("price-chart", "read-panel")
    tree = {"type": "Div", "namespace": "dash_html_components", "props": {"id": {"b": 1, "a": 2}}}
    assert layout_props(tree) == {('{"a":2,"b":1}', "id"): {"b": 1, "a": 2}}
