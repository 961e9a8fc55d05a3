"""The bench table says plainly whether a figure met its goal, rates included."""

from __future__ import annotations

import math

from bench.report import Row, render_table


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
