"""Refresh: only what is missing, with overlap; failures counted; a dead source changes nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import market.store
from market.provider import SymbolResolution, SymbolResolver
from market.refresh import RefreshProgress, RefreshSummary, refresh, refresh_command
from market.store import Store
from tests.store_fakes import FakeProvider, stored_bars, stored_universe, synthetic_bars

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2025, 6, 4)  # a Wednesday
YEAR_AGO = date(2024, 6, 4)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "fake")


def _snapshot(store: Store) -> dict[str, bytes]:
    return {
        str(p.relative_to(store.root)): p.read_bytes()
        for p in store.root.rglob("*")
        if p.is_file() and p.name != ".refresh.lock"
    }


def _assert_complete(store: Store, ticker: str, start: date, end: date, factor: float = 1.0):
    expected = synthetic_bars(ticker, start, end, factor)
    pd.testing.assert_frame_equal(stored_bars(store, ticker), expected)


def test_first_refresh_fetches_the_history_and_builds_closes(store: Store) -> None:
    provider = FakeProvider()

    summary = refresh(provider, store, ["AAA", "BBB"], today=TODAY, history_years=1)

    assert provider.calls == [(("AAA", "BBB"), YEAR_AGO, TODAY)]
    assert summary == RefreshSummary(fetched=2)
    assert summary.useful
    for ticker in ("AAA", "BBB"):
        _assert_complete(store, ticker, YEAR_AGO, TODAY)
    assert list(store.read_closes().columns) == ["AAA", "BBB"]


def test_incremental_refresh_asks_only_for_the_missing_range_with_overlap(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, "2025-05-23"))
    store.write_bars("BBB", synthetic_bars("BBB", YEAR_AGO, "2025-05-30"))
    provider = FakeProvider()

    summary = refresh(provider, store, ["AAA", "BBB"], today=TODAY, overlap_days=5)

    assert sorted(provider.calls) == [
        (("AAA",), date(2025, 5, 18), TODAY),
        (("BBB",), date(2025, 5, 25), TODAY),
    ]
    assert summary.fetched == 2
    for ticker in ("AAA", "BBB"):
        _assert_complete(store, ticker, YEAR_AGO, TODAY)


def test_fresh_tickers_are_not_fetched(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, "2025-06-06"))  # a Friday
    store.write_bars("BBB", synthetic_bars("BBB", YEAR_AGO, "2025-06-05"))
    provider = FakeProvider()

    summary = refresh(provider, store, ["AAA", "BBB"], today=date(2025, 6, 8))  # Sunday

    assert [call[0] for call in provider.calls] == [("BBB",)]
    assert summary.fresh == 1
    assert summary.fetched == 1


def test_nothing_stale_means_no_call_and_a_useful_summary(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, TODAY))
    provider = FakeProvider()
    before = _snapshot(store)

    summary = refresh(provider, store, ["AAA"], today=TODAY)

    assert provider.calls == []
    assert summary == RefreshSummary(fresh=1)
    assert summary.useful
    assert _snapshot(store) == before


def test_tickers_are_chunked_and_progress_is_reported(store: Store) -> None:
    tickers = [f"T{i}" for i in range(5)]
    provider = FakeProvider(missing=["T3"])
    steps: list[RefreshProgress] = []

    refresh(
        provider, store, tickers, today=TODAY, history_years=1, chunk_size=2, progress=steps.append
    )

    assert [call[0] for call in provider.calls] == [("T0", "T1"), ("T2", "T3"), ("T4",)]
    assert steps[-1] == RefreshProgress(done=5, total=5, failures=1)
    assert [s.done for s in steps] == sorted(s.done for s in steps)
    assert all(s.total == 5 for s in steps)


def test_missing_failed_and_invalid_tickers_are_counted_not_stored(store: Store) -> None:
    provider = FakeProvider(missing=["GONE"], failed={"BAD": "HTTP 500"})

    summary = refresh(provider, store, ["AAA", "GONE", "BAD", "../x"], today=TODAY)

    assert summary.fetched == 1
    assert summary.missing == ("GONE",)
    assert summary.failed["BAD"] == "HTTP 500"
    assert "is not a ticker" in summary.failed["../x"]
    assert store.tickers() == ["AAA"]
    line = summary.describe()
    assert "fetched 1" in line and "missing 1 (GONE)" in line and "failed 2" in line
    assert "\n" not in line


def test_source_unavailable_leaves_the_store_untouched(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, "2025-05-23"))
    store.write_universe(FakeProvider(["AAA"]).universe())
    store.rebuild_closes()
    before = _snapshot(store)
    provider = FakeProvider(["AAA"], unavailable=True, universe_down=True)

    summary = refresh(provider, store, today=TODAY)

    assert _snapshot(store) == before
    assert summary.error == "fake source is down"
    assert not summary.useful
    assert "stopped: fake source is down" in summary.describe()


def test_refresh_command_exits_1_with_a_reason_when_nothing_could_be_fetched(
    store: Store,
) -> None:
    stream = io.StringIO()

    status = refresh_command(FakeProvider(unavailable=True), store, ["AAA"], stream=stream)

    assert status == 1
    last = stream.getvalue().strip().splitlines()[-1]
    assert last == "r2k refresh: nothing could be fetched: fake source is down"
    assert store.tickers() == []


def test_refresh_command_reports_the_summary_and_exits_0(store: Store) -> None:
    stream = io.StringIO()

    status = refresh_command(FakeProvider(missing=["GONE"]), store, ["AAA", "GONE"], stream=stream)

    assert status == 0
    output = stream.getvalue()
    assert "r2k refresh: fetched 1, already fresh 0, missing 1 (GONE), failed 0" in output
    assert "2/2" in output  # the progress bar: tickers done of total
    assert "failures=1" in output


def test_a_source_dying_mid_run_keeps_what_was_stored(store: Store) -> None:
    provider = FakeProvider(unavailable=True, calls_before_down=1)

    summary = refresh(
        provider, store, ["AAA", "BBB", "CCC"], today=TODAY, history_years=1, chunk_size=2
    )

    assert summary.fetched == 2
    assert summary.error == "fake source is down"
    assert summary.useful
    assert store.tickers() == ["AAA", "BBB"]
    assert list(store.read_closes().columns) == ["AAA", "BBB"]


def test_whole_universe_plus_index_and_benchmark(store: Store) -> None:
    provider = FakeProvider(["AAA", "BBB"])

    summary = refresh(provider, store, today=TODAY, history_years=1)

    assert summary.fetched == 4
    assert store.tickers() == ["AAA", "BBB", "BENCH", "IDX"]
    assert list(stored_universe(store)["ticker"]) == ["AAA", "BBB"]


def test_members_get_the_universe_history_and_the_index_the_whole_one(store: Store) -> None:
    provider = FakeProvider(["AAA", "BBB"])

    summary = refresh(provider, store, today=TODAY, history_years=12, universe_years=2)

    assert summary.fetched == 4
    assert sorted(provider.calls) == [
        (("AAA", "BBB"), date(2023, 6, 4), TODAY),
        (("IDX", "BENCH"), date(2013, 6, 4), TODAY),
    ]
    assert stored_bars(store, "AAA").index[0] == pd.Timestamp("2023-06-05")
    assert stored_bars(store, "IDX").index[0] == pd.Timestamp("2013-06-04")


def test_backfill_fetches_whole_a_fresh_ticker_stored_with_a_shorter_history(
    store: Store,
) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", "2023-06-05", TODAY))
    store.write_bars("BBB", synthetic_bars("BBB", "2013-06-10", TODAY))  # within the grace
    provider = FakeProvider()

    assert refresh(provider, store, ["AAA", "BBB"], today=TODAY, history_years=12).fresh == 2
    assert provider.calls == []
    summary = refresh(provider, store, ["AAA", "BBB"], today=TODAY, history_years=12, backfill=True)

    assert provider.calls == [(("AAA",), date(2013, 6, 4), TODAY)]
    assert (summary.fetched, summary.fresh) == (1, 1)
    _assert_complete(store, "AAA", date(2013, 6, 4), TODAY)


def test_a_failed_universe_download_falls_back_to_the_stored_universe(store: Store) -> None:
    store.write_universe(FakeProvider(["AAA", "BBB"]).universe())
    provider = FakeProvider(["ZZZ"], universe_down=True)

    summary = refresh(provider, store, today=TODAY, history_years=1)

    assert store.tickers() == ["AAA", "BBB", "BENCH", "IDX"]
    assert list(stored_universe(store)["ticker"]) == ["AAA", "BBB"]
    assert any("using the stored one" in w for w in summary.warnings)


def test_corrupt_file_is_set_aside_and_fetched_again(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, TODAY))
    store.bars_path("AAA").write_bytes(b"\x89garbage" * 50)
    provider = FakeProvider()

    summary = refresh(provider, store, ["AAA"], today=TODAY, history_years=1)

    assert provider.calls == [(("AAA",), YEAR_AGO, TODAY)]
    assert summary.fetched == 1
    _assert_complete(store, "AAA", YEAR_AGO, TODAY)
    assert any(p.name.startswith("AAA.parquet.corrupt-") for p in store.bars_dir.iterdir())


def test_a_readjusted_history_is_fetched_again_whole(store: Store) -> None:
    for ticker in ("AAA", "BBB"):
        store.write_bars(ticker, synthetic_bars(ticker, YEAR_AGO, "2025-05-30"))
    provider = FakeProvider(factors={"AAA": 0.97})

    summary = refresh(provider, store, ["AAA", "BBB"], today=TODAY, history_years=1)

    assert provider.calls == [
        (("AAA", "BBB"), date(2025, 5, 25), TODAY),
        (("AAA",), YEAR_AGO, TODAY),
    ]
    assert summary.fetched == 2
    _assert_complete(store, "AAA", YEAR_AGO, TODAY, factor=0.97)
    _assert_complete(store, "BBB", YEAR_AGO, TODAY)


def test_a_changed_last_bar_alone_is_not_a_readjustment(store: Store) -> None:
    stored = synthetic_bars("AAA", YEAR_AGO, "2025-05-30")
    stored.iloc[-1, stored.columns.get_loc("close")] *= 1.05  # a partial session, since settled
    store.write_bars("AAA", stored)
    provider = FakeProvider()

    refresh(provider, store, ["AAA"], today=TODAY)

    assert len(provider.calls) == 1
    _assert_complete(store, "AAA", YEAR_AGO, TODAY)


_REFRESH_PROCESS = """
import json, sys
from datetime import date
from pathlib import Path
from market.refresh import refresh
from market.store import Store
from tests.store_fakes import FakeProvider

