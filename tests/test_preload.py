"""gunicorn's master imports the libraries before forking, and the workers still serve."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.timing import run_script_for_json
from hosting.preload import SHARED_MODULES, on_starting, return_large_blocks
from hosting.serve import gunicorn_options
from settings import Settings
from tests.servers import ROOT, free_port, wait_for_port


def _mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_the_master_holds_the_libraries_and_the_workers_serve(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "R2K_SOURCE": "demo",
        "R2K_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
    command += ["--no-control-socket", "--config", "python:hosting.preload", "app:server"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, timeout=90)
        page = httpx.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=60)
        assert page.status_code == 200
        mapped = _mapped_files(process.pid)
        assert "talib" in mapped.lower()  # TA-Lib's C library: loaded by pandas_ta's import
        assert "libarrow" in mapped
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_r2k_serve_preloads_with_the_same_hook():
    assert gunicorn_options(Settings())["on_starting"] is on_starting
    assert gunicorn_options(Settings())["preload_app"] is False  # each worker builds its app
    assert "app" in SHARED_MODULES


def _run_python(script: str, *args: str) -> float:
    """The number ``script`` prints last, run in a fresh interpreter (this one's allocator
    and modules stay as they are)."""
    return float(run_script_for_json(script, {**os.environ, "PYTHONPATH": str(ROOT)}, *args))


_FREED_BLOCKS = """
import sys, numpy as np, psutil
from hosting.preload import return_large_blocks
if sys.argv[1] == "fixed":
    assert return_large_blocks()
large = np.ones(20_000_000 // 8)
del large  # glibc raises its threshold to this block's size when it is freed
before = psutil.Process().memory_info().rss
blocks = [np.ones(1_000_000 // 8) for _ in range(50)]
del blocks[:-1]  # the last one, on top of the heap, keeps it from being trimmed
print((psutil.Process().memory_info().rss - before) / 1e6)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator")
def test_freed_arrays_go_back_to_the_kernel_once_the_threshold_is_fixed():
    held_by_default = _run_python(_FREED_BLOCKS, "dynamic")
    held_when_fixed = _run_python(_FREED_BLOCKS, "fixed")
    assert held_by_default > 40  # 49 freed blocks of 1 MB kept in the heap
    assert held_when_fixed < 5  # only the block still in use


def test_the_threshold_must_be_positive():
    with pytest.raises(ValueError, match="positive number of bytes"):
        return_large_blocks(0)


_FIRST_MESSAGE_CHARTS = """
import sys
from hosting.preload import on_starting
from charts.price import ChartStyle, message_figure
on_starting(None)
before = set(sys.modules)
for dark in (False, True):
    message_figure("No sector data", ChartStyle(dark=dark)).to_plotly_json()
print(len(set(sys.modules) - before))
"""


def test_a_worker_draws_its_first_message_chart_with_what_the_master_loaded():
    # Without the themes loaded before the fork, the first one imported 174 of Plotly's
    # modules (13 to 18 MB) into each worker.
    assert _run_python(_FIRST_MESSAGE_CHARTS) == 0
