"""The view a URL holds, and its round trip to and from the query string.

``?ticker=IWM&interval=1wk&range=5y&ind=sma50,macd,rsi,channel&channel=104&asof=2025-04-01
&period=ytd&exclude=Health+Care`` restores the whole page. Unknown, malformed or hostile
parameters are ignored and named (never echoed as HTML: the page shows them as text).
Pure functions, no Dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import parse_qsl, urlencode

from analysis.channel import LOOKBACK_WEEKS
from analysis.screen import SCREEN_STATES
from market.tickers import parse_ticker
from market.universe import GICS_SECTORS

INTERVALS = ("1wk", "1d", "1mo")
RANGES = ("1m", "3m", "6m", "ytd", "1y", "2y", "5y", "10y", "max")
OVERLAYS = ("sma20", "sma50", "sma200", "ema20", "bb", "channel")
"""Drawn over price: shown or hidden in the browser, without asking the server."""
PANELS = ("volume", "macd", "rsi")
"""Drawn below price: each changes the chart's grid, so the server redraws it."""
INTERNALS = ("breadth", "rates")
"""Market internals: breadth under the index's chart; Treasury yields on the Relative tab."""
INDICATORS = OVERLAYS + PANELS + INTERNALS
DEFAULT_INDICATORS = ("sma50", "channel", "volume", "macd", "rsi")
PERIODS = ("1w", "1m", "3m", "ytd", "1y")
SCALES = ("linear", "log")
CHANNEL_MIN, CHANNEL_MAX = 8, 520
SCREEN_ALL = "all"
WITHIN_MAX = 520
EARLIEST_DATE = date(1990, 1, 1)
MAX_PARAM_LENGTH = 200
MAX_QUERY_LENGTH = 4000
"""Longest query read; a longer one (which no page of ours writes) is ignored whole."""
MAX_PARAMS = 40
"""Most parameters read from a query; the rest are ignored, and named as one."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ViewState:
    """Everything that defines what the page shows; a link reproduces it exactly."""

    ticker: str
    interval: str = "1wk"
    range: str = "5y"
    indicators: tuple[str, ...] = DEFAULT_INDICATORS
    channel: int = LOOKBACK_WEEKS
    channel_end: date | None = None
    as_of: date | None = None
    period: str = "ytd"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    compare: str | None = None
    scale: str = "linear"
    screen: str | None = None
    """The screen table's state filter (a state of ``SCREEN_STATES`` or ``all``)."""
    within: int | None = None
    """The screen keeps states that began in the last ``within`` weeks."""
    ignored: tuple[str, ...] = field(default=(), compare=False)
    """Query parameters that were not understood (names only, cut short)."""

    @property
    def overlays(self) -> tuple[str, ...]:
        """The indicators shown over price."""
        return tuple(name for name in self.indicators if name in OVERLAYS)

    @property
    def rates(self) -> bool:
        """Whether the Relative tab shows Treasury yields."""
        return "rates" in self.indicators

    @property
    def panels(self) -> tuple[str, ...]:
        """The indicator panels shown below price."""
        return tuple(name for name in self.indicators if name in PANELS)


def parse_query(query: object, default_ticker: str, today: date) -> ViewState:
    """The view described by ``query`` (with or without its leading ``?``).

    Anything that cannot be used falls back to the default and is named in ``ignored``.
    A ``query`` that is not a string (a browser can send any JSON) is the default view.
    """
    state = ViewState(ticker=default_ticker)
    ignored: list[str] = []
    text = query if isinstance(query, str) else ""
    if len(text) > MAX_QUERY_LENGTH:
        return replace(state, ignored=(f"(query over {MAX_QUERY_LENGTH} characters)",))
    parts = text.lstrip("?").split("&", MAX_PARAMS)
    pairs = parse_qsl("&".join(parts[:MAX_PARAMS]), keep_blank_values=True)
    for name, raw in pairs:
        value = raw.strip()
        parsed = _parse_param(state, name, value, today) if len(value) <= MAX_PARAM_LENGTH else None
        if parsed is None:
            ignored.append(_describe(name))
        else:
            state = parsed
    if len(parts) > MAX_PARAMS:
        ignored.append(f"(parameters after the {MAX_PARAMS}th)")
    return replace(state, ignored=tuple(ignored))


