"""A source's entry in the status bar; its words are `present.status_text`'s."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from balance_desk.present.status_text import SETUP_LINK, status_text
from balance_desk.present.updates import SourceUpdate
from balance_desk.sources.base import SourceName


class SourceStatusLabel(QLabel):
    """A selectable status bar entry; the "Set up keys…" link asks for the key set-up."""

    set_up_keys_requested = Signal(str)

    def __init__(self, source: SourceName, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setObjectName(f"{source}Status")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        # Long error texts shrink into the space available instead of widening the window.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 20)
        self.linkActivated.connect(self._link)
        self.plain = ""

    def show_update(self, update: SourceUpdate, now: datetime) -> None:
        html, plain = status_text(update, now)
        self.plain = plain
        self.setText(html)
        self.setToolTip(plain)
        self.setAccessibleName(plain)

    def _link(self, link: str) -> None:
        if link.startswith(SETUP_LINK):
            self.set_up_keys_requested.emit(link.removeprefix(SETUP_LINK))
