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

_NAMED = 5
"""Damaged files named in the note; more are counted."""


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
    ``settings.probe_timeout`` seconds). The Yahoo store is tidied first (``Store.recover``):
    this runs when the app, a worker or a command starts, never at import.
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
    yahoo_store.recover()
    if source == "yahoo":
        return ResolvedSource(yahoo, yahoo_store, LIVE, "Yahoo Finance")
    reachable = probe() if probe is not None else yahoo.reachable()
    if reachable:
        return ResolvedSource(yahoo, yahoo_store, LIVE, "Yahoo Finance")
    note = stored_copy_note(yahoo_store, yahoo.index_ticker)
    if note is not None:
        return ResolvedSource(yahoo, yahoo_store, CACHED, "Yahoo Finance (stored copy)", note=note)
    damaged = yahoo_store.set_aside()
    stored = (
        f"the stored copy is damaged (set aside: {', '.join(damaged[:_NAMED])})"
        if damaged
        else "nothing is stored yet"
    )
    return _demo(
        settings,
        note=f"Yahoo Finance is unreachable and {stored}: showing the simulated demo market.",
    )


def stored_copy_note(store: Store, index_ticker: str) -> str | None:
    """What the page says when it shows ``store`` because Yahoo is unreachable.

    None when the store holds no Yahoo data at all. One damaged file (the universe, the
    index's bars) costs only itself: it is set aside, the rest of the copy is still shown,
    and the note names what is missing and why.
    """
    universe = store.read_universe()
    index = store.last_date(index_ticker)
    if universe is None and index is None and not store.tickers():
        return None
    damaged = store.set_aside()
    index_file = f"bars/{index_ticker}.parquet"
    lacks = []
    if index is None:
        lacks.append(_lack(f"the bars of the index {index_ticker}", index_file in damaged))
    if universe is None:
        lacks.append(
            _lack("the Russell 2000 membership (no movers)", "universe.parquet" in damaged)
        )
    # closes.parquet is rebuilt from the bars files when read: nothing is lacking for it.
    others = [n for n in damaged if n not in ("universe.parquet", "closes.parquet", index_file)]
    if others:
        shown = ", ".join(others[:_NAMED])
        more = f" and {len(others) - _NAMED} more" if len(others) > _NAMED else ""
        lacks.append(f"{len(others)} damaged files set aside ({shown}{more})")
    note = "Yahoo Finance is unreachable: showing the last data stored on this machine."
    if lacks:
        note += " It lacks " + "; ".join(lacks) + ": fetched again when Yahoo answers."
    return note


def _lack(what: str, damaged: bool) -> str:
    return f"{what}, whose file was damaged and set aside" if damaged else what


def _demo(settings: Settings, note: str | None = None) -> ResolvedSource:
    store = store_for(settings, "demo")
    return ResolvedSource(
        DemoProvider(directory=store.root), store, DIRECT, "Simulated demo market", note=note
    )
