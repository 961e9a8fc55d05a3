"""One Study per series: the read and the chart share weekly bars and indicators."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest

import analysis.study
from analysis.read import technical_read
from analysis.study import Study
from analysis.weekly import weekly_bars
from app import create_services
from callbacks.chart import chart_view
from callbacks.services import Services
from components.view_state import ViewState
from settings import Settings
from tests.analysis_fakes import bars_from_closes, random_walk


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    cache = tmp_path_factory.mktemp("demo-cache")
    return create_services(Settings(source="demo", cache_dir=cache))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the indicator computations the Study module asks for, by name."""
    counted: Counter[str] = Counter()
    for name in ("sma", "ema", "macd", "rsi", "bbands", "regression_channel"):
        original = getattr(analysis.study, name)

        def counting(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            counted[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(analysis.study, name, counting)
    return counted


def _daily(weeks: int = 160) -> pd.DataFrame:
    dates = pd.bdate_range("2020-01-06", periods=weeks * 5)
    return bars_from_closes(random_walk(len(dates), seed=3), dates)


def test_a_weekly_chart_computes_each_indicator_once_for_the_read_and_the_figure(services, calls):
    state = ViewState(ticker=services.market.index_ticker, indicators=("sma50", "macd", "rsi"))
    view = chart_view(services, state)
    assert view.read is not None and view.read.channel is not None
    assert calls == Counter({"sma": 1, "macd": 1, "rsi": 1, "regression_channel": 1})


def test_a_daily_chart_computes_its_own_indicators_beside_the_weekly_read(services, calls):
    state = ViewState(ticker=services.market.index_ticker, interval="1d", indicators=("macd",))
    chart_view(services, state)
    assert calls["macd"] == 2  # weekly for the read, daily for the chart


def test_the_read_from_a_shared_study_equals_the_read_on_its_own():
    daily = _daily()
    alone = technical_read("W", daily, anchor="2022-06-01").to_dict()
    shared = technical_read(
        "W", daily, anchor="2022-06-01", weekly=Study(weekly_bars(daily))
    ).to_dict()
    assert shared == alone


def test_a_study_of_other_weeks_is_refused():
    daily = _daily()
    shorter = Study(weekly_bars(daily.iloc[:-10]))
    with pytest.raises(ValueError, match="weekly bars"):
        technical_read("W", daily, weekly=shorter)


def test_a_study_remembers_results_per_argument(calls):
    study = Study(_daily())
    assert study.sma(20) is study.sma(20)
    study.sma(50)
    assert study.channel(52, anchor="2021-03-01") is study.channel(52, anchor="2021-03-01")
    assert calls == Counter({"sma": 2, "regression_channel": 1})
    with pytest.raises(ValueError, match="close"):
        Study(pd.DataFrame({"open": [1.0]}))
