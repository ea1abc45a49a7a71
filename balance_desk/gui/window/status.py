"""A source's entry in the status bar; its words are `present.status_text`'s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from balance_desk.present.status_text import RENEW_LINK, SETUP_LINK, status_text
from balance_desk.present.updates import SourceUpdate
from balance_desk.sources.base import SourceName


def elide_words(text: str, width: int, advance: Callable[[str], int]) -> str:
    """`text` cut after the last whole word that fits in `width` with "…" after it."""
    ellipsis = "…"
    words = text.split(" ")
    shown = ""
    for word in words:
        candidate = f"{shown} {word}" if shown else word
        if advance(candidate + ellipsis) > width:
            break
        shown = candidate
    if not shown:  # not even one word fits: cut inside it rather than show nothing
        shown = text
        while shown and advance(shown + ellipsis) > width:
            shown = shown[:-1]
    return shown.rstrip(" ·;,") + ellipsis


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
        self._html = ""

    def show_update(self, update: SourceUpdate, now: datetime) -> None:
        html, plain = status_text(update, now)
        self.plain = plain
        self._html = html
        self.setToolTip(plain)
        self.setAccessibleName(plain)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The whole text when it fits; else cut at the end with "…", never mid-word, and
        the whole text on hover (the tooltip)."""
        width = self.contentsRect().width()
        metrics = self.fontMetrics()
        if not self.plain or width <= 0 or metrics.horizontalAdvance(self.plain) <= width:
            self.setText(self._html)
            return
        self.setText(escape(elide_words(self.plain, width, metrics.horizontalAdvance)))

    def _link(self, link: str) -> None:
        if link.startswith((SETUP_LINK, RENEW_LINK)):
            # "renew:<name>" opens the key dialog at that bank connection's renewal.
            self.set_up_keys_requested.emit(link.removeprefix(SETUP_LINK))