def to_query(state: ViewState) -> str:
    """The query string (with ``?``) that :func:`parse_query` turns back into ``state``."""
    params: list[tuple[str, str]] = [
        ("ticker", state.ticker),
        ("interval", state.interval),
        ("range", state.range),
        ("ind", ",".join(state.indicators)),
        ("channel", str(state.channel)),
    ]
    if state.channel_end is not None:
        params.append(("chend", state.channel_end.isoformat()))
    if state.as_of is not None:
        params.append(("asof", state.as_of.isoformat()))
    params.append(("period", state.period))
    if state.include:
        params.append(("include", ",".join(state.include)))
    if state.exclude:
        params.append(("exclude", ",".join(state.exclude)))
    if state.compare:
        params.append(("compare", state.compare))
    if state.scale != "linear":
        params.append(("scale", state.scale))
    if state.screen:
        params.append(("screen", state.screen))
    if state.within is not None:
        params.append(("within", str(state.within)))
    return "?" + urlencode(params)


def parse_date(raw: object, today: date) -> date | None:
    """A date between 1990 and today from ``YYYY-MM-DD`` and nothing more, else None.

    Anything after the date (``2024-01-01<script>``, a time) makes it not a date: a value
    that is only partly used would be silently changed, not named as ignored.
    """
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        return None
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if EARLIEST_DATE <= value <= today else None


def parse_period(raw: str | None, today: date) -> str | None:
    """One of 1w, 1m, 3m, ytd, 1y (any case), or a start date ``YYYY-MM-DD``; else None."""
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in PERIODS:
        return value
    start = parse_date(value, today)
    return start.isoformat() if start is not None else None


def parse_sectors(raw: str | None) -> tuple[str, ...] | None:
    """Known sector names from a comma-separated list; None if any name is unknown."""
    if raw is None:
        return None
    names = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if all(name in GICS_SECTORS for name in names):
        return names
    return None


def _parse_param(state: ViewState, name: str, value: str, today: date) -> ViewState | None:
    if name == "ticker":
        ticker = parse_ticker(value)
        return replace(state, ticker=ticker) if ticker else None
    if name == "interval":
        return replace(state, interval=value) if value in INTERVALS else None
    if name == "range":
        return replace(state, range=value.lower()) if value.lower() in RANGES else None
    if name == "ind":
        names = [part.strip().lower() for part in value.split(",") if part.strip()]
        if not all(n in INDICATORS for n in names):
            return None
        return replace(state, indicators=tuple(n for n in INDICATORS if n in names))
    if name == "channel":
        if (
            not (value.isascii() and value.isdigit())
            or not CHANNEL_MIN <= int(value) <= CHANNEL_MAX
        ):
            return None
        return replace(state, channel=int(value))
    if name in ("asof", "chend"):
        day = parse_date(value, today)
        if day is None:
            return None
        return replace(state, as_of=day) if name == "asof" else replace(state, channel_end=day)
    if name == "period":
        period = parse_period(value, today)
        return replace(state, period=period) if period else None
    if name in ("include", "exclude"):
        sectors = parse_sectors(value)
        if sectors is None:
            return None
        return (
            replace(state, include=sectors)
            if name == "include"
            else replace(state, exclude=sectors)
        )
    if name == "compare":
        compare = parse_ticker(value) if value else ""
        return replace(state, compare=compare or None) if compare is not None else None
    if name == "scale":
        return replace(state, scale=value) if value in SCALES else None
    if name == "screen":
        known = value in SCREEN_STATES or value == SCREEN_ALL
        return replace(state, screen=value) if known else None
    if name == "within":
        whole = value.isascii() and value.isdigit() and 1 <= int(value) <= WITHIN_MAX
        return replace(state, within=int(value)) if whole else None
    return None


def _describe(name: str) -> str:
    printable = "".join(ch for ch in name if ch.isprintable())
    return printable[:30] + ("…" if len(printable) > 30 else "")
