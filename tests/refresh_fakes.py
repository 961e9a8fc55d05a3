"""A slow fake live source for refresh-from-the-page tests, and a Celery worker app on it.

``celery -A tests.refresh_fakes worker`` runs the page's background callbacks on the same
fake source the test's web side uses (both read ``R2K_CACHE_DIR``), so a test can follow
a refresh from the page's endpoint through Celery without any network.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from callbacks.services import Services
from hosting.celery_app import create_worker
from market.data import MarketData
from market.refresh import refresh
from market.sources import LIVE, ResolvedSource
from market.store import Store
from settings import Settings
from tests.store_fakes import FakeProvider

MEMBERS = [f"M{n:02d}" for n in range(18)] + ["AAA", "BBB"]
PRESTORED = ["IDX", "BENCH", "AAA", "BBB"]
"""Stored and fresh before a test starts, so the chart shows them without fetching."""
SOURCE_LABEL = "Fake live source"
WORKER_DELAY = 0.3
"""Seconds each batch takes in the Celery worker's fake source."""


class GatedProvider(FakeProvider):
    """The fake provider of ``MEMBERS`` that holds the request for ``pause_on`` until released.

    A test sees a fill stopped midway for as long as it likes, with no timing involved.
    """

    def __init__(self, pause_on: str) -> None:
        super().__init__(MEMBERS)
        self.pause_on = pause_on
        self.paused = threading.Event()
        self.release = threading.Event()

    def bars(self, tickers, start=None, end=None):
        if self.pause_on in tickers:
            self.paused.set()
            if not self.release.wait(timeout=60):
                raise AssertionError("the test never released the gated provider")
        return super().bars(tickers, start, end)


def live_source(cache_dir: Path, delay: float = 0.0) -> ResolvedSource:
    """The fake provider, live, on a store under ``cache_dir``: every batch takes ``delay``."""
    provider = FakeProvider(MEMBERS, delay=delay)
    return ResolvedSource(provider, Store(Path(cache_dir) / "fake"), LIVE, SOURCE_LABEL)


def fake_services(settings: Settings, delay: float) -> Services:
    """Services on the fake live source, with ``PRESTORED`` already in its store."""
    source = live_source(settings.cache_dir, delay)
    refresh(FakeProvider(MEMBERS), source.store, PRESTORED)
    return Services(settings=settings, market=MarketData(source))


def __getattr__(name: str) -> Any:
    """The Celery app that ``celery -A tests.refresh_fakes worker`` looks up."""
    if name == "app":
        settings = Settings()
        source = live_source(settings.cache_dir, WORKER_DELAY)
        return create_worker(settings, Services(settings=settings, market=MarketData(source)))
    raise AttributeError(name)
