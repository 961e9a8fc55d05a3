"""The offline demo market: a deterministic, simulated small-cap index and its constituents.

Nothing here is real. About 2,000 fictional constituents (``XXXX.DM``) move with a common
market factor, sector factors and their own noise, so movers and laggards differ widely; the
index ``DEMO-R2K`` is their holdings-weighted total, as a fund holding fixed shares, and the
common factor is chosen so that this total follows a scripted story (years of ascending
channel, an all-time high, then a fall of about 20% through the channel and the 50-week
average) with random noise pinned to that script. ``DEMO-LARGE`` is a steadier
large-cap-like benchmark. The same seed and end date give the same numbers on every
machine: prices are rounded to 4 decimals so that last-bit differences of ``exp`` between
CPUs cannot show.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from market.bars import BAR_COLUMNS
from market.demo_file import demo_file, shared_table
from market.demo_rates import simulated_yields
from market.provider import FetchResult
from market.universe import GICS_SECTORS, make_universe

DEMO_SEED = 2000
DEMO_END = date(2026, 11, 20)
"""The last session of the demo market by default: fixed, so every machine and day agree."""
DEMO_INDEX = "DEMO-R2K"
DEMO_BENCHMARK = "DEMO-LARGE"
HISTORY_YEARS = 12
CONSTITUENT_COUNT = 2000
TICKER_SUFFIX = ".DM"
"""Every constituent ticker ends in ``.DM`` (demo market), so none can pass for a real one."""

SECTOR_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Financials", 18.0),
    ("Industrials", 17.0),
    ("Health Care", 15.0),
    ("Information Technology", 13.0),
    ("Consumer Discretionary", 10.0),
    ("Real Estate", 6.0),
    ("Energy", 5.0),
    ("Materials", 4.0),
    ("Utilities", 3.0),
    ("Consumer Staples", 3.0),
    ("Communication", 2.5),
)
"""Roughly the Russell 2000's sector weights, in percent (normalised when used)."""

_SECTOR_VOL: Mapping[str, float] = MappingProxyType(
    {
        "Health Care": 1.45,
        "Information Technology": 1.15,
        "Energy": 1.25,
        "Financials": 0.75,
        "Utilities": 0.6,
        "Real Estate": 0.8,
        "Consumer Staples": 0.75,
    }
)
"""Idiosyncratic volatility of a sector relative to the rest (biotech swings, utilities don't)."""

_NAME_SUFFIXES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Communication": ("Media", "Communications", "Networks", "Broadcasting", "Interactive"),
        "Consumer Discretionary": ("Brands", "Outfitters", "Restaurants", "Motors", "Leisure"),
        "Consumer Staples": ("Foods", "Farms", "Beverage Co.", "Household Products", "Grocers"),
        "Energy": ("Energy", "Petroleum", "Resources", "Drilling", "Midstream Partners"),
        "Financials": ("Bancorp", "Financial", "Bank", "Capital", "Insurance Group"),
        "Health Care": ("Therapeutics", "Biosciences", "Pharmaceuticals", "Medical", "Health"),
        "Industrials": ("Industries", "Aerospace", "Logistics", "Machinery", "Engineering"),
        "Information Technology": ("Systems", "Software", "Semiconductor", "Technologies", "Labs"),
        "Materials": ("Materials", "Chemicals", "Mining", "Steel", "Packaging"),
        "Real Estate": ("Realty Trust", "Properties", "REIT", "Land Co.", "Residential"),
        "Utilities": ("Power", "Water", "Electric", "Gas & Light", "Utilities"),
    }
)

