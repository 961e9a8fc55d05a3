"""Computed results (reads, movers, figures) cached by request key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class ResultCache(Protocol):
    """Returns the cached value for ``key``, computing and storing it when absent."""

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T: ...


class NoCache:
    """Computes every time: for tests and for a single local user."""

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        return compute()
