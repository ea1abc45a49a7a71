"""The "Start at login" switch: one checkable action, shown in the toolbar and the tray menu."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSignalBlocker

from balance_desk import autostart
from balance_desk.config import Settings
from balance_desk.errors import ConfigError
from balance_desk.gui.setting_action import SettingAction

log = logging.getLogger(__name__)


class StartAtLoginAction(SettingAction):
    """Checked when Balance Desk starts (minimised to the tray) at login. Toggling writes the
    setting and the login entry together."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            "Start at &login",
            "autostart",
            parent,
            apply=autostart.sync_with_settings,
            words="starting at login",
        )
        self.setObjectName("startAtLoginAction")
        if autostart.is_supported():
            self.setToolTip("Open Balance Desk in the tray when you log in")
            try:
                with QSignalBlocker(self):
                    self.setChecked(Settings.load().autostart)
            except ConfigError as exc:
                log.warning("Could not read the start-at-login setting: %s", exc)
        else:
            self.setEnabled(False)
            self.setToolTip("Starting at login is not available on this system yet")
