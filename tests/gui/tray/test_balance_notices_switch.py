"""Balance change notices: off by default, switched from the tray menu, remembered."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.gui.desktop import Desktop
from balance_desk.gui.window.main_window import MainWindow


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Desktop also builds the start-at-login switch: keep its XDG entry in the test's folder.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def make_desktop(qtbot: QtBot, settings: Settings) -> Desktop:
    window = MainWindow()
    qtbot.addWidget(window)
    return Desktop(
        window,
        refresh=lambda: None,
        restart_sources=lambda: None,
        settings=settings,
        use_tray=False,
    )


def test_switch_is_in_the_tray_menu_off_by_default(qtbot: QtBot, config_home: Path) -> None:
    desktop = make_desktop(qtbot, Settings())
    action = desktop.balance_notices
    assert action in desktop.tray.menu.actions()
    assert not action.isChecked()
    assert not desktop.tray.model.notify_balance_changes


def test_turning_it_on_takes_effect_and_is_remembered(qtbot: QtBot, config_home: Path) -> None:
    desktop = make_desktop(qtbot, Settings())
    desktop.balance_notices.trigger()
    assert desktop.tray.model.notify_balance_changes
    assert Settings.load().notify_balance_changes
    # The next start begins with it on.
    assert make_desktop(qtbot, Settings.load()).balance_notices.isChecked()


def test_a_settings_file_that_cannot_be_written_flips_it_back(
    qtbot: QtBot, config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop = make_desktop(qtbot, Settings())
    problems: list[str] = []
    desktop.balance_notices.problem.connect(problems.append)

    def refuse(self: Settings, directory: Path | None = None) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(Settings, "save", refuse)
    desktop.balance_notices.trigger()
    assert not desktop.balance_notices.isChecked()
    assert not desktop.tray.model.notify_balance_changes
    assert problems == ["Could not turn on balance change notices: read-only file system"]
