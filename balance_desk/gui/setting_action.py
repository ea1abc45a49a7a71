"""A checkable action bound to one on/off field of the settings file."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtGui import QAction

from balance_desk.config import Settings
from balance_desk.errors import ConfigError

log = logging.getLogger(__name__)


class SettingAction(QAction):
    """Toggling rewrites just this field of settings.json (re-read first, so that a demo
    session's settings never reach the file) after `apply` has put it into effect. If either
    fails, the switch flips back and `problem` says why in words."""

    problem = Signal(str)

    def __init__(
        self,
        text: str,
        field: str,
        parent: QObject | None = None,
        *,
        apply: Callable[[Settings], None] | None = None,
        words: str = "change this setting",
    ) -> None:
        super().__init__(text, parent)
        self._field = field
        self._apply = apply
        self._words = words
        self.setCheckable(True)
        self.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        try:
            stored = Settings.load()
            setattr(stored, self._field, on)
            if self._apply is not None:
                self._apply(stored)
            stored.save()
        except (ConfigError, OSError) as exc:
            with QSignalBlocker(self):
                self.setChecked(not on)
            self._put_back(not on)
            verb = "turn on" if on else "turn off"
            self.problem.emit(f"Could not {verb} {self._words}: {exc}")

    def _put_back(self, value: bool) -> None:
        """Undo what `apply` may already have done, so the switch and its effect agree."""
        if self._apply is None:
            return
        try:
            stored = Settings.load()
        except ConfigError:
            stored = Settings()
        setattr(stored, self._field, value)
        try:
            self._apply(stored)
        except (ConfigError, OSError) as exc:
            log.warning("Could not undo %s: %s", self._words, exc)
