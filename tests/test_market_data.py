"""MarketData: direct reads, live fetch-and-store with a refetch interval, cached reads.

Live tests use a recording fake provider and a real Store under tmp_path; ``today`` and the
clock are injected, so intervals and staleness are exact.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import market.data
from market.csv_source import CsvProvider
from market.data import REFETCH_SECONDS, MarketData, UnknownTickerError, normalize_ticker
from market.provider import FetchResult
from market.sources import CACHED, DIRECT, LIVE, ResolvedSource
from market.store import Store
from tests.store_fakes import FakeProvider, synthetic_bars

TODAY = date(2025, 6, 4)  # a Wednesday
HISTORY_START = date(2013, 6, 4)  # refresh's default: 12 years
CSV_FIXTURES = Path(__file__).parent / "data" / "csv"


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class _Today:
    """``date.today`` the test moves by hand."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


class _LaggingProvider(FakeProvider):
    """A FakeProvider whose data ends at ``last``: a source a few sessions behind."""

    def __init__(self, last: date, **options) -> None:
        super().__init__(**options)
        self.last = last

    def bars(self, tickers, start=None, end=None) -> FetchResult:
        return super().bars(tickers, start, min(end or self.last, self.last))


class _ListedLately(FakeProvider):
    """A FakeProvider whose tickers were listed on ``listed``: no history before it."""

    def __init__(self, listed: date, **options) -> None:
        super().__init__(**options)
        self.listed = listed

    def bars(self, tickers, start=None, end=None) -> FetchResult:
        result = super().bars(tickers, start, end)
        listed = pd.Timestamp(self.listed)
        return FetchResult(bars={t: bars.loc[listed:] for t, bars in result.bars.items()})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def _source(provider, store: Store, mode: str) -> ResolvedSource:
    return ResolvedSource(provider, store, mode, f"the {mode} test source")


def _market(provider, store: Store, mode: str = LIVE, today=TODAY, clock=None) -> MarketData:
    return MarketData(
        _source(provider, store, mode),
        today=today if callable(today) else (lambda: today),
        clock=clock or _Clock(),
    )


def _snapshot(store: Store) -> dict[str, bytes]:
    return {
        str(p.relative_to(store.root)): p.read_bytes()
        for p in store.root.rglob("*")
        if p.is_file() and p.name not in (".refresh.lock", ".updated")
    }


# normalize_ticker


@pytest.mark.parametrize("raw", ["../x", "<script>", "", "   ", "a/b", "A" * 16])
def test_normalize_ticker_refuses_what_cannot_be_a_ticker(raw):
    with pytest.raises(UnknownTickerError, match="is not a ticker"):
        normalize_ticker(raw)


@pytest.mark.parametrize(
    ("raw", "ticker"), [(" brk-b ", "BRK-B"), ("^rut", "^RUT"), ("iwm", "IWM")]
)
def test_normalize_ticker_upper_cases_and_strips(raw, ticker):
    assert normalize_ticker(raw) == ticker


# DIRECT


def test_direct_reads_the_provider_and_stores_nothing(store):
    provider = FakeProvider()
    market = _market(provider, store, DIRECT)

    bars = market.daily_bars(" aaa ")

    assert [call[0] for call in provider.calls] == [("AAA",)]
    expected = provider.bars(["AAA"]).bars["AAA"]
    pd.testing.assert_frame_equal(bars, expected)
    assert store.tickers() == []
    assert market.updated_at() is None


def test_direct_unknown_ticker_raises(store):
    market = _market(FakeProvider(missing=["GONE"]), store, DIRECT)

    with pytest.raises(UnknownTickerError, match="no data for GONE"):
        market.daily_bars("GONE")


def test_direct_failed_reason_is_in_the_error(store):
    market = _market(FakeProvider(failed={"BAD": "HTTP 500 from the fake"}), store, DIRECT)

    with pytest.raises(UnknownTickerError, match="HTTP 500 from the fake"):
        market.daily_bars("BAD")


