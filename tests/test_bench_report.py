"""The bench table says plainly whether a figure met its goal, rates included."""

from __future__ import annotations

import math

import bench.__main__ as bench_main
from bench.report import ISSUE_15_ROWS, Row, issue_rows, render_table


def test_a_rate_goal_is_met_at_or_above_it_and_said_otherwise():
    fast = Row("8 Throughput", "requests/s", 151.0, "req/s", goal_min=150.0)
    slow = Row("8 Throughput", "requests/s", 90.0, "req/s", goal_min=150.0)
    unmeasured = Row("8 Throughput", "requests/s", math.nan, "req/s", goal_min=150.0)
    assert (fast.met, slow.met, unmeasured.met) == (True, False, None)
    assert fast.goal == ">= 150 req/s"
    lines = render_table([fast, slow]).splitlines()
    assert "yes" in lines[2] and "NO" in lines[3]


def test_a_limit_goal_is_met_at_or_below_it():
    assert Row("7 Memory", "PSS", 487.0, "MB", goal_value=500.0).met is True
    assert Row("7 Memory", "PSS", 570.0, "MB", goal_value=500.0).met is False


def test_the_issue_table_has_every_row_of_issue_15_and_names_the_missing_ones():
    measured = [
        Row("8 Throughput", "requests/s", 120.0, "req/s", 240.0, goal_min=150.0),
        Row("7 Memory", "PSS master + 1 worker after 1,000 requests", 330.0, "MB", 320.0, 1.1),
        Row("6 Store", "read all closes", 140.0, "ms"),
    ]

    rows = issue_rows(measured)

    assert len(rows) == len(ISSUE_15_ROWS)
    for row, (figure, metric) in zip(rows, ISSUE_15_ROWS, strict=True):
        assert row.figure == figure and row.metric.startswith(metric)
    assert rows[2] is measured[0] and rows[8] is measured[1]
    missing = [r for r in rows if r.note == "not measured in this run"]
    assert len(missing) == len(ISSUE_15_ROWS) - 2
    table = render_table(rows)
    assert "NO" in table and "yes" in table and "read all closes" not in table


def test_only_the_figures_asked_for_are_measured(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(bench_main, "demo_server", lambda *args: started.append(args))

    assert bench_main.run_all(True, tmp_path, only={99}) == []
    assert started == []
