"""The window comes back where a person can see it, whatever screen it was saved on."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QTabWidget
from pytestqt.qtbot import QtBot

from balance_desk.gui.window.state import restore_frame


def saved_state(tmp_path: Path, qtbot: QtBot, rect: QRect) -> QSettings:
    other = QMainWindow()
    qtbot.addWidget(other)
    other.setGeometry(rect)
    state = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    state.setValue("window/geometry", other.saveGeometry())
    return state


def restored(tmp_path: Path, qtbot: QtBot, rect: QRect) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    restore_frame(window, QTabWidget(window), saved_state(tmp_path, qtbot, rect))
    return window


@pytest.mark.parametrize(
    "rect",
    [
        QRect(6000, 4000, 900, 600),  # on a monitor that is gone
        QRect(-3000, 100, 700, 500),  # on one to the left that is gone
        QRect(0, 0, 9000, 7000),  # from a far larger screen
    ],
)
def test_a_window_saved_elsewhere_comes_back_on_a_visible_screen(
    tmp_path: Path, qtbot: QtBot, rect: QRect
) -> None:
    window = restored(tmp_path, qtbot, rect)
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    available = screen.availableGeometry()
    assert available.contains(window.geometry()), (window.geometry(), available)
    assert window.width() >= min(window.minimumWidth(), available.width())


def test_a_window_saved_tiny_is_never_smaller_than_its_minimum(
    tmp_path: Path, qtbot: QtBot
) -> None:
    window = restored(tmp_path, qtbot, QRect(10, 10, 120, 90))
    assert window.minimumWidth() > 120 and window.minimumHeight() > 90
    assert window.width() >= window.minimumWidth()
    assert window.height() >= window.minimumHeight()


def test_a_window_that_fits_comes_back_as_it_was(tmp_path: Path, qtbot: QtBot) -> None:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    available = screen.availableGeometry()
    rect = QRect(available.left() + 10, available.top() + 10,
                 available.width() - 40, available.height() - 40)
    window = restored(tmp_path, qtbot, rect)
    assert window.size() == rect.size()


def test_the_window_state_file_is_the_users_alone(qtbot: QtBot, data_home: Path) -> None:
    import stat

    from balance_desk.gui.app import open_gui_state

    state = open_gui_state()
    state.setValue("window/tab", 1)
    state.sync()
    mode = stat.S_IMODE(Path(state.fileName()).stat().st_mode)
    assert mode == 0o600, oct(mode)
    again = open_gui_state()  # an older install's 0644 file is put right too
    Path(again.fileName()).chmod(0o644)
    assert stat.S_IMODE(Path(open_gui_state().fileName()).stat().st_mode) == 0o600
