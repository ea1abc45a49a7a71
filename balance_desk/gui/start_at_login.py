"""The "Start at login" switch: one checkable action, shown in the toolbar and the tray menu."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtGui import QAction

from balance_desk import autostart
from balance_desk.config import Settings
from balance_desk.sources.errors import ConfigError

log = logging.getLogger(__name__)


class StartAtLoginAction(QAction):
    """Checked when Balance Desk starts (minimised to the tray) at login. Toggling writes the
    setting and the login entry together; if either fails the switch flips back and `problem`
    says why in words."""

    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("Start at &login", parent)
        self.setCheckable(True)
        self.setObjectName("startAtLoginAction")
        if autostart.is_supported():
            self.setToolTip("Open Balance Desk in the tray when you log in")
            try:
                self.setChecked(Settings.load().autostart)
            except ConfigError as exc:
                log.warning("Could not read the start-at-login setting: %s", exc)
        else:
            self.setEnabled(False)
            self.setToolTip("Starting at login is not available on this system yet")
        self.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        try:
            # Re-read the file so that only this one setting changes.
            stored = Settings.load()
            stored.autostart = on
            autostart.sync_with_settings(stored)
            stored.save()
        except (ConfigError, OSError) as exc:
            with QSignalBlocker(self):
                self.setChecked(not on)
            verb = "turn on" if on else "turn off"
            self.problem.emit(f"Could not {verb} starting at login: {exc}")
