"""The first fill through the real yfinance, over the fake Yahoo at its HTTP seam.

yfinance's cookie, crumb, timezone and chart code run for real against ``bench.fake_yahoo``
(no network); the holdings file is the test fixture. The fill stores the constituents with
``R2K_UNIVERSE_YEARS`` of history and the index with ``R2K_HISTORY_YEARS``, and asks Yahoo
for several times fewer bytes than a fill with the index's history for everyone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bench.fake_yahoo import FakeYahoo, daily_history, serving
from hosting.first_fill import DONE, read_fill_progress, run_first_fill
from market.sources import LIVE, ResolvedSource
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings
from tests.store_fakes import stored_bars, stored_universe

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

HOLDINGS = Path(__file__).parent / "data" / "IWM_holdings.csv"
FIRST_SESSION = "2010-01-04"


def _provider(settings: Settings) -> YahooProvider:
    return YahooProvider(
        settings, fetch_holdings=lambda _url: HOLDINGS.read_bytes(), probe=lambda: True
    )


def _fake(tickers: list[str]) -> FakeYahoo:
    sessions = len(pd.bdate_range(FIRST_SESSION, date.today()))
    fake = FakeYahoo()
    for number, ticker in enumerate(tickers):
        fake.add(ticker, daily_history(FIRST_SESSION, sessions, base=10.0 + number, step=0.01))
    return fake


def _fill(tmp_path: Path, universe_years: int) -> tuple[Store, FakeYahoo]:
    settings = Settings(
        cache_dir=tmp_path,
        requests_per_second=1000.0,
        batch_size=10,
        history_years=12,
        universe_years=universe_years,
    )
    provider = _provider(settings)
    members = [str(t) for t in provider.universe()["ticker"]]
    store = Store(tmp_path / "yahoo")
    with serving(_fake(["IWM", "SPY", *members])) as fake:
        final = run_first_fill(ResolvedSource(provider, store, LIVE, "Yahoo Finance"), settings)
    assert final is not None and final.state == DONE, final
    assert read_fill_progress(store) == final
    assert (final.done, final.total) == (len(members) + 2, len(members) + 2)
    assert list(stored_universe(store)["ticker"]) == members
    return store, fake


def test_a_first_fill_through_yfinance_stores_two_years_of_constituents(tmp_path):
    store, fake = _fill(tmp_path / "two", universe_years=2)
    today = pd.Timestamp(date.today())
    member = str(stored_universe(store)["ticker"].iloc[0])
    assert today - pd.DateOffset(years=2) <= stored_bars(store, member).index[0]
    assert stored_bars(store, member).index[0] <= today - pd.DateOffset(years=2, days=-10)
    assert stored_bars(store, "IWM").index[0] <= today - pd.DateOffset(years=12, days=-10)
    assert member in store.read_closes().columns

    _, whole = _fill(tmp_path / "twelve", universe_years=12)
    assert fake.bytes * 3 < whole.bytes, (fake.bytes, whole.bytes)
