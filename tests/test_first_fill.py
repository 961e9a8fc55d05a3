"""The first run fills itself: one fill across processes, its progress in the store's directory.

The fake live source is ``tests.refresh_fakes``' provider over an empty store; the fill runs
for real (refresh, store lock, fill lock), only the clock is injected where times matter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import filelock
import pandas as pd

from hosting.first_fill import (
    DONE,
    FAILED,
    FILL_LOCK,
    FILL_PROGRESS,
    INTERRUPTED,
    RUNNING,
    FillProgress,
    needs_fill,
    read_fill_progress,
    run_first_fill,
    start_first_fill,
)
from market.demo import DemoProvider
from market.sources import DIRECT, LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.refresh_fakes import MEMBERS
from tests.store_fakes import FakeProvider, stored_bars, stored_universe

REPO = Path(__file__).resolve().parent.parent
BATCH = 4


class _Watching(FakeProvider):
    """A FakeProvider that reads the fill's progress file at each request, as a page would."""

    def __init__(self, store: Store, **options) -> None:
        super().__init__(MEMBERS, **options)
        self.store = store
        self.seen: list[FillProgress | None] = []

    def bars(self, tickers, start=None, end=None):
        self.seen.append(read_fill_progress(self.store))
        return super().bars(tickers, start, end)


def _settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path, batch_size=BATCH, history_years=12, universe_years=2)


def _live(provider, store: Store) -> ResolvedSource:
    return ResolvedSource(provider, store, LIVE, "Fake live source")


def test_only_a_live_source_without_a_universe_and_closes_needs_a_fill(tmp_path):
    store = Store(tmp_path / "fake")
    assert needs_fill(_live(FakeProvider(MEMBERS), store))
    assert not needs_fill(ResolvedSource(DemoProvider(), store, DIRECT, "Simulated demo"))
    store.write_universe(FakeProvider(MEMBERS).universe())
    assert needs_fill(_live(FakeProvider(MEMBERS), store)), "a universe without closes"


def test_the_fill_stores_the_universe_and_writes_its_progress_for_every_reader(tmp_path):
    store = Store(tmp_path / "fake")
    provider = _Watching(store)
    source = _live(provider, store)
    times = iter(range(1000, 2000, 10))

    final = run_first_fill(source, _settings(tmp_path), clock=lambda: float(next(times)))

    assert final is not None and final.state == DONE
    assert (final.done, final.total) == (22, 22)
    assert final.message.startswith("fetched 22")
    assert read_fill_progress(store) == final
    assert not needs_fill(source)
    assert list(stored_universe(store)["ticker"]) == MEMBERS
    assert sorted(store.read_closes().columns) == sorted([*MEMBERS, "IDX", "BENCH"])
    today = pd.Timestamp(date.today())
    assert stored_bars(store, "IDX").index[0] <= today - pd.DateOffset(years=12, days=-10)
    assert stored_bars(store, "M03").index[0] >= today - pd.DateOffset(years=2, days=5)
    seen = [p for p in provider.seen if p is not None]
    assert len(seen) == len(provider.seen) == 6  # the index and benchmark, then 20 members in 4s
    assert {p.state for p in seen} == {RUNNING}
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].total == 22 and 0 < seen[-1].done < 22


def test_a_fill_already_running_elsewhere_is_left_to_it(tmp_path):
    store = Store(tmp_path / "fake")
    store.root.mkdir(parents=True)
    provider = FakeProvider(MEMBERS)
    with filelock.FileLock(store.root / FILL_LOCK):
        assert run_first_fill(_live(provider, store), _settings(tmp_path)) is None
    assert provider.calls == []
    assert read_fill_progress(store) is None


def test_no_fill_once_the_universe_is_stored(tmp_path):
    store = Store(tmp_path / "fake")
    source = _live(FakeProvider(MEMBERS), store)
    assert run_first_fill(source, _settings(tmp_path)) is not None
    again = FakeProvider(MEMBERS)
    assert start_first_fill(_live(again, store), _settings(tmp_path)) is None
    assert run_first_fill(_live(again, store), _settings(tmp_path)) is None
    assert again.calls == []


