"""The New York exchange's sessions: which daily bars are final and which are in progress.

During a session Yahoo's daily series ends with a live row stamped today. Stored as the day's
bar, its midday price would stand as the close (the next refresh sees the ticker as fresh), so
a bar counts as final only once its session has closed, by the exchange calendar (XNYS, with
its holidays and half-days) at the given moment. The moment is always passed in, never read
here, so tests and replays choose it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import exchange_calendars
import pandas as pd

EXCHANGE = "XNYS"
NEW_YORK = "America/New_York"


def now_utc() -> datetime:
    """The current moment, tz-aware (the default ``now`` of callers)."""
    return datetime.now(UTC)


def last_final_session(now: datetime, on_or_before: date | None = None) -> pd.Timestamp:
    """The last session (a tz-naive date) closed at ``now``, and not after ``on_or_before``.

    Outside the calendar's span (about 20 years back to one year ahead) business days stand
    in for sessions, and a day counts as closed once it is over.
    """
    moment = _moment(now)
    local_day = moment.tz_convert(NEW_YORK).date()
    day = pd.Timestamp(min(local_day, on_or_before) if on_or_before else local_day)
    try:
        calendar = exchange_calendars.get_calendar(EXCHANGE)
        session = calendar.date_to_session(day, direction="previous")
        if calendar.session_close(session) <= moment:
            return pd.Timestamp(session.date())
        return pd.Timestamp(calendar.previous_session(session).date())
    except exchange_calendars.errors.DateOutOfBounds:
        last = pd.offsets.BDay().rollback(day)
        return last if last.date() < local_day else last - pd.offsets.BDay(1)


def open_session(now: datetime) -> pd.Timestamp | None:
    """Today's session (a tz-naive date) when it has opened and not yet closed at ``now``."""
    moment = _moment(now)
    calendar = exchange_calendars.get_calendar(EXCHANGE)
    try:
        if not calendar.is_open_on_minute(moment.floor("min")):
            return None
        return pd.Timestamp(calendar.minute_to_session(moment.floor("min")).date())
    except exchange_calendars.errors.DateOutOfBounds:
        return None


def _moment(now: datetime) -> pd.Timestamp:
    if now.tzinfo is None:
        raise ValueError(f"a moment must carry its timezone (UTC or New York), got {now!r}")
    return pd.Timestamp(now).tz_convert("UTC")
