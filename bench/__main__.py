"""``python -m bench [--quick]``: every figure, one table on stdout, the same as JSON.

Figures run one after the other (in-process ones first, then those that need a server);
a figure that cannot be measured (no browser, a crash) gets a row saying why and the others
still run. Progress goes to stderr. Nothing here fails on timing: the exit status is 0
unless the run itself broke.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    chart_update,
    control_change,
    csv_files,
    first_paint,
    hostile,
    internals,
    memory,
    movers_rank,
    read,
    store,
    throughput,
    universe_fetch,
)
from bench.report import Row, failed_row, issue_rows, render_table, write_json
from bench.server import ROOT, demo_server
from settings import Settings

RESULTS = ROOT / "bench" / "results" / "latest.json"
USERS = 20


def _run(
    rows: list[Row], figure: str, measure: Callable[[], list[Row]], only: set[int] | None = None
) -> None:
    if only is not None and _number(figure) not in only:
        return
    print(f"bench: {figure} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        rows.extend(measure())
    except Exception as error:  # one broken figure must not hide the others
        rows.append(failed_row(figure, error))
    print(f"bench: {figure} done in {time.monotonic() - started:.0f} s", file=sys.stderr)


def _number(figure: str) -> int:
    """A figure's number: "8 Throughput" -> 8."""
    return int(figure.split()[0])


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def run_all(quick: bool, directory: Path, only: set[int] | None = None) -> list[Row]:
    """Every figure's rows (or those of the figures numbered in ``only``), in figure order."""
    load_seconds = 30.0 if quick else 60.0
    rows: list[Row] = []
    _run(
        rows,
        chart_update.FIGURE,
        lambda: chart_update.measure(directory / "chart", 7 if quick else 15),
        only,
    )
    _run(rows, movers_rank.FIGURE, movers_rank.measure, only)
    _run(rows, internals.FIGURE, lambda: internals.measure(3 if quick else 7), only)
    _run(rows, read.FIGURE, read.measure, only)
    _run(rows, store.FIGURE, store.measure, only)
    _run(rows, universe_fetch.FIGURE, lambda: universe_fetch.measure(40 if quick else 100), only)
    _run(rows, csv_files.FIGURE, csv_files.measure, only)
    served = {first_paint.FIGURE, control_change.FIGURE, throughput.FIGURE, memory.FIGURE}
    if only is None or only & {_number(figure) for figure in served}:
        rows.extend(_served_figures(quick, directory, only, load_seconds))
    _run(
        rows, hostile.FIGURE, lambda: hostile.measure(directory / "hostile", load_seconds / 2), only
    )
    return sorted(rows, key=lambda row: _number(row.figure))


def _served_figures(
    quick: bool, directory: Path, only: set[int] | None, load_seconds: float
) -> list[Row]:
    """The figures measured against gunicorn serving the demo market (2 workers, then 1)."""
    rows: list[Row] = []
    workers = Settings(source="demo").workers
    two_workers: dict[str, float] = {}
    with demo_server(workers, directory / "server") as server:
        two_workers["booted"] = memory.server_pss(server)
        services = chart_update.demo_services(directory / "paint")
        _run(
            rows,
            first_paint.FIGURE,
            lambda: first_paint.measure(server.url, services, 3 if quick else 5),
            only,
        )
        _run(
            rows,
            control_change.FIGURE,
            lambda: control_change.measure(server.url, 4 if quick else 8),
            only,
        )
        memory.load_page(server)
        two_workers["loaded"] = memory.server_pss(server)
        _run(
            rows,
            throughput.FIGURE,
            lambda: throughput.measure(server.url, USERS, load_seconds, load_seconds / 4),
            only,
        )
    if only is not None and _number(memory.FIGURE) not in only:
        return rows
    with demo_server(1, directory / "server-1") as server:
        _run(rows, memory.FIGURE, lambda: memory.measure(server, 300 if quick else 1000), only)
    one_worker = [r.value for r in rows if r.metric == memory.ONE_WORKER_LOADED]
    if workers == 2 and one_worker:
        rows.extend(
            memory.two_worker_rows(
                two_workers["booted"], two_workers["loaded"], one_worker[0] * memory.MB
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="30 s of load, fewer repetitions (about 4 minutes)"
    )
    parser.add_argument(
        "--only",
        type=int,
        nargs="+",
        metavar="N",
        help="measure only the figures of these numbers (e.g. --only 7 8: memory, throughput)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    started = time.monotonic()
    meta: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "only": args.only,
        "commit": _git_commit(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="r2k-bench-") as directory:
        rows = run_all(args.quick, Path(directory), set(args.only) if args.only else None)
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["load_average_at_end"] = os.getloadavg()[0]
    print(render_table(rows))
    print(
        f"\n{len(rows)} rows in {meta['seconds']:.0f} s on {meta['cpus']} CPUs "
        f"(load average {meta['load_average_at_start']:.1f} at start, "
        f"{meta['load_average_at_end']:.1f} at the end); "
        "ratio = measured / floor, both measured in this run."
    )
    print("\nIssue 15's table, from the rows above:\n" + render_table(issue_rows(rows)))
    write_json(rows, args.output, meta)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
