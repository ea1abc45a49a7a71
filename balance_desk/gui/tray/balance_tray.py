"""The system tray icon, its menu, tooltip and notifications, and closing to the tray.

The decisions (state, tooltip, when to notify) live in `present.tray_text`; this module only
puts them on screen. Where no tray exists (plain GNOME, offscreen) the menu still works for
tests and nothing else depends on the tray: closing the window quits as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from balance_desk.gui.tray.icons import STATE_WORDS, state_icon
from balance_desk.present.tray_text import Notification, SourceResult, TrayModel, TrayState
from balance_desk.sources.base import SourceName, now_utc

if TYPE_CHECKING:
    from balance_desk.present.overview import OverviewData

# Re-read the clock this often so figures turn "not current" even when nothing new arrives.
RECHECK_MS = 60_000
NOTIFICATION_MS = 8_000


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class BalanceTray(QObject):
    """Owns the QSystemTrayIcon (when a tray exists) and the menu (always)."""

    refresh_requested = Signal()
    toggle_window_requested = Signal()
    privacy_toggled = Signal(bool)
    setup_keys_requested = Signal()
    # A bank connection (by name) to approve again.
    renew_requested = Signal(str)
    quit_requested = Signal()
    # For tests and screen readers: the last notification shown (title, message).
    notified = Signal(str, str)

    def __init__(
        self,
        model: TrayModel | None = None,
        parent: QObject | None = None,
        *,
        clock: Callable[[], datetime] = now_utc,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model or TrayModel()
        self._clock = clock
        self._state: TrayState | None = None
        self.menu = QMenu()
        self.menu.setAccessibleName("Balance Desk tray menu")
        self.refresh_action = self._action("&Refresh now", self.refresh_requested.emit)
        self.toggle_action = self._action("&Hide window", self.toggle_window_requested.emit)
        self.privacy_action = self._action("&Privacy mode", None)
        self.privacy_action.setCheckable(True)
        self.privacy_action.setChecked(self.model.privacy)
        self.privacy_action.toggled.connect(self._privacy_toggled)
        self.keys_action = self._action("Set up &keys…", self.setup_keys_requested.emit)
        # "Renew <bank>…" when a bank connection's consent lapses soon or was refused.
        self.renew_action = self._action("&Renew bank consent…", self._renew)
        self.renew_action.setVisible(False)
        self.menu.addSeparator()
        self.quit_action = self._action("&Quit", self.quit_requested.emit)

        available = tray_available() if use_tray is None else use_tray
        self.icon: QSystemTrayIcon | None = QSystemTrayIcon(self) if available else None
        if self.icon is not None:
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
        self._recheck = QTimer(self)
        self._recheck.setInterval(RECHECK_MS)
        self._recheck.timeout.connect(self.refresh_view)
        self.refresh_view()

    def _action(self, text: str, slot: Callable[[], None] | None) -> QAction:
        action = QAction(text, self.menu)
        if slot is not None:
            action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    @property
    def has_tray(self) -> bool:
        return self.icon is not None

    def show(self) -> None:
        if self.icon is not None:
            self.icon.show()
        self._recheck.start()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
        self._recheck.stop()

    # --- inputs --------------------------------------------------------------------------------

    def set_window_visible(self, visible: bool) -> None:
        self.toggle_action.setText("&Hide window" if visible else "&Show window")

    def set_privacy(self, on: bool) -> None:
        """Follow privacy mode set elsewhere (toolbar, shortcut) without echoing it back."""
        self.model.privacy = on
        if self.privacy_action.isChecked() != on:
            self.privacy_action.blockSignals(True)
            self.privacy_action.setChecked(on)
            self.privacy_action.blockSignals(False)
        self.refresh_view()

    def set_notify_balance_changes(self, on: bool) -> None:
        self.model.notify_balance_changes = on

    def set_refreshing(self, name: SourceName, refreshing: bool) -> None:
        self.model.set_refreshing(name, refreshing)
        self.refresh_view()

    def set_interval(self, name: SourceName, interval: timedelta) -> None:
        self.model.set_interval(name, interval)

    def set_overview(self, overview: OverviewData | None) -> None:
        """Net worth across every source, first in the tooltip."""
        if overview is not self.model.overview:
            self.model.overview = overview
            self.refresh_view()

    def record(self, name: SourceName, result: SourceResult) -> None:
        for note in self.model.record(name, result):
            self.notify(note)
        wanted = self.model.renewals(self._clock())
        self.renew_action.setVisible(bool(wanted))
        if wanted:
            self.renew_action.setText(f"&Renew {wanted[0][0]}…")
            self.renew_action.setData(wanted[0][0])
        self.refresh_view()

    def _renew(self) -> None:
        self.renew_requested.emit(str(self.renew_action.data()))

    # --- outputs -------------------------------------------------------------------------------

    @property
    def state(self) -> TrayState:
        return self.model.state(self._clock())

    def tooltip(self) -> str:
        return self.model.tooltip(self._clock())

    def refresh_view(self) -> None:
        state = self.state
        if self.icon is None:
            self._state = state
            return
        if state != self._state:
            self.icon.setIcon(state_icon(state))
            self._state = state
        self.icon.setToolTip(self.tooltip())

    def notify(self, note: Notification) -> None:
        self.notified.emit(note.title, note.message)
        if self.icon is None or not QSystemTrayIcon.supportsMessages():
            return
        kind = (
            QSystemTrayIcon.MessageIcon.Warning
            if note.warning
            else QSystemTrayIcon.MessageIcon.Information
        )
        self.icon.showMessage(note.title, note.message, kind, NOTIFICATION_MS)

    def state_words(self) -> str:
        return STATE_WORDS[self.state]

    # --- reactions -----------------------------------------------------------------------------

    def _privacy_toggled(self, on: bool) -> None:
        self.model.privacy = on
        self.refresh_view()
        self.privacy_toggled.emit(on)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # Left click toggles the window; the right click opens the menu by itself.
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window_requested.emit()


class CloseToTray(QObject):
    """An event filter on the main window: with a tray, closing hides the window instead.

    The first time, a notice says the app keeps running. Quitting (tray menu, Ctrl+Q) calls
    `allow_close()` first so the window's own close handling (saving geometry) still runs.
    """

    first_hide = Signal()

    def __init__(self, window: QWidget, tray: BalanceTray, *, notice_shown: bool) -> None:
        super().__init__(window)
        self._window = window
        self._tray = tray
        self._quitting = False
        self.notice_shown = notice_shown
        if tray.has_tray:
            # A hidden main window must not count as "the last window closed" when a dialog
            # opened from the tray is closed.
            app = QApplication.instance()
            if isinstance(app, QApplication):
                app.setQuitOnLastWindowClosed(False)
        window.installEventFilter(self)

    def allow_close(self) -> None:
        self._quitting = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window:
            if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
                self._tray.set_window_visible(event.type() == QEvent.Type.Show)
            elif (
                event.type() == QEvent.Type.Close
                and self._tray.has_tray
                and not self._quitting
                and isinstance(event, QCloseEvent)
            ):
                event.ignore()
                self._window.hide()
                if not self.notice_shown:
                    self.notice_shown = True
                    self._tray.notify(
                        Notification(
                            "Balance Desk is still running",
                            "It keeps your balances current in the tray. "
                            "Click the icon to open the window; choose Quit in its menu to exit.",
                        )
                    )
                    self.first_hide.emit()
                return True
        return super().eventFilter(watched, event)


def toggle_window(window: QWidget) -> None:
    """Left click on the tray: hide a shown window, bring a hidden or minimised one up."""
    if window.isVisible() and not window.isMinimized():
        window.hide()
    else:
        window.showNormal()
        window.raise_()
        window.activateWindow()
