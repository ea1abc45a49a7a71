"""Fixtures for the GUI tests: the demo simulators, and a running app on them."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.simulator.demo import DemoEnvironment, start_demo
from tests.gui.support import App, start_app


@pytest.fixture(name="demo_env")
def demo_env_fixture() -> Iterator[DemoEnvironment]:
    # Values in GBP whatever the machine's locale, so that tests can expect exact figures.
    with start_demo(base_currency="GBP") as env:
        yield env


@pytest.fixture(name="gui_app")
def gui_app_fixture(qtbot: QtBot, demo_env: DemoEnvironment) -> Iterator[App]:
    app = start_app(qtbot, demo_env)
    yield app
    app.controller.shutdown()


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private Xvfb (1024x768): the environment for a process that needs a real X display."""
    xvfb_bin = shutil.which("Xvfb")
    if xvfb_bin is None:
        pytest.skip("needs Xvfb (scripts/setup installs it)")
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb_bin, "-displayfd", str(write_end), "-screen", "0", "1024x768x24",
         "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 15)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number.isdigit():
            pytest.fail("Xvfb did not start")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYLAND", "QT_QPA"))}
        env.update(DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb", HOME=str(tmp_path))
        yield env
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
