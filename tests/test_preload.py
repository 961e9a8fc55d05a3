"""gunicorn's master imports the libraries before forking, and the workers still serve."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hosting.preload import SHARED_MODULES, on_starting
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
