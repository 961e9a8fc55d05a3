"""What the Flask server behind Dash refuses before any work: large bodies, unknown assets.

gunicorn refuses long request lines (414) and too many or too long headers (431); here the
body is capped (413, checked from ``Content-Length`` before anything reads it, and while
reading a body sent without one), a stalled body answers 408, a refused background job 429,
and a component-suite path Dash never registered answers 404 instead of Dash's 500. Every
such answer is one line of plain text. Logged errors are cut short, so a megabyte of
crafted input is not copied into the log (a traceback repeats an exception's message for
each chained exception).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import flask
from dash import Dash
from dash.exceptions import CallbackException, DependencyException
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

LOG_LINE_LIMIT = 500
"""Characters kept of each line of a logged message or traceback."""
LOG_RECORD_LIMIT = 20_000
"""Characters kept of a whole logged traceback."""


def _plain(message: str, status: int) -> flask.Response:
    return flask.Response(message + "\n", status=status, mimetype="text/plain")


def cut(text: str, limit: int = LOG_LINE_LIMIT) -> str:
    """``text`` with every line cut to ``limit`` characters, saying how much was cut."""
    if limit < 1:
        raise ValueError(f"expected a positive limit of characters, got {limit!r}")
    lines = []
    for line in text.split("\n"):
        extra = len(line) - limit
        lines.append(line if extra <= 0 else f"{line[:limit]}… ({extra} characters cut)")
    return "\n".join(lines)


class ShortRecords(logging.Filter):
    """Cuts a record's message and traceback before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = cut(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            shortened = cut(text)
            if len(shortened) > LOG_RECORD_LIMIT:
                shortened = shortened[:LOG_RECORD_LIMIT] + "\n… (traceback cut)"
            record.exc_text = shortened
        return True


def limit_requests(app: Dash, max_body_bytes: int) -> None:
    """Cap request bodies of ``app`` at ``max_body_bytes`` and answer refusals in plain text.

    Call it before any other ``before_request`` hook (the login's), so that an oversized
    body is refused before anything else looks at the request.
    """
    if max_body_bytes < 1:
        raise ValueError(f"expected a positive body limit in bytes, got {max_body_bytes!r}")
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    server.logger.addFilter(ShortRecords())
    too_large = f"Request body too large: at most {max_body_bytes} bytes are accepted."

    @server.before_request
    def _refuse_large_bodies() -> flask.Response | None:
        length = flask.request.content_length
        return _plain(too_large, 413) if length is not None and length > max_body_bytes else None

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> flask.Response:
        return _plain(too_large, 413)

    @server.errorhandler(TooManyRequests)
    def _too_many(error: TooManyRequests) -> flask.Response:
        return _plain(str(error.description), 429)

    @server.errorhandler(DependencyException)
    def _unknown_asset(_error: DependencyException) -> flask.Response:
        return _plain("Not found.", 404)

    @server.errorhandler(TimeoutError)
    def _stalled(_error: TimeoutError) -> flask.Response:
        return _plain("The request body stopped arriving; send it again.", 408)


def refuse_malformed_callbacks(app: Dash) -> None:
    """Answer 400 to a callback request that is not shaped as Dash's renderer sends one.

    Dash looks the body's ``output`` up in its callback map and answers 500 (logging the
    name it did not find) for an unknown one or a body that is not a JSON object, and raises
    ``CallbackException`` (a 500) for inputs or outputs that do not match the callback: both
    are the client's error. Call it after the login is required, so that only an authorised
    body is parsed here.
    """

    @app.server.errorhandler(CallbackException)
    def _mismatched(_error: CallbackException) -> flask.Response:
        return _plain("Malformed callback request: it does not match the callback.", 400)

    @app.server.before_request
    def _check_callback_body() -> flask.Response | None:
        request = flask.request
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        limit = flask.current_app.config.get("MAX_CONTENT_LENGTH")
        if request.content_length is None and limit and len(request.get_data()) >= limit:
            # A chunked body is read only up to the limit: one that reaches it was cut.
            return _plain(f"Request body too large: at most {limit - 1} bytes are accepted.", 413)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _plain("Malformed callback request: expected a JSON object.", 400)
        output = body.get("output")
        if not isinstance(output, str) or output not in app.callback_map:
            return _plain("Malformed callback request: no such callback output.", 400)
        if not _dependencies(body.get("outputs", [])) or not all(
            isinstance(body.get(part, []), list) and _dependencies(body.get(part, []))
            for part in ("inputs", "state")
        ):
            return _plain("Malformed callback request: expected lists of {id, property}.", 400)
        if not _counts_match(app.callback_map[output], body):
            return _plain("Malformed callback request: it does not match the callback.", 400)
        changed = body.get("changedPropIds", [])
        if not isinstance(changed, list) or not all(isinstance(p, str) for p in changed):
            return _plain("Malformed callback request: changedPropIds must be strings.", 400)
        return None


def _counts_match(callback: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the body has as many inputs, states and outputs as the callback it names.

    A pattern-matched dependency (an id such as ``{"side":["ALL"],...}``) is a list of
    dependencies in the body, one for each component it matches; any other is one object.
    """
    for part in ("inputs", "state"):
        given, defined = body.get(part, []), callback[part]
        if len(given) != len(defined):
            return False
        if any(
            isinstance(g, list) != d["id"].startswith("{")
            for g, d in zip(given, defined, strict=True)
        ):
            return False
    output = body["output"]
    outputs = body.get("outputs")
    if outputs is None:
        return True
    if not output.startswith(".."):
        return _output_matches(output, outputs)
    names = output.strip(".").split("...")
    return (
        isinstance(outputs, list)
        and len(outputs) == len(names)
        and all(_output_matches(n, o) for n, o in zip(names, outputs, strict=True))
    )


def _output_matches(name: str, given: object) -> bool:
    """A pattern-matched output is a list of dependencies; any other is one dependency."""
    if name.startswith("{"):
        return isinstance(given, list) and all(map(_dependency, given))
    return _dependency(given)


def _dependency(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str | dict)
        and isinstance(value.get("property"), str)
    )


def _dependencies(value: object) -> bool:
    """Whether ``value`` is a dependency, or a list of dependencies or lists of them."""
    if not isinstance(value, list):
        return _dependency(value)
    return all(
        _dependency(item) or (isinstance(item, list) and all(map(_dependency, item)))
        for item in value
    )
