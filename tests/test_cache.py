"""The shared result cache: on files, on a real Redis, down, and behind a real gunicorn."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import redis
from flask_caching.backends import RedisCache

from app import create_app
from callbacks.services import Services
from hosting.cache import (
    REDIS_CLIENT_NAME,
    RESULT_CODE,
    NoCache,
    SharedResultCache,
    code_version,
    data_version,
    result_cache,
    result_key,
)
from market.data import REFETCH_SECONDS, MarketData
from market.sources import CACHED, LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.dash_payloads import callback_request
from tests.servers import demo_site_on_redis, redis_server, unreachable_redis_url
from tests.store_fakes import FakeProvider, synthetic_bars


class Counter:
    """A compute function that says how often it ran."""

    def __init__(self, value: Any = "result") -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


def chart_request(dependencies: list[dict[str, Any]], query: str) -> dict[str, Any]:
    """The chart callback's request for ``query`` in the light theme."""
    values = {"chart-view": query, "theme-switch": False}
    return callback_request(dependencies, "price-chart.figure", values)


def test_file_cache_returns_the_stored_value_without_computing_again(tmp_path: Path) -> None:
    cache = result_cache(Settings(cache_dir=tmp_path))
    compute = Counter({"figure": [1.0, 2.0]})
    first = cache.get_or_compute("chart:a", compute)
    second = cache.get_or_compute("chart:a", compute)
    assert first == second == {"figure": [1.0, 2.0]}
    assert compute.calls == 1
    assert (tmp_path / "results").is_dir()


def test_two_caches_on_one_directory_share_entries(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    worker_a, worker_b = result_cache(settings), result_cache(settings)
    worker_a.get_or_compute("read:x", Counter("from a"))
    compute_b = Counter("from b")
    assert worker_b.get_or_compute("read:x", compute_b) == "from a"
    assert compute_b.calls == 0


def test_keys_are_short_and_change_with_every_part() -> None:
    long_query = "?ticker=IWM&" + "ind=sma50,macd&" * 200
    key = result_key("chart", "Yahoo Finance", None, long_query, False)
    assert key.startswith("chart:") and len(key) < 40
    assert key == result_key("chart", "Yahoo Finance", None, long_query, False)
    assert key != result_key("chart", "Yahoo Finance", None, long_query, True)
    assert key != result_key("chart", "Yahoo Finance", "2025-01-02", long_query, False)


def test_data_version_moves_with_the_store_and_with_a_live_source_refetch_period(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "store")
    cached = MarketData(ResolvedSource(FakeProvider(), store, CACHED, "stored"))
    live = MarketData(ResolvedSource(FakeProvider(), store, LIVE, "live"))
    assert data_version(cached, now=lambda: 0.0) == data_version(cached, now=lambda: 1e9)
    assert data_version(live, now=lambda: 0.0) == data_version(live, now=lambda: 10.0)
    assert data_version(live, now=lambda: 0.0) != data_version(live, now=lambda: REFETCH_SECONDS)
    before = data_version(cached)
    store.write_bars("IDX", synthetic_bars("IDX", "2024-01-01", "2024-06-28"))
    assert data_version(cached) != before


def test_the_code_version_changes_with_the_code_that_makes_results(tmp_path: Path) -> None:
    for package in RESULT_CODE:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "charts" / "price.py").write_text("TITLE = 'a'\n")
    (tmp_path / "tests").mkdir()
    before = code_version(tmp_path)

    (tmp_path / "tests" / "test_x.py").write_text("changed = True\n")
    assert code_version(tmp_path) == before, "tests do not make results"
    (tmp_path / "charts" / "price.py").write_text("TITLE = 'b'\n")
    assert code_version(tmp_path) != before
    (tmp_path / "charts" / "price.py").write_text("TITLE = 'a'\n")
    assert code_version(tmp_path) == before


def test_zero_timeout_turns_caching_off(tmp_path: Path) -> None:
    cache = result_cache(Settings(cache_dir=tmp_path, cache_timeout=0))
    assert isinstance(cache, NoCache)


def test_a_value_that_cannot_be_pickled_is_still_served(tmp_path: Path) -> None:
    cache = result_cache(Settings(cache_dir=tmp_path))
    lock = threading.Lock()
    assert cache.get_or_compute("odd:1", lambda: lock) is lock


