"""The tray object and close-to-tray, offscreen (no tray host): menu, icon, notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from balance_desk.gui.tray.balance_tray import BalanceTray, CloseToTray, toggle_window
from balance_desk.gui.tray.icons import BADGE_COLOURS, state_pixmap
from balance_desk.model import CryptoBalance, ErrorInfo, RevolutXResult

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ok_result() -> RevolutXResult:
    return RevolutXResult(
        status="ok",
        fetched_at=T0,
        balances=(
            CryptoBalance(
                currency="BTC",
                available=Decimal("1.5"),
                reserved=Decimal("0"),
                total=Decimal("1.5"),
            ),
        ),
    )


def test_offscreen_has_no_tray_and_the_menu_still_drives_the_app(qtbot: QtBot) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()
    tray = BalanceTray(clock=lambda: T0)
    assert not tray.has_tray
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator() and a.isVisible()]
    assert texts == ["&Refresh now", "&Hide window", "&Privacy mode", "Set up &keys…", "&Quit"]
    with qtbot.waitSignal(tray.refresh_requested):
        tray.refresh_action.trigger()
    with qtbot.waitSignal(tray.setup_keys_requested):
        tray.keys_action.trigger()
    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()
    with qtbot.waitSignal(tray.privacy_toggled) as blocker:
        tray.privacy_action.trigger()
    assert blocker.args == [True]
    tray.record("revolut_x", ok_result())
    assert "BTC •••••" in tray.tooltip()
    # Privacy switched elsewhere (toolbar) updates the check mark without echoing a signal.
    with qtbot.assertNotEmitted(tray.privacy_toggled):
        tray.set_privacy(False)
    assert not tray.privacy_action.isChecked()
    assert "BTC 1.5" in tray.tooltip()


def test_state_badges_are_drawn_in_their_colours(qtbot: QtBot) -> None:
    for state, colour in BADGE_COLOURS.items():
        image = state_pixmap(state, 32).toImage().convertToFormat(QImage.Format.Format_ARGB32)
        # The badge fills much of the bottom-right quarter in its state's colour.
        badge = [
            image.pixelColor(x, y).name() for x in range(16, 32) for y in range(16, 32)
        ]
        assert badge.count(colour) > 60, state
        top_left = [image.pixelColor(x, y).name() for x in range(16) for y in range(16)]
        assert colour not in top_left, state


def test_failure_after_success_notifies_through_the_tray(qtbot: QtBot) -> None:
    tray = BalanceTray(clock=lambda: T0)
    tray.record("revolut_x", ok_result())
    with qtbot.waitSignal(tray.notified) as blocker:
        tray.record(
            "revolut_x",
            RevolutXResult(status="error", error=ErrorInfo(kind="network", message="x")),
        )
    assert blocker.args[0] == "Revolut X is not updating"
    assert tray.state == "stale"


def test_without_a_tray_closing_the_window_closes_it(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    tray = BalanceTray(use_tray=False)
    CloseToTray(window, tray, notice_shown=False)
    window.show()
    assert window.close()
    assert not window.isVisible()
    app = QApplication.instance()
    assert isinstance(app, QApplication) and app.quitOnLastWindowClosed()


# The offscreen platform cannot raise windows; a real desktop can.
@pytest.mark.qt_log_ignore("does not support raise")
def test_with_a_tray_closing_hides_once_with_a_notice_and_quit_really_closes(
    qtbot: QtBot,
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    tray = BalanceTray(use_tray=True)
    guard = CloseToTray(window, tray, notice_shown=False)
    window.show()
    assert tray.toggle_action.text() == "&Hide window"
    notices: list[str] = []
    tray.notified.connect(lambda title, _msg: notices.append(title))
    with qtbot.waitSignal(guard.first_hide):
        assert not window.close()  # refused: hidden instead
    assert not window.isVisible()
    assert tray.toggle_action.text() == "&Show window"
    toggle_window(window)
    assert window.isVisible()
    window.close()
    assert notices == ["Balance Desk is still running"]  # one time only
    toggle_window(window)
    guard.allow_close()
    assert window.close()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(True)