def test_a_fill_left_running_by_a_dead_process_reads_as_interrupted(tmp_path):
    store = Store(tmp_path / "fake")
    store.root.mkdir(parents=True)
    running = FillProgress(RUNNING, 40, 100, 1000.0, 1060.0)
    (store.root / FILL_PROGRESS).write_text(json.dumps(running.__dict__))
    with filelock.FileLock(store.root / FILL_LOCK):
        assert read_fill_progress(store) == running
    assert read_fill_progress(store).state == INTERRUPTED
    (store.root / FILL_PROGRESS).write_text("{not json")
    assert read_fill_progress(store) is None


def test_time_left_follows_the_pace_so_far():
    assert FillProgress(RUNNING, 40, 100, 1000.0, 1060.0).seconds_left() == 90.0
    assert FillProgress(RUNNING, 0, 100, 1000.0, 1060.0).seconds_left() is None
    assert FillProgress(DONE, 100, 100, 1000.0, 1150.0).seconds_left() is None


def test_a_source_that_is_down_ends_the_fill_failed_with_why(tmp_path):
    store = Store(tmp_path / "fake")
    provider = FakeProvider(MEMBERS, unavailable=True, universe_down=True)

    final = run_first_fill(_live(provider, store), _settings(tmp_path))

    assert final is not None and final.state == FAILED
    assert "fake source is down" in final.message
    assert read_fill_progress(store) == final
    assert store.read_universe() is None


def test_an_unexpected_error_is_written_not_raised(tmp_path):
    store = Store(tmp_path / "fake")
    provider = FakeProvider(MEMBERS)
    provider.universe = lambda: 1 / 0  # type: ignore[method-assign]

    final = run_first_fill(_live(provider, store), _settings(tmp_path))

    assert final is not None and final.state == FAILED
    assert final.message == "ZeroDivisionError: division by zero"


_FILL_PROCESS = """
import json, sys
from pathlib import Path
from hosting.first_fill import run_first_fill
from market.sources import LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.refresh_fakes import MEMBERS
from tests.store_fakes import FakeProvider

root = Path(sys.argv[1])
provider = FakeProvider(MEMBERS, delay=0.2)
source = ResolvedSource(provider, Store(root / "fake"), LIVE, "Fake live source")
print("ready", flush=True)
sys.stdin.readline()
final = run_first_fill(source, Settings(cache_dir=root, batch_size=4))
print(json.dumps({"filled": final is not None, "calls": len(provider.calls)}))
"""


def test_two_processes_starting_at_once_fill_once(tmp_path):
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_FILL_PROCESS), str(tmp_path)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:  # both start the fill as close together as they can
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = [json.loads(process.communicate(timeout=60)[0]) for process in processes]

    assert sorted(o["filled"] for o in outcomes) == [False, True]
    assert sorted(o["calls"] for o in outcomes) == [0, 6]
    assert read_fill_progress(Store(tmp_path / "fake")).state == DONE


_GEVENT_FILL = """
import json, sys, time
from pathlib import Path

from gevent import monkey

monkey.patch_all()
import gevent

from hosting.first_fill import read_fill_progress, start_first_fill
from market.sources import LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.refresh_fakes import MEMBERS
from tests.store_fakes import FakeProvider

answered = []  # set by a greenlet of the worker's event loop: another client answered


class Computing(FakeProvider):
    def bars(self, tickers, start=None, end=None):
        deadline = time.monotonic() + 10
        while not answered and time.monotonic() < deadline:
            pass  # pandas-like work that never yields to the event loop
        self.saw_an_answer = bool(answered)
        return super().bars(tickers, start, end)


root = Path(sys.argv[1])
provider = Computing(MEMBERS)
store = Store(root / "fake")
fill = start_first_fill(
    ResolvedSource(provider, store, LIVE, "Fake live source"), Settings(cache_dir=root)
)
gevent.spawn(lambda: (gevent.sleep(0.05), answered.append(True)))
fill.join(timeout=60)
print(json.dumps({"saw": provider.saw_an_answer, "state": read_fill_progress(store).state}))
"""


def test_under_gevent_the_fill_computes_while_the_worker_answers(tmp_path):
    """Under ``r2k serve``'s gevent workers a thread is a greenlet: the fill's work between
    downloads must run in a native thread, or every other client of the worker waits."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_GEVENT_FILL), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"saw": True, "state": DONE}
