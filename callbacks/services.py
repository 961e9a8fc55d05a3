"""What callbacks are given to work with: the settings and the market data of one source."""

from __future__ import annotations

from dataclasses import dataclass, field

from hosting.cache import NoCache, ResultCache
from market.data import MarketData
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
