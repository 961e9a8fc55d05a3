"""What gunicorn's master does before it forks its workers, so that they share it.

A worker still builds its own app (data source, caches, background manager): only code is
imported early (and Plotly's two themes built), which starts no thread and opens no file or
socket, so forking after it is safe. Their pages are then shared by every worker, and a host pays
for them once instead of once per worker. ``gunicorn -c python:hosting.preload app:server``
uses this module as its configuration; ``r2k serve`` sets the same hook.

A bench worker grew 1.1x over 1,000 requests, all of it in its first 400. Two causes are
dealt with here: Plotly's themes, which every worker otherwise built on its first message
chart (``pio.templates`` builds a template on first use, with a class for every trace
type: 13 to 18 MB per worker), and glibc's allocator, which is told to give large blocks
back to the kernel when they are freed (see ``return_large_blocks``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import platform
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

M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: blocks at least this large get a mapping of their own."""
MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's initial threshold, kept fixed: arrays of a few rows and up go back when freed."""


def import_shared_modules() -> None:
    """Import ``SHARED_MODULES`` into this process."""
    for name in SHARED_MODULES:
        importlib.import_module(name)


def load_plotly_themes() -> None:
    """Draw a message chart in each page theme, as a worker's first one would.

    Plotly builds a template once per process, on first use, with the trace classes it
    names; the breadth, comparison and message charts use them by name.
    """
    from charts.price import ChartStyle, message_figure

    for dark in (False, True):
        message_figure("", ChartStyle(dark=dark)).to_plotly_json()


def return_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Make glibc's malloc map every block of ``threshold`` bytes or more on its own.

    glibc raises that threshold each time such a block is freed (up to 32 MB), so later
    arrays of that size come from the heap, whose freed middle stays with the process:
    after a few hundred requests a worker held 15 to 20 MB more that nothing used.
    Setting it turns that adjustment off (``man mallopt``); workers inherit the setting
    through the fork. False where the C library is not glibc.
    """
    if threshold <= 0:
        raise ValueError(f"expected a positive number of bytes, got {threshold!r}")
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))


def on_starting(_server: Any) -> None:
    """gunicorn's hook in the master before it starts the workers.

    ``gc.freeze`` then keeps the collector of each worker from visiting (and so writing to,
    and so copying) the objects of those imports.
    """
    return_large_blocks()
    import_shared_modules()
    load_plotly_themes()
    gc.freeze()
