"""The rows of the benchmark table, printed as one table and written as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

COUNT = "count"
"""The unit of a row that counts things (errors): printed as a whole number, no unit."""


@dataclass(frozen=True)
class Row:
    """One measured figure beside its floor (the bare minimum doing the same work).

    ``goal_ratio`` is met when value / floor is at most it; ``goal_value`` when the value is
    at most it; ``goal_min`` when the value is at least it (a rate). ``met`` is None when the
    row has no goal.
    """

    figure: str
    metric: str
    value: float
    unit: str
    floor: float | None = None
    goal_ratio: float | None = None
    goal_value: float | None = None
    note: str = ""
    goal_min: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0 or math.isnan(self.value):
            return None
        return self.value / self.floor

    @property
    def goal(self) -> str:
        if self.goal_ratio is not None:
            return f"<= {self.goal_ratio:g}x"
        if self.goal_value is not None:
            return f"<= {_amount(self.goal_value, self.unit)}"
        if self.goal_min is not None:
            return f">= {_amount(self.goal_min, self.unit)}"
        return ""

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if self.goal_ratio is not None:
            return None if ratio is None else ratio <= self.goal_ratio
        if self.goal_value is not None:
            return None if math.isnan(self.value) else self.value <= self.goal_value
        if self.goal_min is not None:
            return None if math.isnan(self.value) else self.value >= self.goal_min
        return None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "goal": self.goal, "met": self.met}


def failed_row(figure: str, error: BaseException) -> Row:
    """The row of a figure that could not be measured (a missing browser, a crash)."""
    message = f"{type(error).__name__}: {error}".splitlines()[0][:160]
    return Row(figure, "not measured", math.nan, "", note=message)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == COUNT and not math.isnan(value):
        return f"{value:,.0f}"
    return f"{_number(value)} {unit}".strip()


def _cells(row: Row) -> list[str]:
    ratio = row.ratio
    met = {True: "yes", False: "NO", None: ""}[row.met]
    return [
        row.figure,
        row.metric,
        _amount(row.value, row.unit),
        _amount(row.floor, row.unit),
        f"{ratio:.2f}x" if ratio is not None else "",
        row.goal,
        met,
        row.note,
    ]


HEADER = ("figure", "metric", "measured", "floor", "ratio", "goal", "met", "note")


def render_table(rows: list[Row]) -> str:
    """A plain-text table, one line per row, columns aligned."""
    lines = [list(HEADER), *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) - 1)]
    rendered = []
    for number, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        rendered.append("  ".join([*cells, line[-1]]).rstrip())
        if number == 0:
            rendered.append("  ".join("-" * width for width in widths) + "  ----")
    return "\n".join(rendered)


ISSUE_15_ROWS: tuple[tuple[str, str], ...] = (
    ("2 First paint", "first visit (cache off)"),
    ("2 First paint", "return visit (cache on)"),
    ("8 Throughput", "requests/s"),
    ("8 Throughput", "latency p95"),
    ("8 Throughput", "errors"),
    ("7 Memory", "PSS master + 2 workers, booted"),
    ("7 Memory", "PSS master + 2 workers, universe loaded"),
    ("7 Memory", "PSS of the second worker"),
    ("7 Memory", "PSS master + 1 worker after"),
    ("11 CSV files", "first page, cold"),
    ("11 CSV files", "files read by that re-import"),
)
"""The rows of issue 15's table, by figure and the start of their metric's name."""


def issue_rows(rows: list[Row]) -> list[Row]:
    """Issue 15's rows out of ``rows``; one saying "not measured" for each that is missing."""
    picked = []
    for figure, metric in ISSUE_15_ROWS:
        found = [r for r in rows if r.figure == figure and r.metric.startswith(metric)]
        picked.extend(found or [Row(figure, metric, math.nan, "", note="not measured in this run")])
    return picked


def write_json(rows: list[Row], path: Path, meta: dict[str, Any]) -> None:
    """The same rows as JSON (NaN written as null), with how and where they were measured."""
    document = {"meta": meta, "rows": [_nan_to_none(row.to_dict()) for row in rows]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _nan_to_none(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in values.items()
    }
