"""Fixtures for the GUI tests: the demo simulators, and a running app on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.simulator.demo import DemoEnvironment, start_demo
from tests.gui.support import App, start_app


@pytest.fixture(name="demo_env")
def demo_env_fixture() -> Iterator[DemoEnvironment]:
    with start_demo() as env:
        yield env


@pytest.fixture(name="gui_app")
def gui_app_fixture(qtbot: QtBot, demo_env: DemoEnvironment) -> Iterator[App]:
    app = start_app(qtbot, demo_env)
    yield app
    app.controller.shutdown()
