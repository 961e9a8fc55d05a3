"""Settings come from R2K_* variables and refuse what they cannot use."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import Settings


def test_defaults_are_local_and_safe(monkeypatch):
    monkeypatch.delenv("R2K_CACHE_DIR")
    settings = Settings()
    assert settings.source == "auto"
    assert (settings.host, settings.port, settings.debug) == ("127.0.0.1", 8050, False)
    assert settings.cache_dir.name == "r2k-dash"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("R2K_SOURCE", f"csv:{tmp_path}")
    monkeypatch.setenv("R2K_PORT", "9000")
    monkeypatch.setenv("R2K_DEBUG", "1")
    monkeypatch.setenv("R2K_TICKER", "AAPL")
    settings = Settings()
    assert settings.source == f"csv:{tmp_path}"
    assert settings.port == 9000 and settings.debug is True and settings.ticker == "AAPL"
    assert isinstance(settings.cache_dir, Path)


@pytest.mark.parametrize("source", ["bogus", "csv:", "YAHOO "])
def test_unknown_source_is_refused(monkeypatch, source):
    monkeypatch.setenv("R2K_SOURCE", source)
    with pytest.raises(ValidationError, match="auto, yahoo, demo or csv:DIR"):
        Settings()


def test_constituents_get_a_shorter_history_than_the_index(monkeypatch):
    assert (Settings().history_years, Settings().universe_years) == (12, 2)
    monkeypatch.setenv("R2K_UNIVERSE_YEARS", "3")
    assert Settings().universe_years == 3
    monkeypatch.setenv("R2K_UNIVERSE_YEARS", "0")
    with pytest.raises(ValidationError, match="universe_years"):
        Settings()
