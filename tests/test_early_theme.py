"""The saved theme is applied from <head>, before the stylesheets and before Dash starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import ASSETS, create_app
from components.early_theme import PERSISTENCE_KEY, with_early_theme
from settings import Settings


def test_the_page_loads_the_theme_script_once_before_its_stylesheets():
    page = create_app(Settings(source="demo")).server.test_client().get("/").get_data(as_text=True)
    assert page.count("early-theme.js") == 1
    assert page.index("/assets/early-theme.js?m=") < page.index('rel="stylesheet"')
    assert page.index("early-theme.js") < page.index("</head>")


def test_the_script_reads_the_key_dash_persists_the_switch_under():
    assert PERSISTENCE_KEY == "_dash_persistence.theme-switch.value.true"
    assert PERSISTENCE_KEY in (ASSETS / "early-theme.js").read_text(encoding="utf-8")


def test_an_index_string_without_a_css_slot_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="css"):
        with_early_theme("<html><head></head></html>", "/assets/early-theme.js", ASSETS)
    (tmp_path / "early-theme.js").write_text("// forgot the key", encoding="utf-8")
    with pytest.raises(ValueError, match="persistence key"):
        with_early_theme("<head>{%css%}</head>", "/x.js", tmp_path)