def test_direct_csv_file_that_does_not_parse_says_why(store):
    provider = CsvProvider(CSV_FIXTURES)
    reason = provider.bars(["BAD"]).failed["BAD"]
    market = _market(provider, store, DIRECT)

    with pytest.raises(UnknownTickerError) as caught:
        market.daily_bars("bad")

    assert reason in str(caught.value)
    assert len(market.daily_bars("MOG-A")) > 0


@pytest.mark.parametrize("mode", [DIRECT, LIVE, CACHED])
@pytest.mark.parametrize("raw", ["../x", "<script>", ""])
def test_a_malformed_ticker_is_refused_before_any_provider_or_file(store, mode, raw):
    provider = FakeProvider()
    market = _market(provider, store, mode)

    with pytest.raises(UnknownTickerError):
        market.daily_bars(raw)

    assert provider.calls == []
    assert not store.root.exists()


# LIVE


def test_live_first_use_fetches_and_stores(store):
    provider = FakeProvider()
    market = _market(provider, store)

    bars = market.daily_bars("AAA")

    assert provider.calls == [(("AAA",), HISTORY_START, TODAY)]
    stored = store.read_bars("AAA")
    assert stored is not None
    pd.testing.assert_frame_equal(bars, stored)
    pd.testing.assert_frame_equal(stored, synthetic_bars("AAA", HISTORY_START, TODAY))
    assert market.fetch_problem("AAA") is None


def test_live_fresh_stored_ticker_is_not_fetched(store):
    store.write_bars("AAA", synthetic_bars("AAA", HISTORY_START, TODAY))
    provider = FakeProvider()

    bars = _market(provider, store).daily_bars("AAA")

    assert provider.calls == []
    assert bars.index[-1] == pd.Timestamp(TODAY)


def test_live_member_stored_with_the_universe_history_gets_its_whole_history_once(store):
    store.write_bars("AAA", synthetic_bars("AAA", "2023-06-05", TODAY))  # R2K_UNIVERSE_YEARS=2
    provider = FakeProvider()
    clock = _Clock()
    market = _market(provider, store, clock=clock)

    bars = market.daily_bars("AAA")

    assert provider.calls == [(("AAA",), HISTORY_START, TODAY)]
    pd.testing.assert_frame_equal(bars, synthetic_bars("AAA", HISTORY_START, TODAY))
    clock.now += REFETCH_SECONDS + 1
    market.daily_bars("AAA")
    assert len(provider.calls) == 1


def test_live_young_ticker_is_asked_for_its_whole_history_once_per_process(store):
    store.write_bars("NEW", synthetic_bars("NEW", "2024-09-02", TODAY))
    provider = _ListedLately(listed=date(2024, 9, 2))
    clock = _Clock()
    market = _market(provider, store, clock=clock)

    market.daily_bars("NEW")
    clock.now += REFETCH_SECONDS + 1
    market.daily_bars("NEW")

    assert provider.calls == [(("NEW",), HISTORY_START, TODAY)]


def test_live_stale_ticker_is_asked_again_only_after_the_interval(store):
    provider = _LaggingProvider(last=date(2025, 5, 23))
    clock = _Clock()
    market = _market(provider, store, clock=clock)

    market.daily_bars("AAA")
    clock.now += REFETCH_SECONDS - 1
    still = market.daily_bars("AAA")

    assert len(provider.calls) == 1
    assert still.index[-1] == pd.Timestamp("2025-05-23")

    clock.now += 2
    market.daily_bars("AAA")

    assert len(provider.calls) == 2
    assert provider.calls[1] == (("AAA",), date(2025, 5, 18), date(2025, 5, 23))


