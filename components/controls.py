"""The chart's controls, showing the view the page opens on (see ``control_values``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.view_state import CHANNEL_MAX, CHANNEL_MIN, EARLIEST_DATE

INDICATOR_LABELS = {
    "sma20": "SMA 20",
    "sma50": "SMA 50",
    "sma200": "SMA 200",
    "ema20": "EMA 20",
    "bb": "Bollinger (20, 2)",
    "channel": "Channel",
    "volume": "Volume",
    "macd": "MACD",
    "rsi": "RSI",
    "breadth": "Breadth (index)",
    "rates": "Yields (Relative tab)",
}
RANGE_LABELS = {
    "1m": "1M",
    "3m": "3M",
    "6m": "6M",
    "ytd": "YTD",
    "1y": "1Y",
    "2y": "2Y",
    "5y": "5Y",
    "10y": "10Y",
    "max": "Max",
}


def labelled(
    label: str, control: Component, width: str = "auto", target: str | None = None
) -> html.Div:
    """``control`` under its label; ``target`` (the id of the input it names) ties the two
    for screen readers and makes a click on the label focus the input."""
    return html.Div(
        [dbc.Label(label, html_for=target, className="small text-body-secondary mb-0"), control],
        style={"minWidth": width},
    )


def _date_picker_width(placeholder: str, shown: str | None) -> str:
    """The width a date picker takes once its code loads, a moment after the page appears:
    a date with its clear button, or else its placeholder. Its box keeps that width from
    the start, so the controls beside it do not move."""
    return "9.5rem" if shown else f"{2.5 + 0.5 * len(placeholder)}rem"


def create_date_picker(
    component_id: str, placeholder: str, today: date, shown: str | None = None
) -> dcc.DatePickerSingle:
    """A clearable YYYY-MM-DD picker limited to the dates a view may ask for; its calendar
    opens on the shown date or this month, near the data (not on 1990, its first month)."""
    return dcc.DatePickerSingle(
        id=component_id,
        date=shown,
        initial_visible_month=shown or today.isoformat(),
        min_date_allowed=EARLIEST_DATE.isoformat(),
        max_date_allowed=today.isoformat(),
        placeholder=placeholder,
        clearable=True,
        display_format="YYYY-MM-DD",
        className="r2k-date",
        style={"minWidth": _date_picker_width(placeholder, shown)},
    )


def create_labelled_date_picker(
    label: str, component_id: str, placeholder: str, today: date, shown: str | None
) -> html.Div:
    """``create_date_picker`` under its label, in a box as wide as the picker will be."""
    return labelled(
        label,
        create_date_picker(component_id, placeholder, today, shown),
        width=_date_picker_width(placeholder, shown),
    )


def create_chart_controls(index_ticker: str, today: date, shown: Mapping[str, Any]) -> html.Div:
    """Ticker, interval, range, scale, compare, channel window, as-of, indicators.

    The date pickers come last in their row: their code loads after the page appears.

    ``shown`` holds each control's value by component id.
    """
    return html.Div(
        [
            labelled(
                "Ticker",
                dbc.InputGroup(
                    [
                        dbc.Input(
                            id=ids.TICKER_INPUT,
                            value=shown[ids.TICKER_INPUT],
                            debounce=True,
                            maxLength=15,
                            placeholder="e.g. IWM",
                            list=ids.TICKER_OPTIONS,
                            autoComplete="off",
                            style={"maxWidth": "9rem"},
                        ),
                        html.Datalist(id=ids.TICKER_OPTIONS),
                        dcc.Store(id=ids.TICKER_CHOICES),
                        dbc.Button(
                            index_ticker,
                            id=ids.INDEX_BUTTON,
                            color="secondary",
                            outline=True,
                            className="r2k-outline",
                            title="Show the index",
                        ),
                    ],
                    size="sm",
                ),
                target=ids.TICKER_INPUT,
            ),
            labelled(
                "Interval",
                dbc.RadioItems(
                    id=ids.INTERVAL_RADIO,
                    options=[
                        {"label": "Weekly", "value": "1wk"},
                        {"label": "Daily", "value": "1d"},
                        {"label": "Monthly", "value": "1mo"},
                    ],
                    value=shown[ids.INTERVAL_RADIO],
                    inline=True,
                    className="small",
                ),
            ),
            labelled(
                "Range",
                dbc.Select(
                    id=ids.RANGE_SELECT,
                    options=[{"label": v, "value": k} for k, v in RANGE_LABELS.items()],
                    value=shown[ids.RANGE_SELECT],
                    size="sm",
                ),
                target=ids.RANGE_SELECT,
            ),
            labelled(
                "Scale",
                dbc.Switch(
                    id=ids.SCALE_SWITCH,
                    label="Log",
                    value=shown[ids.SCALE_SWITCH],
                    className="small",
                ),
            ),
            labelled(
                "Compare with",
                dbc.Input(
                    id=ids.COMPARE_INPUT,
                    value=shown[ids.COMPARE_INPUT],
                    debounce=True,
                    maxLength=15,
                    size="sm",
                    style={"maxWidth": "8rem"},
                ),
                target=ids.COMPARE_INPUT,
            ),
            labelled(
                f"Channel weeks ({CHANNEL_MIN}-{CHANNEL_MAX})",
                dbc.Input(
                    id=ids.CHANNEL_INPUT,
                    type="number",
                    value=shown[ids.CHANNEL_INPUT],
                    debounce=True,
                    size="sm",
                    style={"maxWidth": "6rem"},
                ),
                target=ids.CHANNEL_INPUT,
            ),
            create_labelled_date_picker(
                "Channel ends", ids.CHANNEL_END_DATE, "last bar", today, shown[ids.CHANNEL_END_DATE]
            ),
            create_labelled_date_picker(
                "As of", ids.AS_OF_DATE, "latest", today, shown[ids.AS_OF_DATE]
            ),
            labelled(
                "Show",
                dbc.Checklist(
                    id=ids.INDICATOR_CHECKLIST,
                    options=[{"label": v, "value": k} for k, v in INDICATOR_LABELS.items()],
                    value=shown[ids.INDICATOR_CHECKLIST],
                    inline=True,
                    className="small",
                ),
                width="100%",
            ),
        ],
        className="r2k-controls d-flex flex-wrap align-items-end gap-3 mb-2",
    )
