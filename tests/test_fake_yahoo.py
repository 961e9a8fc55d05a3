"""The fake Yahoo answers the real yfinance as Yahoo does; no network."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yfinance
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import DNSError, HTTPError, Timeout
from yfinance.exceptions import (
    YFDataException,
    YFPricesMissingError,
    YFRateLimitError,
    YFTzMissingError,
)

from bench.fake_yahoo import (
    BAD_GATEWAY,
    CHART_HOST,
    COOKIE_HOST,
    DNS,
    MISSING,
    RATE_LIMIT,
    REFUSED,
    TIMEOUT,
    FakeYahoo,
    daily_history,
    serving,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with serving(FakeYahoo()) as fake:
        yfinance.config.debug.hide_exceptions = False
        yield fake
    yfinance.config.debug.hide_exceptions = True


def _history(ticker: str, end: str = "2024-02-01"):
    return yfinance.Ticker(ticker).history(
        start="2024-01-01", end=end, auto_adjust=True, actions=False, timeout=1
    )


def test_yfinance_reads_the_daily_rows_stamped_at_the_session_open(fake):
    fake.add("AAA", daily_history("2024-01-02", 5))

    history = _history("AAA")

    assert history["Close"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert [d.strftime("%Y-%m-%d") for d in history.index] == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
        "2024-01-08",
    ]
    assert str(history.index.tz) == "America/New_York"


def test_requests_and_bytes_are_counted_per_host(fake):
    fake.add("AAA", daily_history("2024-01-02", 5))

    _history("AAA")

    assert fake.requests_to(COOKIE_HOST) == 1  # the cookie is kept after the first time
    assert fake.requests_to(CHART_HOST) == 2  # the timezone, then the bars
    assert fake.requests == len(fake.log) and fake.bytes > 1000


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        (DNS, DNSError, 6),
        (REFUSED, CurlConnectionError, 7),
        (TIMEOUT, Timeout, 28),
        (RATE_LIMIT, YFRateLimitError, None),
        # the timezone request reads the page as JSON; the bars request sees "be right back"
        (BAD_GATEWAY, (json.JSONDecodeError, YFDataException), None),
    ],
)
def test_each_fault_reaches_yfinance_as_yahoo_would_send_it(fake, fault, error, code):
    fake.add("AAA", daily_history("2024-01-02", 5))
    fake.faults["AAA"] = fault

    with pytest.raises(error) as raised:
        _history("AAA")
    if code is not None:
        assert raised.value.code == code


def test_an_unknown_ticker_is_a_404_that_yfinance_reports_as_missing(fake):
    # The first unknown tickers of a process fail in yfinance's timezone fallback (a 404
    # of quoteSummary); later ones as missing prices. Both are Yahoo saying "no data".
    fake.faults["AAA"] = MISSING
    with pytest.raises(HTTPError) as first:
        _history("AAA")
    assert first.value.response.status_code == 404
    for ticker in ("BBB", "CCC"):
        with pytest.raises((HTTPError, YFTzMissingError)):
            _history(ticker)
    with pytest.raises((YFTzMissingError, YFPricesMissingError)):
        _history("DDD")


def test_a_fault_can_answer_only_the_first_requests(fake):
    fake.add("AAA", daily_history("2024-01-02", 5))
    fake.faults["AAA"] = DNS
    fake.fault_times["AAA"] = 1

    with pytest.raises(DNSError):
        _history("AAA")
    assert _history("AAA", end="2024-02-02")["Close"].iloc[-1] == 104.0