_SYLLABLES_START = (
    "Al", "Bel", "Cor", "Dra", "El", "Fen", "Gal", "Hal", "Ith", "Jor", "Kel", "Lum", "Mor",
    "Nor", "Ol", "Pel", "Quor", "Ral", "Sol", "Tor", "Ul", "Vel", "Wyn", "Xan", "Yor", "Zel",
    "Bri", "Cal", "Dun", "Ev", "Gr", "Har", "Kes", "Lin", "Mar", "Nex", "Ost", "Pry", "Rho",
    "Sten", "Tal", "Ver",
)  # fmt: skip
_SYLLABLES_END = (
    "ara", "ent", "ion", "ova", "ex", "ix", "ora", "um", "ant", "ico", "yx", "esta", "ond",
    "ira", "ast", "eno", "ulo", "ayne", "ith", "ova", "tek", "gen", "ra", "vo", "dor", "lis",
    "mont", "wick", "ford", "stead",
)  # fmt: skip

_INDEX_STORY: tuple[tuple[int, float, float], ...] = (
    (626, 112.0, 1.0),
    (590, 120.0, 0.9),
    (560, 126.0, 0.9),
    (540, 110.0, 1.4),
    (510, 100.0, 1.3),
    (470, 135.0, 0.9),
    (430, 158.0, 0.8),
    (410, 130.0, 1.6),
    (390, 150.0, 1.0),
    (360, 160.0, 0.9),
    (352, 104.0, 3.2),
    (330, 140.0, 1.8),
    (300, 200.0, 1.1),
    (280, 228.0, 1.0),
    (250, 180.0, 1.4),
    (230, 165.0, 1.5),
    (215, 188.0, 1.2),
    (205, 170.0, 1.2),
)
"""The index before its channel: (weeks before the end, level, volatility of the segment)."""

_CHANNEL_START_WEEKS = 205
_HIGH_WEEKS = 14
_CHANNEL_LEVELS = (170.0, 279.0)
"""The middle of the ascending channel at its start and at the all-time high."""
_CHANNEL_SWING = 0.035
"""How far the index swings above and below the channel's middle between touches."""

_FALL: tuple[tuple[int, float, float], ...] = (
    (12, 0.93, 1.5),
    (10, 0.90, 1.6),
    (9, 0.935, 1.4),
    (7, 0.86, 1.7),
    (5, 0.885, 1.5),
    (3, 0.83, 1.6),
    (1, 0.845, 1.4),
    (0, 0.80, 1.4),
)
"""The fall after the high: (weeks before the end, level as a fraction of the high, vol)."""

_BENCHMARK_STORY: tuple[tuple[int, float, float], ...] = (
    (626, 205.0, 1.0),
    (560, 210.0, 0.9),
    (510, 195.0, 1.3),
    (430, 285.0, 0.8),
    (410, 245.0, 1.5),
    (360, 330.0, 0.8),
    (352, 230.0, 3.2),
    (300, 380.0, 1.1),
    (270, 470.0, 0.9),
    (230, 360.0, 1.4),
    (200, 400.0, 1.1),
    (120, 500.0, 0.9),
    (60, 560.0, 0.9),
    (16, 640.0, 0.9),
    (8, 600.0, 1.3),
    (4, 620.0, 1.1),
    (0, 600.0, 1.2),
)
"""The large-cap benchmark: a steadier climb and a milder pullback at the end."""

_INDEX_DAILY_VOL = 0.011
_INDEX_DOLLAR_VOLUME = (4.5e9, 2.5e10)
"""Typical traded value of the index and the benchmark (as if they were ETFs)."""
_BENCHMARK_DAILY_VOL = 0.008
_BENCHMARK_CORRELATION = 0.75
_SECTOR_DAILY_VOL = 0.006
_TRADING_DAYS = 252
_LATE_LISTING_SHARE = 0.1
_MIN_PRICE = 0.05
_IDIOSYNCRATIC_PERSISTENCE = 0.5 ** (1 / 252)
"""Day-to-day persistence of a name's own noise: deviations halve in about a year."""

_SIZE_DRIFT = (0.04, 0.1)
"""Yearly drift per unit of a name's log weight within its sector (earlier years, last year).

Today's large names are yesterday's winners. Without this, today's weights held back in
time give most of the past index to names that fell since, and the typical name would beat
the index by far over the years (its median name rose twice as much over the history).
"""

