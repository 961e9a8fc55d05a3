"""Every component id of the page, in one place, so layout and callbacks agree."""

from dash import ALL

# Page state
URL = "url"
VIEW_STORE = "view-store"
CHART_VIEW = "chart-view"
MOVERS_VIEW = "movers-view"
OVERLAY_VIEW = "overlay-view"
DRAWN_CHART = "drawn-chart"
CHART_PAINTED = "chart-painted"
THEME_STORE = "theme-store"
IGNORED_PARAMS = "ignored-params"

# Header and status
SOURCE_BADGE = "source-badge"
SOURCE_BANNER = "source-banner"
THEME_SWITCH = "theme-switch"

# Chart controls
TICKER_INPUT = "ticker-input"
TICKER_OPTIONS = "ticker-options"
TICKER_CHOICES = "ticker-choices"
INDEX_BUTTON = "index-button"
INTERVAL_RADIO = "interval-radio"
RANGE_SELECT = "range-select"
INDICATOR_CHECKLIST = "indicator-checklist"
SCALE_SWITCH = "scale-switch"
CHANNEL_INPUT = "channel-input"
CHANNEL_END_DATE = "channel-end-date"
AS_OF_DATE = "as-of-date"
COMPARE_INPUT = "compare-input"

# Chart and read
CHART_TABS = "chart-tabs"
PRICE_CHART = "price-chart"
FIRST_CHART_PAGE = "r2k-first-page"
"""The served page's first chart (outside Dash's app, see components/first_chart.py)."""
FIRST_CHART_FIGURE = "r2k-first-figure"
DASH_SCRIPTS = "r2k-dash-scripts"
"""Dash's scripts, held until the first chart is painted (see components/dash_start.py)."""
PRICE_FIT = "price-fit"
COMPARE_CHART = "compare-chart"
CHART_MESSAGE = "chart-message"
READ_PANEL = "read-panel"

# Movers and sectors
PERIOD_SELECT = "period-select"
PERIOD_FROM_DATE = "period-from-date"
INCLUDE_SECTORS = "include-sectors"
EXCLUDE_SECTORS = "exclude-sectors"
EXCLUDE_BIOTECH = "exclude-biotech"
MOVERS_SLOT = "movers-slot"
LAGGARDS_SLOT = "laggards-slot"
MOVERS_EXPORT = "movers-export"
LAGGARDS_EXPORT = "laggards-export"
MOVERS_NOTE = "movers-note"
MOVERS_ROWS = "movers-rows"
"""Every ranked row, sent once for both tables (column by column, best first)."""
MOVERS_ROWS_KEY = "movers-rows-key"
"""What the rows in MOVERS_ROWS were ranked for: the same key sends no rows again."""
IMPORT_POLL = "import-poll"
SECTOR_CHART = "sector-chart"

# The first fill of an empty store (progress shown in the movers area)
FILL_POLL = "fill-poll"
FILL_STATE = "fill-state"
FILL_PROGRESS_ROW = "fill-progress-row"
FILL_PROGRESS = "fill-progress"
FILL_PROGRESS_TEXT = "fill-progress-text"
HOLDINGS_TABLE = "holdings-table"

# Market internals: breadth under the index chart, the technical screen
BREADTH_PANEL = "breadth-panel"
BREADTH_CHART = "breadth-chart"
SCREEN_STATE = "screen-state"
SCREEN_WITHIN = "screen-within"
SCREEN_SLOT = "screen-slot"
SCREEN_NOTE = "screen-note"
SCREEN_SENT = "screen-sent"
"""The key of the rows the screen table holds: a view change that leaves them (an overlay
toggled, another ticker) sends none again."""
MOVERS_RANK = "movers-rank"

# Refresh from the page
REFRESH_BUTTON = "refresh-button"
REFRESH_PROGRESS_ROW = "refresh-progress-row"
REFRESH_PROGRESS = "refresh-progress"
REFRESH_PROGRESS_TEXT = "refresh-progress-text"
REFRESH_STATUS = "refresh-status"


# The two tables are made after the chart is drawn, so callbacks find them by pattern
# ({"type": MOVERS_TABLE, "side": ALL}): zero tables before, two after.
MOVERS_TABLE = "movers-table"
TOP = "top"
BOTTOM = "bottom"


def movers_table(side: str) -> dict[str, str]:
    """The id of the table of ``side`` (TOP: movers, BOTTOM: laggards)."""
    if side not in (TOP, BOTTOM):
        raise ValueError(f"side must be {TOP!r} or {BOTTOM!r}, got {side!r}")
    return {"type": MOVERS_TABLE, "side": side}


EVERY_MOVERS_TABLE = {"type": MOVERS_TABLE, "side": ALL}
"""Both tables in a callback, or none while the page is still drawing its chart."""


# Keyboard ways into the sector chart and the holdings table: one button per sector (shown
# when focused) and one per holding, found by pattern like the tables.
SECTOR_BUTTON = "sector-button"
HOLDING = "holding"
EVERY_SECTOR_BUTTON = {"type": SECTOR_BUTTON, "sector": ALL}
EVERY_HOLDING = {"type": HOLDING, "ticker": ALL}


def sector_button(sector: str) -> dict[str, str]:
    """The id of the button that filters the tables to ``sector`` (as a click on its bar)."""
    return {"type": SECTOR_BUTTON, "sector": sector}


def holding(ticker: str) -> dict[str, str]:
    """The id of the button that charts the holding ``ticker``."""
    return {"type": HOLDING, "ticker": ticker}


# The screen's table, like the movers tables, is made once the chart is drawn.
SCREEN_TABLE = "screen-table"
SCREEN_TABLE_ID = {"type": SCREEN_TABLE, "name": "screen"}
EVERY_SCREEN_TABLE = {"type": SCREEN_TABLE, "name": ALL}
"""The screen table in a callback, or none while the page is still drawing its chart."""
