"""`balance-desk --demo --exit-after-refresh` as a user (or a smoke test) runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from balance_desk.fetcher.targets import DEMO_FAULT_ENV

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def run_app(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", DEMO_FAULT_ENV)
    }
    environ.update({"BALANCE_DESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"})
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "balance_desk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        check=False,
    )


def test_demo_exits_0_once_every_source_is_shown(data_home: Path) -> None:
    done = run_app(data_home, "--demo", "--exit-after-refresh")
    assert done.returncode == 0, done.stderr
    assert "Revolut X: ok" in done.stdout
    assert "Traceback" not in done.stderr
    assert (data_home / "gui.ini").exists()  # window state lives in the data directory


def test_demo_exits_1_when_a_source_fails(data_home: Path) -> None:
    done = run_app(data_home, "--demo", "--exit-after-refresh", **{DEMO_FAULT_ENV: "revolut_x"})
    assert done.returncode == 1, done.stderr
    assert "Revolut X: error" in done.stdout
    assert "Traceback" not in done.stderr


def test_without_a_display_it_says_so_instead_of_crashing(data_home: Path) -> None:
    done = run_app(data_home, "--demo", QT_QPA_PLATFORM="")
    assert done.returncode == 1
    assert "no graphical display" in done.stderr
    assert "balance-desk snapshot" in done.stderr
