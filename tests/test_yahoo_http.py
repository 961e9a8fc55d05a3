"""The Yahoo provider running the real yfinance over a fake Yahoo at the HTTP seam; no network.

Failures are failures: only Yahoo saying "no data" makes a ticker missing; a dead network, a
timeout, an error page or a rate limit beyond the retries fails it with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
import yfinance

from bench.fake_yahoo import (
    BAD_GATEWAY,
    CHART_HOST,
    COOKIE_HOST,
    DNS,
    HANG,
    MISSING,
    RATE_LIMIT,
    REFUSED,
    TIMEOUT,
    UNAVAILABLE,
    FakeYahoo,
    daily_history,
    serving,
)
from market.bars import validate_bars
from market.provider import SourceUnavailableError
from market.yahoo import BACKOFF_SECONDS, YahooProvider
from settings import Settings
from tests.yahoo_fakes import FakeClock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

START, END = date(2024, 1, 1), date(2024, 1, 31)


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with serving(FakeYahoo()) as fake:
        for number, ticker in enumerate(("AAA", "BBB", "CCC", "DDD")):
            fake.add(ticker, daily_history("2024-01-02", 5, base=100.0 * (number + 1)))
        yield fake
    yfinance.config.debug.hide_exceptions = True


def _provider(**overrides) -> tuple[YahooProvider, FakeClock]:
    values = {"source": "yahoo", "requests_per_second": 1.0, "max_retries": 2, **overrides}
    clock = FakeClock()
    provider = YahooProvider(Settings(**values), sleep=clock.sleep, probe=lambda: True, clock=clock)
    return provider, clock


def test_bars_come_back_per_ticker_as_session_dates(fake):
    provider, _ = _provider()

    result = provider.bars(["aaa", "BBB"], START, END)

    assert set(result.bars) == {"AAA", "BBB"} and result.missing == () and result.failed == {}
    aaa = validate_bars(result.bars["AAA"])
    assert aaa.index[0] == pd.Timestamp("2024-01-02") and aaa.index.tz is None
    assert aaa["close"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert result.bars["BBB"]["close"].iloc[0] == 200.0


def test_a_ticker_yahoo_has_no_data_for_is_missing(fake):
    fake.faults["ZZZ"] = MISSING
    provider, _ = _provider()

    result = provider.bars(["AAA", "ZZZ", "YYY"], START, END)

    assert list(result.bars) == ["AAA"]
    assert sorted(result.missing) == ["YYY", "ZZZ"] and result.failed == {}


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (REFUSED, "Yahoo did not answer: connection refused"),
        (TIMEOUT, "Yahoo did not answer: timed out"),
        (BAD_GATEWAY, "error page"),
        (UNAVAILABLE, "error page"),
    ],
)
def test_a_ticker_without_a_usable_answer_is_failed_not_missing(fake, fault, reason):
    fake.faults["BBB"] = fault
    provider, _ = _provider()

    result = provider.bars(["AAA", "BBB"], START, END)

    assert list(result.bars) == ["AAA"] and result.missing == ()
    assert reason in result.failed["BBB"]


@pytest.mark.parametrize("fault", [DNS, REFUSED, TIMEOUT])
def test_a_dead_network_after_the_probe_means_yahoo_did_not_answer(fake, fault):
    fake.faults[CHART_HOST] = fault
    provider, _ = _provider(batch_size=2)

    with pytest.raises(SourceUnavailableError, match="Yahoo Finance did not answer"):
        provider.bars(["AAA", "BBB", "CCC"], START, END)


def test_a_rate_limit_retries_only_the_refused_tickers_and_keeps_what_arrived(fake):
    fake.faults["BBB"] = RATE_LIMIT
    fake.fault_times["BBB"] = 2  # the first answer and yfinance's own second try
    provider, clock = _provider()

    result = provider.bars(["AAA", "BBB", "CCC"], START, END)

    assert sorted(result.bars) == ["AAA", "BBB", "CCC"] and result.failed == {}
    assert clock.sleeps == [BACKOFF_SECONDS]
    charts = [path for host, path in fake.log if host == CHART_HOST]
    assert charts.count("/v8/finance/chart/AAA") == 2  # its timezone, then its bars: once
    assert result.requests == fake.requests


def test_a_rate_limit_beyond_the_retries_fails_only_those_tickers(fake):
    fake.faults["BBB"] = RATE_LIMIT
    provider, clock = _provider(max_retries=1, batch_size=3)

    result = provider.bars(["AAA", "BBB", "CCC", "DDD"], START, END)

    assert sorted(result.bars) == ["AAA", "CCC"]
    assert result.failed["BBB"] == "rate limited by Yahoo after 1 retries"
    assert result.failed["DDD"] == "not asked: Yahoo was rate limiting"
    assert clock.sleeps == [BACKOFF_SECONDS]


def test_a_rate_limit_is_seen_with_yfinance_debug_logging_on(fake):
    fake.faults["AAA"] = RATE_LIMIT
    logger = logging.getLogger("yfinance")
    level = logger.level
    yfinance.enable_debug_mode()
    try:
        provider, _ = _provider(max_retries=0)
        result = provider.bars(["AAA"], START, END)
    finally:
        logger.setLevel(level)
    assert result.failed["AAA"].startswith("rate limited by Yahoo")


def test_the_result_counts_the_http_requests_it_took(fake):
    provider, _ = _provider()

    first = provider.bars(["AAA", "BBB"], START, END)
    asked = fake.requests
    second = provider.bars(["CCC"], START, END)

    assert first.requests == asked >= 5  # cookie, crumb, and per ticker timezone and bars
    assert second.requests == fake.requests - asked == 2


# --- the hosts yfinance uses ----------------------------------------------------------------


def test_the_probe_asks_the_host_yfinance_gets_bars_from():
    assert Settings().probe_address == "query2.finance.yahoo.com:443"


def test_a_cookie_host_that_never_answers_fails_the_fetch_with_one_line(fake):
    fake.faults[COOKIE_HOST] = HANG
    provider, _ = _provider(probe_timeout=0.2, fetch_deadline=5.0)

    with pytest.raises(SourceUnavailableError) as raised:
        provider.bars(["AAA"], START, END)

    assert str(raised.value) == "Yahoo's cookie host fc.yahoo.com did not answer within 0.2 s"
    assert fake.requests_to(CHART_HOST) == 0  # no request was left waiting on yfinance's lock


def test_after_a_hanging_cookie_host_answers_again_the_next_fetch_works(fake):
    fake.faults[COOKIE_HOST] = HANG
    provider, _ = _provider(probe_timeout=0.2, fetch_deadline=5.0)
    with pytest.raises(SourceUnavailableError):
        provider.bars(["AAA"], START, END)

    del fake.faults[COOKIE_HOST]
    result = provider.bars(["AAA"], START, END)

    assert list(result.bars) == ["AAA"]


def test_a_blocked_cookie_host_is_no_reason_to_fail(fake):
    fake.faults[COOKIE_HOST] = DNS  # as behind an ad-blocking DNS: yfinance goes without
    provider, _ = _provider()

    result = provider.bars(["AAA", "BBB"], START, END)

    assert sorted(result.bars) == ["AAA", "BBB"]


def test_the_cookie_host_is_asked_only_while_yfinance_has_no_crumb(fake):
    provider, _ = _provider()

    provider.bars(["AAA"], START, END)
    asked = fake.requests_to(COOKIE_HOST)
    provider.bars(["BBB"], START, END)

    assert fake.requests_to(COOKIE_HOST) == asked
