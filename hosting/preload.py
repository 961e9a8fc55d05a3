"""Libraries gunicorn's master imports before it forks its workers, so that they share them.

A worker still builds its own app (data source, caches, background manager): only code is
imported early, and importing these modules starts no thread and opens no file or socket,
so forking after it is safe. Their pages are then shared by every worker, and a host pays
for them once instead of once per worker. ``gunicorn -c python:hosting.preload app:server``
uses this module as its configuration; ``r2k serve`` sets the same hook.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

SHARED_MODULES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "pyarrow.csv",
    "plotly.graph_objects",
    "plotly.subplots",
    "flask",
    "dash",
    "dash_bootstrap_components",
    "dash_ag_grid",
    "talib",
    "pandas_ta",
    "app",
)
"""The third-party libraries a worker needs, then the app's own modules (``app`` imports them
all without building anything: see its module ``__getattr__``)."""


def import_shared_modules() -> None:
    """Import ``SHARED_MODULES`` into this process."""
    for name in SHARED_MODULES:
        importlib.import_module(name)


def on_starting(_server: Any) -> None:
    """gunicorn's hook in the master before it starts the workers.

    ``gc.freeze`` then keeps the collector of each worker from visiting (and so writing to,
    and so copying) the objects of those imports.
    """
    import_shared_modules()
    gc.freeze()
