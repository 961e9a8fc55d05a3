"""What each view control shows for a view: the layout's first values and the view's later ones.

One mapping, so the page opens with its controls already showing the URL's view and the view
callback has nothing to correct.
"""

from __future__ import annotations

from typing import Any

from analysis.movers import BIOTECH_PROXY_SECTOR
from components import ids
from components.view_state import PERIODS, ViewState

CONTROLS: tuple[tuple[str, str], ...] = (
    (ids.TICKER_INPUT, "value"),
    (ids.INTERVAL_RADIO, "value"),
    (ids.RANGE_SELECT, "value"),
    (ids.INDICATOR_CHECKLIST, "value"),
    (ids.SCALE_SWITCH, "value"),
    (ids.CHANNEL_INPUT, "value"),
    (ids.CHANNEL_END_DATE, "date"),
    (ids.AS_OF_DATE, "date"),
    (ids.COMPARE_INPUT, "value"),
    (ids.PERIOD_SELECT, "value"),
    (ids.PERIOD_FROM_DATE, "date"),
    (ids.INCLUDE_SECTORS, "value"),
    (ids.EXCLUDE_SECTORS, "value"),
    (ids.EXCLUDE_BIOTECH, "value"),
)
"""Every control of the view as (component id, property), in the view callback's order."""


def control_values(state: ViewState) -> list[Any]:
    """The value of each control in ``CONTROLS`` order, showing ``state``."""
    from_date = None if state.period in PERIODS else state.period
    return [
        state.ticker,
        state.interval,
        state.range,
        list(state.indicators),
        state.scale == "log",
        state.channel,
        state.channel_end.isoformat() if state.channel_end else None,
        state.as_of.isoformat() if state.as_of else None,
        state.compare or "",
        "from" if from_date else state.period,
        from_date,
        list(state.include),
        list(state.exclude),
        BIOTECH_PROXY_SECTOR in state.exclude,
    ]


def shown_values(state: ViewState) -> dict[str, Any]:
    """Each control's value showing ``state``, by component id (for the layout)."""
    return {
        component: value
        for (component, _), value in zip(CONTROLS, control_values(state), strict=True)
    }
