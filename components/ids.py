"""Every component id of the page, in one place, so layout and callbacks agree."""

TICKER_INPUT = "ticker-input"
PRICE_CHART = "price-chart"
CHART_MESSAGE = "chart-message"
SOURCE_BADGE = "source-badge"
SOURCE_BANNER = "source-banner"