root, today, count = sys.argv[1], date.fromisoformat(sys.argv[2]), int(sys.argv[3])
tickers = [f"T{i:02d}" for i in range(count)]
summary = refresh(
    FakeProvider(delay=0.05), Store(Path(root)), tickers,
    today=today, history_years=1, chunk_size=3,
)
print(json.dumps({"fetched": summary.fetched, "fresh": summary.fresh, "error": summary.error}))
"""


def test_two_refresh_processes_at_once_leave_a_correct_store(store: Store) -> None:
    count = 24
    days = ["2025-05-28", "2025-06-04"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_REFRESH_PROCESS), str(store.root), day, "24"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for day in days
    ]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in processes]

    assert [p.returncode for p in processes] == [0, 0]
    assert all(out["error"] is None for out in outputs)
    assert all(out["fetched"] + out["fresh"] == count for out in outputs)
    tickers = [f"T{i:02d}" for i in range(count)]
    assert store.tickers() == tickers
    closes = store.read_closes()
    for ticker in tickers:
        bars = stored_bars(store, ticker)
        assert bars.index[-1] == pd.Timestamp(TODAY)
        # The first refresh to run set the start; the later one only appended to it.
        first = bars.index[0].date()
        assert first in (date(2024, 5, 28), YEAR_AGO)
        _assert_complete(store, ticker, first, TODAY)
        pd.testing.assert_series_equal(closes[ticker].dropna(), bars["close"].rename(ticker))


def test_a_refresh_gives_up_when_another_one_holds_the_lock(store: Store) -> None:
    provider = FakeProvider(["AAA"])

    with store.lock():
        summary = refresh(provider, store, today=TODAY, lock_timeout=0.2)

    assert summary.error is not None
    assert "another refresh is running" in summary.error
    assert not summary.useful
    assert provider.calls == []
    assert _snapshot(store) == {}
    assert "another refresh is running" in summary.reason()


class _ResolvingProvider(FakeProvider):
    """A FakeProvider (a SymbolResolver) that knows class shares under their other spelling.

    ``spellings`` maps a universe ticker that comes back missing to the symbol it is found
    under; that symbol may itself be missing (then the ticker stays unresolved).
    """

    def __init__(self, members, *, spellings: dict[str, str], **options) -> None:
        super().__init__(members, **options)
        self.spellings = dict(spellings)
        self.resolve_calls: list[tuple[tuple[str, ...], date | None, date | None]] = []

    def resolve_missing(self, missing, start=None, end=None) -> SymbolResolution:
        self.resolve_calls.append((tuple(missing), start, end))
        alternates = {t: self.spellings[t] for t in missing if t in self.spellings}
        result = self.bars(list(alternates.values()), start, end)
        renamed = {t: alt for t, alt in alternates.items() if alt in result.bars}
        return SymbolResolution(
            bars={alt: result.bars[alt] for alt in renamed.values()},
            renamed=renamed,
            unresolved=tuple(t for t in missing if t not in renamed),
        )


def test_universe_tickers_found_under_another_spelling_are_stored_under_it(store: Store) -> None:
    provider = _ResolvingProvider(
        ["AAA", "MOG-A", "ZZZ-B"],
        spellings={"MOG-A": "MOGA", "ZZZ-B": "ZZZB"},
        missing=["MOG-A", "ZZZ-B", "ZZZB", "BENCH"],
    )

    summary = refresh(provider, store, today=TODAY, history_years=1)

    assert isinstance(provider, SymbolResolver)
    assert provider.resolve_calls == [(("MOG-A", "ZZZ-B"), YEAR_AGO, TODAY)]
    assert "MOG-A" not in summary.missing
    assert sorted(summary.missing) == ["BENCH", "ZZZ-B"]
    assert summary.fetched == 3
    assert store.tickers() == ["AAA", "IDX", "MOGA"]
    _assert_complete(store, "MOGA", YEAR_AGO, TODAY)
    universe = stored_universe(store)
    assert sorted(universe["ticker"]) == ["AAA", "MOGA", "ZZZ-B"]
    moog = universe.set_index("ticker").loc["MOGA"]
    assert moog["name"] == "MOG-A Inc."
    assert sorted(store.read_closes().columns) == ["AAA", "IDX", "MOGA"]


def test_spellings_are_not_resolved_for_tickers_asked_by_name(store: Store) -> None:
    provider = _ResolvingProvider(["MOG-A"], spellings={"MOG-A": "MOGA"}, missing=["MOG-A"])

    summary = refresh(provider, store, ["MOG-A"], today=TODAY, history_years=1)

    assert provider.resolve_calls == []
    assert summary.missing == ("MOG-A",)
    assert store.tickers() == []


MANY = [f"T{i:02d}" for i in range(24)]
"""Enough tickers that a refresh learns what is stored from closes.parquet."""


def _store_many(store: Store, end: str = "2025-05-30") -> None:
    for ticker in MANY:
        store.write_bars(ticker, synthetic_bars(ticker, YEAR_AGO, end))
    store.rebuild_closes()


def test_many_tickers_learn_their_spans_from_closes_but_a_changed_file_from_itself(
    store: Store,
) -> None:
    _store_many(store)
    # Written after closes.parquet was built: its column is stale, so its file must be read.
    store.write_bars("T00", synthetic_bars("T00", "2025-06-02", "2025-06-03"))
    provider = FakeProvider()

    summary = refresh(provider, store, MANY, today=TODAY)

    assert summary.fetched == len(MANY)
    assert provider.calls == [
        (tuple(MANY[1:]), date(2025, 5, 25), TODAY),
        (("T00",), date(2025, 5, 29), TODAY),
    ]
    for ticker in MANY:
        _assert_complete(store, ticker, YEAR_AGO, TODAY)


def test_closes_after_an_incremental_refresh_equal_closes_rebuilt_from_files(
    store: Store,
) -> None:
    _store_many(store)
    provider = FakeProvider(missing=["T03"], factors={"T05": 0.9})

    refresh(provider, store, MANY, today=TODAY)

    refreshed = store.read_closes()
    assert refreshed.index[-1] == pd.Timestamp(TODAY)
    store.closes_path.unlink()
    pd.testing.assert_frame_equal(refreshed, store.read_closes())


def test_a_file_damaged_behind_the_closes_is_fetched_again_whole(store: Store) -> None:
    _store_many(store)
    path = store.bars_path("T07")
    stat = path.stat()
    path.write_bytes(path.read_bytes()[:-4] + b"XXXX")  # same size, no Parquet footer
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    provider = FakeProvider()

    summary = refresh(provider, store, MANY, today=TODAY, history_years=1)

    assert provider.calls == [
        (tuple(MANY), date(2025, 5, 25), TODAY),
        (("T07",), YEAR_AGO, TODAY),
    ]
    assert summary.fetched == len(MANY)
    _assert_complete(store, "T07", YEAR_AGO, TODAY)
    assert any(p.name.startswith("T07.parquet.corrupt-") for p in store.bars_dir.iterdir())


def test_a_write_error_stops_the_run_and_keeps_what_was_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = market.store._write_table

    def full_disk_for_t2(table, path, **kwargs):
        if path.name == "T2.parquet":
            raise OSError("disk full")
        return real(table, path, **kwargs)

    monkeypatch.setattr(market.store, "_write_table", full_disk_for_t2)
    tickers = [f"T{i}" for i in range(6)]

    summary = refresh(FakeProvider(), store, tickers, today=TODAY, history_years=1, chunk_size=2)

    assert summary.error == "could not write the store: disk full"
    assert summary.fetched == 3
    assert store.tickers() == ["T0", "T1", "T3"]
    assert list(store.read_closes().columns) == ["T0", "T1", "T3"]


class _ShapelessProvider(FakeProvider):
    """Answers with dates as text: bars no store should accept."""

    def bars(self, tickers, start=None, end=None):
        result = super().bars(tickers, start, end)
        for bars in result.bars.values():
            bars.index = bars.index.strftime("%Y-%m-%d")
        return result


def test_bars_of_the_wrong_shape_for_a_stored_ticker_are_a_failure(store: Store) -> None:
    store.write_bars("AAA", synthetic_bars("AAA", YEAR_AGO, "2025-05-30"))

    summary = refresh(_ShapelessProvider(), store, ["AAA"], today=TODAY)

    assert "unusable bars" in summary.failed["AAA"]
    assert stored_bars(store, "AAA").index[-1] == pd.Timestamp("2025-05-30")