def test_live_ticker_gone_stale_with_time_is_refetched_after_the_interval(store):
    provider = FakeProvider()
    clock = _Clock()
    today = _Today(TODAY)
    market = _market(provider, store, today=today, clock=clock)
    market.daily_bars("AAA")

    today.day = TODAY + timedelta(days=7)
    clock.now += 60
    market.daily_bars("AAA")

    assert len(provider.calls) == 1

    clock.now += REFETCH_SECONDS
    bars = market.daily_bars("AAA")

    assert provider.calls[1] == (("AAA",), TODAY - timedelta(days=5), today.day)
    assert bars.index[-1] == pd.Timestamp(today.day)
    pd.testing.assert_frame_equal(bars, synthetic_bars("AAA", HISTORY_START, today.day))


def test_live_page_fetch_does_not_rebuild_the_closes_file(store):
    store.write_bars("AAA", synthetic_bars("AAA", "2025-01-02", TODAY))
    store.rebuild_closes()
    before = store.closes_path.read_bytes()

    _market(FakeProvider(), store).daily_bars("BBB")

    assert store.read_bars("BBB") is not None
    assert store.closes_path.read_bytes() == before
    assert list(pd.read_parquet(store.closes_path).columns) == ["AAA"]


def test_live_page_fetch_does_not_create_a_closes_file(store):
    _market(FakeProvider(), store).daily_bars("AAA")

    assert store.read_bars("AAA") is not None
    assert not store.closes_path.exists()


def test_live_unknown_ticker_raises_and_stores_nothing(store):
    market = _market(FakeProvider(missing=["GONE"]), store)

    with pytest.raises(UnknownTickerError, match="GONE"):
        market.daily_bars("GONE")

    assert store.tickers() == []


def test_live_failed_reason_is_in_the_error(store):
    market = _market(FakeProvider(failed={"BAD": "HTTP 500 from the fake"}), store)

    with pytest.raises(UnknownTickerError, match="HTTP 500 from the fake"):
        market.daily_bars("BAD")

    assert market.fetch_problem("BAD") == "HTTP 500 from the fake"


def test_live_source_down_keeps_the_stale_copy_and_says_why(store):
    store.write_bars("AAA", synthetic_bars("AAA", "2025-01-02", "2025-05-23"))
    market = _market(FakeProvider(unavailable=True), store)

    bars = market.daily_bars("AAA")

    assert bars.index[-1] == pd.Timestamp("2025-05-23")
    assert market.fetch_problem("AAA") == "fake source is down"


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> float:
    """FETCH_LOCK_SECONDS shortened, so that tests waiting it out stay quick."""
    monkeypatch.setattr(market.data, "FETCH_LOCK_SECONDS", 0.3)
    return 0.3


def test_live_fetch_gives_up_on_a_held_lock_and_returns_the_stored_bars(store, short_lock_wait):
    stale = synthetic_bars("AAA", "2025-01-02", "2025-05-23")
    store.write_bars("AAA", stale)
    provider = FakeProvider()
    market = _market(provider, store)

    with store.lock():
        started = time.monotonic()
        bars = market.daily_bars("AAA")
        waited = time.monotonic() - started

    assert provider.calls == []
    pd.testing.assert_frame_equal(bars, stale)
    assert waited >= short_lock_wait
    problem = market.fetch_problem("AAA")
    assert problem is not None and "another refresh is running" in problem


def test_live_fetch_on_a_held_lock_with_nothing_stored_says_a_refresh_runs(store, short_lock_wait):
    provider = FakeProvider()
    market = _market(provider, store)

    with store.lock(), pytest.raises(UnknownTickerError, match="another refresh is running"):
        market.daily_bars("AAA")

    assert provider.calls == []
    assert store.tickers() == []


# CACHED


def test_cached_reads_the_store_and_never_asks_the_provider(store):
    stale = synthetic_bars("AAA", "2025-01-02", "2025-05-23")
    store.write_bars("AAA", stale)
    provider = FakeProvider()
    market = _market(provider, store, CACHED)

    pd.testing.assert_frame_equal(market.daily_bars("aaa"), stale)
    with pytest.raises(UnknownTickerError, match="no data for BBB"):
        market.daily_bars("BBB")

    assert provider.calls == []
    assert store.tickers() == ["AAA"]
    assert market.fetch_problem("AAA") is None
