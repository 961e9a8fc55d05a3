"""Helpers for browser tests: waiting on a page that React re-renders under us."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until[T](
    condition: Callable[[], T], timeout: float = 20.0, message: str = "condition"
) -> T:
    """The first truthy value of ``condition()``; a vanished element counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the DOM is re-rendered under us: try again
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")