def test_a_changed_data_version_recomputes_the_chart(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.write_bars("IDX", synthetic_bars("IDX", "2018-01-01", "2024-12-31"))
    store.rebuild_closes()  # as a refresh does; reading closes would rebuild (and touch) it
    source = ResolvedSource(FakeProvider(), store, CACHED, "test store")
    settings = Settings(cache_dir=tmp_path)
    cache = result_cache(settings)
    assert isinstance(cache, SharedResultCache)
    app = create_app(settings, Services(settings, MarketData(source), cache=cache))
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    body = chart_request(dependencies, "?ticker=IDX")
    movers_values = {"movers-view": "?ticker=IDX&period=1m", "theme-switch": True}
    movers_body = callback_request(dependencies, "movers-note.children", movers_values)

    first = client.post("/_dash-update-component", json=body)
    again = client.post("/_dash-update-component", json=body)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    movers_first = client.post("/_dash-update-component", json=movers_body)
    movers_again = client.post("/_dash-update-component", json=movers_body)
    assert movers_first.status_code == 200
    assert movers_first.data == movers_again.data
    # The chart, its plain-array copy for the page (made with the app's first layout), movers.
    assert cache.computed() == 3

    version = store.updated_at()
    store.write_bars("IDX", synthetic_bars("IDX", "2018-01-01", "2024-12-31", factor=1.5))
    assert store.updated_at() != version, "the store's clock did not move"
    changed = client.post("/_dash-update-component", json=body)
    assert changed.status_code == 200
    assert cache.computed() == 4
    assert changed.data != first.data


def test_two_caches_on_one_redis_share_entries(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        settings = Settings(cache_dir=tmp_path, redis_url=url)
        host_a, host_b = result_cache(settings), result_cache(settings)
        host_a.get_or_compute("movers:y", Counter(["rows"]))
        compute_b = Counter(["other rows"])
        assert host_b.get_or_compute("movers:y", compute_b) == ["rows"]
        assert compute_b.calls == 0
        assert isinstance(host_b, SharedResultCache)
        assert host_b.computed() == 1
        assert not list((tmp_path / "results").glob("*"))


def test_a_redis_that_is_down_computes_and_logs_once(tmp_path: Path, caplog) -> None:
    now = [0.0]
    nothing_there = redis.Redis.from_url(unreachable_redis_url(), socket_connect_timeout=1.0)
    cache = SharedResultCache(RedisCache(host=nothing_there), timeout=60, clock=lambda: now[0])
    compute = Counter("computed")
    with caplog.at_level(logging.WARNING, logger="hosting.cache"):
        for step in range(4):
            now[0] = step * 20.0  # past the retry interval too: Redis is asked again
            assert cache.get_or_compute("chart:z", compute) == "computed"
    assert compute.calls == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unavailable" in warnings[0].getMessage()


def test_two_gunicorn_workers_share_the_chart_result_in_redis(tmp_path: Path) -> None:
    with demo_site_on_redis(tmp_path) as (base, url):
        store: Any = redis.Redis.from_url(url)  # sync client: no awaitables
        with httpx.Client(base_url=base, timeout=60) as client:
            # The page's layout holds its first chart: the default view's.
            assert client.get("/_dash-layout").status_code == 200
            keys_before = set(store.keys("r2k:*:results:chart:*"))
            assert len(keys_before) == 1
            dependencies = client.get("/_dash-dependencies").json()
            body = chart_request(dependencies, "?ticker=DEMO-R2K&range=2y")
            first = client.post("/_dash-update-component", json=body)
        assert first.status_code == 200
        assert json.loads(first.content)["response"]["price-chart"]["figure"]["data"]

        chart_keys = store.keys("r2k:*:results:chart:*")
        (chart_key,) = set(chart_keys) - keys_before
        # Written once: its time to live only runs down (a second write would reset it).
        # (The computed counter cannot tell: each worker draws the default view at boot.)
        ttl_before = store.pttl(chart_key)

        def post(_: int) -> bytes:
            # A new connection each time, so both workers take requests.
            with httpx.Client(base_url=base, timeout=60) as fresh:
                response = fresh.post("/_dash-update-component", json=body)
                response.raise_for_status()
                return response.content

        with ThreadPoolExecutor(max_workers=4) as pool:
            later = list(pool.map(post, range(12)))
        assert all(content == first.content for content in later)
        assert store.keys("r2k:*:results:chart:*") == chart_keys
        assert 0 < store.pttl(chart_key) < ttl_before, "no worker computed it again"
        workers = {c["id"] for c in store.client_list() if c["name"] == REDIS_CLIENT_NAME}
        assert len(workers) == 2, "both workers answered from the shared cache"
