"""The title a window manager shows, read from a real X server: said once, not twice."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import REPO

pytestmark = pytest.mark.xvfb


def _window_titles(env: dict[str, str], deadline: float) -> list[str]:
    """The titles (_NET_WM_NAME) of the app's mapped windows, once the main window has one."""
    xwininfo, xprop = shutil.which("xwininfo"), shutil.which("xprop")
    assert xwininfo is not None and xprop is not None
    titles: list[str] = []
    while time.monotonic() < deadline and not any("Demo" in title for title in titles):
        time.sleep(0.2)
        tree = subprocess.run([xwininfo, "-root", "-tree"], env=env, capture_output=True,
                              text=True, timeout=10, check=False).stdout
        titles = []
        for window_id in re.findall(r"^\s+(0x[0-9a-f]+) \"[^\"]*Balance Desk", tree, re.M):
            shown = subprocess.run([xprop, "-id", window_id, "_NET_WM_NAME"], env=env,
                                   capture_output=True, text=True, timeout=10, check=False)
            found = re.search(r'= "(.*)"$', shown.stdout.strip())
            if found:
                titles.append(found.group(1))
    return titles


def test_the_demo_window_is_titled_once(xvfb: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("xprop") is None or shutil.which("xwininfo") is None:
        pytest.skip("needs xprop and xwininfo (x11-utils; scripts/setup installs it)")
    env = {**xvfb, "BALANCE_DESK_HOME": str(tmp_path / "home")}
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        app = subprocess.Popen([sys.executable, "-m", "balance_desk", "--demo"], cwd=REPO,
                               env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            titles = _window_titles(env, time.monotonic() + 60)
        finally:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
    main = [title for title in titles if "Demo data" in title]
    assert main == ["Balance Desk — Demo data"], (titles, log.read_text())