_STREAM_INDEX = 1
_STREAM_BENCHMARK = 2
_STREAM_NAMES = 3
_STREAM_CONSTITUENTS = 4
_STREAM_BARS = 5
"""Independent random streams, so changing one part of the market leaves the others alone."""


@dataclass(frozen=True)
class _Market:
    """Everything the demo provider serves, built once per instance."""

    dates: pd.DatetimeIndex
    values: np.ndarray
    """Daily closes, days x tickers (one ticker's closes contiguous); read-only when mapped."""
    column_of: dict[str, int]
    """The column of each ticker in ``values``: index, benchmark, then constituents."""
    daily_vol: np.ndarray
    """Each column's typical daily volatility, for its intraday ranges."""
    dollar_volume: np.ndarray
    """Each column's typical daily traded value at its last price."""
    universe: pd.DataFrame
    closes: pd.DataFrame
    """The constituents' columns of ``values`` as a frame (sharing its memory)."""


class DemoProvider:
    """The simulated market: same seed and end, same numbers, on every machine.

    Given a ``directory``, its prices are kept there in a file that every process with the
    same directory maps (``market.demo_file``): a server's workers share one copy.
    """

    def __init__(
        self, seed: int = DEMO_SEED, end: date | None = None, directory: Path | None = None
    ) -> None:
        self.name = "demo"
        self.simulated = True
        self.index_ticker = DEMO_INDEX
        self.benchmark_ticker = DEMO_BENCHMARK
        self.seed = seed
        self.end = end if end is not None else DEMO_END
        self.directory = directory
        self._market: _Market | None = None
        self._lock = threading.Lock()

    def bars(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        """Daily Bars of the known tickers in [start, end]; the others are reported missing.

        Tickers are matched case-insensitively; results are keyed as they were asked.
        """
        market = self._built()
        found: dict[str, pd.DataFrame] = {}
        missing: list[str] = []
        yields = simulated_yields(market.dates, self.seed)
        for ticker in dict.fromkeys(tickers):
            column = market.column_of.get(ticker.strip().upper())
            bars = None if column is None else _bars_of(market, column, self.seed, start, end)
            if ticker.strip().upper() in yields:
                bars = _window(yields[ticker.strip().upper()], start, end)
            if bars is None or bars.empty:
                missing.append(ticker)
            else:
                found[ticker] = bars
        return FetchResult(bars=found, missing=tuple(missing))

    def universe(self) -> pd.DataFrame:
        """The ~2,000 fictional constituents with their sector and index weight."""
        return self._built().universe.copy(deep=False)

    def closes(self) -> pd.DataFrame:
        """Daily closes of every constituent at once: date index by ticker columns.

        Constituents listed during the history have NaN before their first session.
        The index and the benchmark are not columns here; ask ``bars`` for them.
        """
        return self._built().closes.copy(deep=False)

    def _built(self) -> _Market:
        with self._lock:
            if self._market is None:
                self._market = _build_market(self.seed, self.end, self.directory)
            return self._market


def _build_market(seed: int, end: date, directory: Path | None = None) -> _Market:
    """The market of ``seed`` up to ``end``: simulated here, or mapped from ``directory``."""
    last = pd.Timestamp(end)
    dates = pd.bdate_range(last - pd.DateOffset(years=HISTORY_YEARS), last, name="date")
    days = len(dates)
    universe = make_universe(_make_universe(_rng(np.random.SeedSequence(seed), _STREAM_NAMES)))
    tickers = [DEMO_INDEX, DEMO_BENCHMARK, *universe["ticker"]]
    shape = (days + 2, len(tickers))
    if directory is None:
        table = _simulate(seed, dates, universe)
    else:
        path = demo_file(directory, seed, end)
        table = shared_table(path, shape, lambda: _simulate(seed, dates, universe))
    values = table[:days]
    closes = pd.DataFrame(
        values[:, 2:], index=dates, columns=pd.Index(tickers[2:], name="ticker"), copy=False
    )
    return _Market(
        dates=dates,
        values=values,
        column_of={ticker: column for column, ticker in enumerate(tickers)},
        daily_vol=np.array(table[days]),
        dollar_volume=np.array(table[days + 1]),
        universe=universe,
        closes=closes,
    )


def _simulate(seed: int, dates: pd.DatetimeIndex, universe: pd.DataFrame) -> np.ndarray:
    """Days + 2 rows by index, benchmark and constituents, in Fortran order: the daily
    closes, then each column's daily volatility and its typical traded value."""
    days = len(dates)
    sequence = np.random.SeedSequence(seed)
    index_noise = _rng(sequence, _STREAM_INDEX).standard_normal(days - 1)
    own_noise = _rng(sequence, _STREAM_BENCHMARK).standard_normal(days - 1)
    benchmark_noise = (
        _BENCHMARK_CORRELATION * index_noise + np.sqrt(1 - _BENCHMARK_CORRELATION**2) * own_noise
    )
    story = _pinned_path(days, _index_knots(), index_noise * _INDEX_DAILY_VOL)
    benchmark_close = _pinned_path(days, _BENCHMARK_STORY, benchmark_noise * _BENCHMARK_DAILY_VOL)
    weights = universe["weight"].to_numpy()
    constituents, vols, dollar_volume = _constituent_closes(
        _rng(sequence, _STREAM_CONSTITUENTS),
        np.log(story),
        universe["sector"].to_numpy(),
        weights,
    )
    table = np.empty((days + 2, 2 + len(universe)), order="F")
    table[:days, 0] = np.round(_holdings_index(constituents, weights, float(story[0])), 4)
    table[:days, 1] = np.round(benchmark_close, 4)
    table[:days, 2:] = constituents
    table[days] = np.concatenate([[_INDEX_DAILY_VOL, _BENCHMARK_DAILY_VOL], vols])
    table[days + 1] = np.concatenate([np.array(_INDEX_DOLLAR_VOLUME), dollar_volume])
    return table


def _rng(sequence: np.random.SeedSequence, stream: int, *key: int) -> np.random.Generator:
    child = np.random.SeedSequence(sequence.entropy, spawn_key=(stream, *key))
    return np.random.default_rng(child)


def _index_knots() -> tuple[tuple[int, float, float], ...]:
    """The index's script: its history, the channel with its swings, the high, the fall."""
    start_weeks, high_weeks = _CHANNEL_START_WEEKS, _HIGH_WEEKS
    low, high = np.log(_CHANNEL_LEVELS)
    knots = list(_INDEX_STORY)
    for step, weeks in enumerate(range(start_weeks - 13, high_weeks, -13)):
        middle = low + (high - low) * (start_weeks - weeks) / (start_weeks - high_weeks)
        swing = _CHANNEL_SWING if step % 2 == 0 else -_CHANNEL_SWING
        knots.append((weeks, float(np.exp(middle) * (1 + swing)), 1.0))
    top = _CHANNEL_LEVELS[1] * (1 + _CHANNEL_SWING * 1.3)
    knots.append((high_weeks, top, 1.0))
    knots.extend((weeks, top * level, vol) for weeks, level, vol in _FALL)
    return tuple(knots)


def _pinned_path(
    days: int, knots: Sequence[tuple[int, float, float]], noise: np.ndarray
) -> np.ndarray:
    """Prices through the knots (weeks before the end, level), Brownian bridges between.

    The log-price is the straight line between knots plus the noise's random walk with its
    drift within each segment removed, so it passes exactly through every knot.
    """
    positions = np.array([max(0, days - 1 - 5 * weeks) for weeks, _, _ in knots])
    positions[0] = 0
    if np.any(np.diff(positions) <= 0) or positions[-1] != days - 1:
        raise ValueError("knots must be in time order and end at the last day")
    levels = np.log([level for _, level, _ in knots])
    segment_vol = np.array([vol for _, _, vol in knots])
    day = np.arange(days)
    segment = np.clip(np.searchsorted(positions, day, side="right") - 1, 0, len(knots) - 2)
    scaled = np.concatenate([[0.0], noise * segment_vol[segment[1:] + 1]])
    walk = np.cumsum(scaled)
    left, right = positions[segment], positions[segment + 1]
    fraction = (day - left) / (right - left)
    bridge = walk - walk[left] - fraction * (walk[right] - walk[left])
    line = levels[segment] + fraction * (levels[segment + 1] - levels[segment])
    return np.exp(line + bridge)


def _make_universe(rng: np.random.Generator) -> pd.DataFrame:
    """Fictional names, ``.DM`` tickers, sectors and lognormal weights per sector."""
    names_by_sector = [name for name, _ in SECTOR_WEIGHTS]
    if sorted(names_by_sector) != sorted(GICS_SECTORS):
        raise ValueError("SECTOR_WEIGHTS must name the eleven GICS sectors")
    shares = np.array([weight for _, weight in SECTOR_WEIGHTS])
    shares = shares / shares.sum()
    counts = _apportion(shares, CONSTITUENT_COUNT)
    sectors = np.repeat(np.array(names_by_sector, dtype=object), counts)
    raw = rng.lognormal(0.0, 1.0, CONSTITUENT_COUNT)
    weights = np.empty(CONSTITUENT_COUNT)
    start = 0
    for share, count in zip(shares, counts, strict=True):
        block = raw[start : start + count]
        weights[start : start + count] = share * block / block.sum()
        start += count
    words = _company_words(rng, CONSTITUENT_COUNT)
    tickers = _tickers_for(words, rng)
    suffix_pick = rng.integers(0, 5, CONSTITUENT_COUNT)
    names = [
        f"{word} {_NAME_SUFFIXES[sector][pick]}"
        for word, sector, pick in zip(words, sectors, suffix_pick, strict=True)
    ]
    return pd.DataFrame({"ticker": tickers, "name": names, "sector": sectors, "weight": weights})


def _apportion(shares: np.ndarray, total: int) -> np.ndarray:
    """Whole counts proportional to ``shares`` that add up to ``total`` (largest remainder)."""
    exact = shares * total
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _company_words(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct invented words such as ``Velora`` or ``Nexwick``."""
    words: dict[str, None] = {}
    while len(words) < count:
        first = rng.integers(0, len(_SYLLABLES_START), count)
        second = rng.integers(0, len(_SYLLABLES_END), count)
        third = rng.integers(0, len(_SYLLABLES_END), count)
        long_word = rng.random(count) < 0.25
        for a, b, c, long in zip(first, second, third, long_word, strict=True):
            word = _SYLLABLES_START[a] + _SYLLABLES_END[b]
            if long:
                word += _SYLLABLES_END[c]
            words.setdefault(word, None)
            if len(words) == count:
                break
    return list(words)


def _tickers_for(words: Sequence[str], rng: np.random.Generator) -> list[str]:
    """A unique four-letter code per word (its letters when free), suffixed ``.DM``."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    taken: set[str] = set()
    tickers = []
    for word in words:
        upper = word.upper()
        consonants = [ch for ch in upper[1:] if ch not in "AEIOU"]
        code = (upper[0] + "".join(consonants) + upper[1:] + "XXXX")[:4]
        while code in taken:
            code = upper[0] + "".join(rng.choice(letters, 3))
        taken.add(code)
        tickers.append(code + TICKER_SUFFIX)
    return tickers


def _constituent_closes(
    rng: np.random.Generator,
    index_log: np.ndarray,
    sectors: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closes (days x names) from the index, a factor per sector and each name's own path.

    A name's log-price is beta x the index's script, plus its sector's factor, plus a drift that
    changes every year (wide in the last year: winners and losers), plus its own
    mean-reverting noise (so twelve years do not spread prices absurdly). Some names list
    during the history (NaN before). A common daily correction (the rest of the market
    factor) makes the holdings-weighted total of the names follow the index's script, so
    the index, its sectors and its contributions tell one story. Paths end at a plausible
    last price. Returns the closes, each name's daily volatility and its typical traded
    value.
    """
    days, count = len(index_log), len(sectors)
    sector_index = {sector: column for column, sector in enumerate(GICS_SECTORS)}
    sector_of = np.array([sector_index[sector] for sector in sectors])
    year_of_day = (days - 1 - np.arange(1, days)) // _TRADING_DAYS
    years = int(year_of_day.max()) + 1

    beta = np.clip(rng.normal(1.0, 0.25, count), 0.3, 1.8)
    sector_scale = np.array([_SECTOR_VOL.get(s, 1.0) for s in sectors])
    annual_vol = np.clip(rng.lognormal(np.log(0.36), 0.35, count) * sector_scale, 0.12, 1.3)
    daily_vol = annual_vol / np.sqrt(_TRADING_DAYS)

    log_path = np.zeros((days, count))
    log_path[1:] = rng.standard_normal((days - 1, count))
    log_path[1:] *= daily_vol
    for day in range(1, days):
        log_path[day] += _IDIOSYNCRATIC_PERSISTENCE * log_path[day - 1]

    sector_alpha = rng.normal(0.0, _yearly(years, 0.08, 0.12), (years, len(GICS_SECTORS)))
    sector_returns = rng.standard_normal((days - 1, len(GICS_SECTORS))) * _SECTOR_DAILY_VOL
    sector_returns += sector_alpha[year_of_day] / _TRADING_DAYS
    alpha = rng.normal(0.0, _yearly(years, 0.15, 0.35), (years, count))
    alpha += _yearly(years, *_SIZE_DRIFT) * _relative_size(weights, sector_of)
    drift = alpha[year_of_day] / _TRADING_DAYS
    drift += sector_returns[:, sector_of]
    log_path[1:] += np.cumsum(drift, axis=0)
    del drift
    log_path += np.outer(index_log - index_log[0], beta)

    last_price = np.clip(rng.lognormal(np.log(22.0), 0.9, count), 1.0, 900.0)
    late = rng.random(count) < _LATE_LISTING_SHARE
    first_day = np.where(late, rng.integers(_TRADING_DAYS, days - _TRADING_DAYS // 2, count), 0)
    correction = _tracking_correction(log_path, index_log, weights, first_day)
    log_path[1:] += np.cumsum(correction)[:, None]
    log_path += np.log(last_price) - log_path[-1]
    closes = np.round(np.maximum(np.exp(log_path), _MIN_PRICE), 4)
    closes[np.arange(days)[:, None] < first_day] = np.nan

    turnover = rng.lognormal(np.log(0.006), 0.5, count)
    dollar_volume = weights * 2.5e12 * turnover
    return closes, daily_vol, dollar_volume


def _relative_size(weights: np.ndarray, sector_of: np.ndarray) -> np.ndarray:
    """Each name's log weight less the mean log weight of its sector."""
    size = np.log(weights)
    means = np.bincount(sector_of, weights=size) / np.bincount(sector_of)
    return size - means[sector_of]


def _yearly(years: int, earlier: float, last_year: float) -> np.ndarray:
    """A column of per-year spreads: ``last_year`` for the latest year, ``earlier`` before."""
    spread = np.full((years, 1), earlier)
    spread[0] = last_year
    return spread


def _tracking_correction(
    log_path: np.ndarray, index_log: np.ndarray, weights: np.ndarray, first_day: np.ndarray
) -> np.ndarray:
    """Per day, the log-return to add to every name so that their holdings-weighted total
    moves as the index's script.

    A fund holding fixed shares (``weight / last price``) weights a name on a day by
    ``weight x price that day / last price``; a return common to every name scales all
    those weights alike, so each day's correction follows from the uncorrected paths alone.
    A name counts from its first session on.
    """
    last = log_path[-1]
    correction = np.empty(len(index_log) - 1)
    for first in range(0, len(correction), 512):
        rows = slice(first, min(first + 512, len(correction)))
        held = np.arange(rows.start, rows.stop)[:, None] >= first_day
        before = np.where(held, np.exp(log_path[rows] - last), 0.0) @ weights
        after = np.where(held, np.exp(log_path[rows.start + 1 : rows.stop + 1] - last), 0.0)
        after = after @ weights
        correction[rows] = np.log(after / before)
    return np.diff(index_log) - correction


def _holdings_index(closes: np.ndarray, weights: np.ndarray, first_level: float) -> np.ndarray:
    """The index level as a fund holding ``weight / last price`` shares of each name.

    Each day's change is that of the holdings' value over the names listed the day before,
    so a name joins on its first session without moving the level (as a divisor does), and
    over any span without listings the index return is exactly what the names' start
    weights times their returns add up to.
    """
    shares = weights / closes[-1]
    growth = np.empty(len(closes) - 1)
    for first in range(0, len(growth), 512):
        rows = slice(first, min(first + 512, len(growth)))
        before = closes[rows]
        held = ~np.isnan(before)
        after = np.where(held, closes[rows.start + 1 : rows.stop + 1], 0.0) @ shares
        growth[rows] = after / (np.where(held, before, 0.0) @ shares)
    return first_level * np.concatenate([[1.0], np.cumprod(growth)])


def _window(bars: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """The rows of ``bars`` from ``start`` to ``end`` (both included; None: open)."""
    keep = np.ones(len(bars), dtype=bool)
    if start is not None:
        keep &= bars.index >= pd.Timestamp(start)
    if end is not None:
        keep &= bars.index <= pd.Timestamp(end)
    return bars.loc[keep]


def _bars_of(
    market: _Market, column: int, seed: int, start: date | None, end: date | None
) -> pd.DataFrame:
    """Open, high, low and volume around one column's closes, from its own random stream.

    They are drawn for the whole history and then cut to [start, end], so a window always
    shows the same numbers as the whole.
    """
    all_closes = market.values[:, column]
    listed = ~np.isnan(all_closes)
    close = all_closes[listed]
    vol = float(market.daily_vol[column])
    gap, up, down, size = _rng(np.random.SeedSequence(seed), _STREAM_BARS, column).standard_normal(
        (4, len(close))
    )
    previous = np.concatenate([close[:1], close[:-1]])
    open_ = np.round(previous * np.exp(0.3 * vol * gap), 4)
    high = np.round(np.maximum(open_, close) * np.exp(0.5 * vol * np.abs(up)), 4)
    low = np.round(np.minimum(open_, close) * np.exp(-0.5 * vol * np.abs(down)), 4)
    high = np.maximum(high, np.maximum(open_, close))
    low = np.maximum(np.minimum(low, np.minimum(open_, close)), 0.0001)
    move = np.abs(np.diff(np.log(close), prepend=np.log(close[0]))) / vol
    traded = market.dollar_volume[column] * np.exp(0.3 * size) * (0.6 + 0.4 * move)
    volume = np.maximum(np.round(traded / np.sqrt(close * close[-1])), 100.0)
    dates = market.dates[listed]
    window = slice(
        None if start is None else int(dates.searchsorted(pd.Timestamp(start), side="left")),
        None if end is None else int(dates.searchsorted(pd.Timestamp(end), side="right")),
    )
    table = np.column_stack([open_, high, low, close, volume])[window]
    return pd.DataFrame(table, index=dates[window], columns=list(BAR_COLUMNS), copy=False)
