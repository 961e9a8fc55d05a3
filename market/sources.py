"""Turn the ``source`` setting into a provider and its store, and resolve ``auto``.

``auto`` means: Yahoo when it answers; otherwise the last good Yahoo data in the store;
otherwise the simulated demo market. The resolved source says which, and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from market.csv_source import CsvProvider
from market.demo import DemoProvider
from market.provider import Provider
from market.store import Store
from market.yahoo import YahooProvider
from settings import Settings

LIVE = "live"
"""Mode: the provider is asked for data and the store caches it."""
CACHED = "cached"
"""Mode: the provider is unreachable; only the store's last good data is used."""
DIRECT = "direct"
"""Mode: the provider answers from local data (demo, CSV files); nothing is fetched."""


@dataclass(frozen=True)
class ResolvedSource:
    """A provider with its store, how it is used, and what the page should say about it."""

    provider: Provider
    store: Store
    mode: str
    label: str
    note: str | None = None

    @property
    def simulated(self) -> bool:
        """True when every number shown comes from the simulated demo market."""
        return self.provider.simulated


def store_for(settings: Settings, namespace: str) -> Store:
    """The store of one source: simulated and real data never share a directory."""
    return Store(Path(settings.cache_dir) / namespace)


def csv_namespace(directory: Path) -> str:
    """The store namespace of one CSV directory: two directories never share a store."""
    path = str(directory.expanduser().resolve())
    return "csv-" + hashlib.blake2b(path.encode(), digest_size=6).hexdigest()


def resolve_source(settings: Settings, probe: Callable[[], bool] | None = None) -> ResolvedSource:
    """Build the provider named by ``settings.source``; for ``auto``, pick what works now.

    ``probe`` answers whether Yahoo is reachable (the default asks the network, within
    ``settings.probe_timeout`` seconds).
    """
    source = settings.source
    if source == "demo":
        return _demo(settings)
    if source.startswith("csv:"):
        directory = Path(source.removeprefix("csv:")).expanduser()
        provider = CsvProvider(directory)
        store = store_for(settings, csv_namespace(provider.directory))
        return ResolvedSource(provider, store, DIRECT, f"CSV files in {directory}")
    yahoo = YahooProvider(settings)
    yahoo_store = store_for(settings, "yahoo")
    if source == "yahoo":
        return ResolvedSource(yahoo, yahoo_store, LIVE, "Yahoo Finance")
    reachable = probe() if probe is not None else yahoo.reachable()
    if reachable:
        return ResolvedSource(yahoo, yahoo_store, LIVE, "Yahoo Finance")
    if yahoo_store.read_universe() is not None and yahoo_store.last_date(yahoo.index_ticker):
        return ResolvedSource(
            yahoo,
            yahoo_store,
            CACHED,
            "Yahoo Finance (stored copy)",
            note="Yahoo Finance is unreachable: showing the last data stored on this machine.",
        )
    return _demo(
        settings,
        note="Yahoo Finance is unreachable and nothing is stored yet: "
        "showing the simulated demo market.",
    )


def _demo(settings: Settings, note: str | None = None) -> ResolvedSource:
    return ResolvedSource(
        DemoProvider(), store_for(settings, "demo"), DIRECT, "Simulated demo market", note=note
    )
