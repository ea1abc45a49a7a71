"""A tinted, selectable message strip: loading, stale figures, errors, the demo banner."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)

from balance_desk.present.status_text import NoticeKind

_ACCENTS: dict[NoticeKind, QColor] = {
    "warning": QColor(214, 150, 0),
    "error": QColor(210, 60, 55),
    "demo": QColor(130, 80, 200),
}
_ICONS = {
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "demo": QStyle.StandardPixmap.SP_MessageBoxInformation,
}


def _mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    return QColor(
        round(a.red() * (1 - share_of_b) + b.red() * share_of_b),
        round(a.green() * (1 - share_of_b) + b.green() * share_of_b),
        round(a.blue() * (1 - share_of_b) + b.blue() * share_of_b),
    )


class NoticeBar(QFrame):
    """Shows rich text (callers escape anything that came from a server) and up to two buttons."""

    link_activated = Signal(str)

    def __init__(
        self, object_name: str, accessible_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)  # also the style sheet's selector: a plain identifier
        self.setAccessibleName(accessible_name)
        self._kind: NoticeKind = "info"
        self._copy_text = ""
        layout = QHBoxLayout(self)
        self.icon = QLabel(self)
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label.linkActivated.connect(self.link_activated)
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setAccessibleName("Copy the details of this message")
        self.copy_button.clicked.connect(self._copy)
        self.action_button = QPushButton(self)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.action_button.hide()
        self.copy_button.hide()
        self.hide()

    def show_message(
        self,
        kind: NoticeKind,
        html: str,
        *,
        copy_text: str = "",
        accessible: str = "",
    ) -> None:
        self._kind = kind
        self._copy_text = copy_text
        self.label.setText(html)
        self.label.setAccessibleName(accessible or self.accessibleName())
        self.copy_button.setVisible(bool(copy_text))
        self._restyle()
        self.show()

    def set_action(self, text: str | None) -> None:
        """A button (e.g. "Retry now"); its clicked signal is connected by the owner."""
        if text:
            self.action_button.setText(text)
            self.action_button.setAccessibleName(text.rstrip("…"))
        self.action_button.setVisible(bool(text))

    def text(self) -> str:
        return self.label.text()

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._copy_text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        style = self.style()
        extent = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self)
        icon = style.standardIcon(_ICONS[self._kind], None, self)
        self.icon.setPixmap(icon.pixmap(extent, extent))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        # Painted from the current palette (no style sheet), so it follows light and dark themes.
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Window)
        accent = _ACCENTS.get(self._kind, palette.color(QPalette.ColorRole.Highlight))
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(_mix(base, accent, 0.55), 1))
        painter.setBrush(_mix(base, accent, 0.16))
        radius = self.fontMetrics().height() / 4
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        painter.end()
