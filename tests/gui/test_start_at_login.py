"""The "Start at login" action writes the setting and the login entry together."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk import APP_ID, autostart
from balance_desk.config import Settings
from balance_desk.gui.start_at_login import StartAtLoginAction


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_checking_starts_at_login_and_unchecking_stops(qtbot: QtBot, config_home: Path) -> None:
    Settings(privacy_mode=True).save()
    action = StartAtLoginAction()
    assert action.isEnabled() and not action.isChecked()

    action.trigger()
    assert action.isChecked()
    assert (config_home / "autostart" / f"{APP_ID}.desktop").is_file()
    stored = Settings.load()
    assert stored.autostart
    assert stored.privacy_mode  # the other settings are left alone

    action.trigger()
    assert not action.isChecked()
    assert not autostart.is_enabled()
    assert not Settings.load().autostart


def test_action_shows_the_stored_setting(qtbot: QtBot, config_home: Path) -> None:
    Settings(autostart=True).save()
    assert StartAtLoginAction().isChecked()


def test_failure_flips_back_and_says_why(qtbot: QtBot, config_home: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the folder should be")
    action = StartAtLoginAction()
    with qtbot.waitSignal(action.problem) as blocker:
        action.trigger()
    assert not action.isChecked()
    assert not Settings.load().autostart
    assert blocker.args is not None
    assert "Could not turn on starting at login" in blocker.args[0]


def test_app_start_refreshes_but_never_deletes_the_entry(config_home: Path) -> None:
    autostart.set_enabled(True, ["/old/place/balance-desk-gui"])
    autostart.refresh_at_start(Settings(autostart=False))
    assert autostart.is_enabled()  # a second copy or a test run does not remove it
    autostart.refresh_at_start(Settings(autostart=True))
    assert "/old/place" not in autostart.entry_path().read_text()


def test_window_toolbar_and_tray_menu_share_the_switch(qtbot: QtBot, config_home: Path) -> None:
    from balance_desk.gui.desktop import Desktop
    from balance_desk.gui.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    desktop = Desktop(
        window,
        refresh=lambda: None,
        restart_sources=lambda: None,
        settings=Settings(),
        use_tray=False,
    )
    action = desktop.start_at_login
    assert action in window.toolbar.actions()
    menu = desktop.tray.menu.actions()
    assert menu.index(action) == menu.index(desktop.tray.quit_action) - 1
    action.trigger()  # from the toolbar; the tray menu's check mark is the same action
    assert autostart.is_enabled()
    assert Settings.load().autostart
