"""Logs that do not copy a megabyte of crafted input (twice): every line and the whole
traceback cut short. (The limits themselves are tested on a real server: test_serve_limits.)"""

from __future__ import annotations

import io
import logging

import pytest

from app import create_app
from hosting.limits import LOG_LINE_LIMIT, LOG_RECORD_LIMIT, ShortRecords, cut
from settings import Settings


def test_cut_keeps_short_lines_and_says_how_much_it_cut():
    assert cut("short\nlines") == "short\nlines"
    assert cut("abcdef\nxy", limit=3) == "abc… (3 characters cut)\nxy"
    with pytest.raises(ValueError, match="positive limit"):
        cut("x", limit=0)


def _logged(logger: logging.Logger) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    name = "x" * 1_000_000
    try:
        try:
            try:
                {}[name]
            except KeyError as error:
                raise KeyError(f"Callback function not found for output '{name}'.") from error
        except KeyError:
            logger.exception("Exception on /_dash-update-component [POST] %s", name)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_logged_exception_with_a_megabyte_of_input_is_cut_short():
    logger = logging.getLogger("r2k-test-short-records")
    logger.addFilter(ShortRecords())

    text = _logged(logger)

    assert len(text) < LOG_RECORD_LIMIT + 2 * LOG_LINE_LIMIT
    assert "characters cut" in text
    assert "Callback function not found" in text and "KeyError" in text


def test_the_app_logger_cuts_records(tmp_path):
    app = create_app(Settings(source="demo", cache_dir=tmp_path / "cache"))
    assert len(_logged(app.server.logger)) < LOG_RECORD_LIMIT + 2 * LOG_LINE_LIMIT
