"""What callbacks are given to work with: the settings and the market data of one source."""

from __future__ import annotations

from dataclasses import dataclass, field

from components.page_source import PageSource
from hosting.cache import NoCache, ResultCache, data_version, result_key
from market.data import MarketData
from market.sources import DIRECT
from settings import Settings


@dataclass(frozen=True)
class Services:
    """Passed to every ``register(app, services)``; holds no Dash objects."""

    settings: Settings
    market: MarketData
    cache: ResultCache = field(default_factory=NoCache)

    @property
    def default_ticker(self) -> str:
        """The ticker the page opens on: the configured one, else the source's index."""
        return (self.settings.ticker or self.market.index_ticker).upper()

    @property
    def reads_directly(self) -> bool:
        """True when the source is read as it is (demo, CSV files): nothing is fetched."""
        return self.market.source.mode == DIRECT

    def page_source(self) -> PageSource:
        """What the page says about the data source now (read per page load: freshness)."""
        market = self.market
        source = market.source
        return PageSource(
            label=source.label,
            simulated=source.simulated,
            refreshable=not self.reads_directly,
            note=source.note,
            updated_at=market.updated_at(),
            stale=market.stale_note(),
        )

    def result_key(self, area: str, *parts: object) -> str:
        """The cache key of a result of ``area`` for ``parts`` (a view, the theme...).

        It also names the data source and its version, so new data never gets an old result.
        """
        market = self.market
        return result_key(area, market.source.label, data_version(market), *parts)
