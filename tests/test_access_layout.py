"""What the page is made of for readers and exports, without a browser: labels, landmarks,
date pickers that open near the data, and the tables' columns and keys."""

from datetime import date

from dash import dcc, html

from app import create_app
from components import ids
from components.control_values import shown_values
from components.controls import create_chart_controls, create_date_picker
from components.movers import COLUMN_DEFS, create_grid
from components.view_state import ViewState
from settings import Settings

TODAY = date(2026, 11, 25)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def test_date_pickers_open_on_the_shown_date_or_this_month():
    assert create_date_picker("d", "x", TODAY).initial_visible_month == "2026-11-25"
    shown = create_date_picker("d", "x", TODAY, "2025-04-01")
    assert shown.initial_visible_month == "2025-04-01" and shown.date == "2025-04-01"


def test_text_inputs_and_the_range_select_have_labels_tied_to_them():
    controls = create_chart_controls("IWM", TODAY, shown_values(ViewState("IWM")))
    targets = {getattr(c, "html_for", None) for c in _walk(controls)}
    assert {ids.TICKER_INPUT, ids.RANGE_SELECT, ids.CHANNEL_INPUT, ids.COMPARE_INPUT} <= targets


def test_the_page_is_english_with_a_main_landmark_and_one_h1():
    app = create_app(Settings(source="demo"))
    assert '<html lang="en">' in app.index_string
    layout = app.layout()
    assert layout.tag == "main"
    assert [c for c in _walk(layout) if isinstance(c, html.H1)]
    pickers = [c for c in _walk(layout) if isinstance(c, dcc.DatePickerSingle)]
    assert len(pickers) == 3 and all(p.initial_visible_month for p in pickers)


def test_the_tables_export_numbers_keep_return_in_view_and_take_one_tab_stop():
    by_field = {column["field"]: column for column in COLUMN_DEFS}
    assert by_field["return_pct"]["pinned"] == "right"
    assert by_field["ticker"]["pinned"] == "left"
    for field in ("weight", "last_price", "return_pct"):
        assert by_field[field]["useValueFormatterForExport"] is False
    grid = create_grid(ids.TOP)
    assert grid.dashGridOptions["tabToNextCell"] == {"function": "false"}
    assert "r2kOpenRowOnKey" in grid.eventListeners["cellKeyDown"][0]
    assert grid.style["height"].endswith("px")
