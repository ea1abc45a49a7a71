"""Toolbar icons drawn as vector paths at whatever size and pixel ratio Qt asks for.

They stay crisp at 200% scaling and take their colour from the palette, so they follow light
and dark themes; a desktop icon theme, when one is installed, is preferred.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize
from PySide6.QtGui import (
    QColor,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication

Drawer = Callable[[QPainter, QRectF], None]


def _refresh(painter: QPainter, box: QRectF) -> None:
    inset = box.width() * 0.2
    ring = box.adjusted(inset, inset, -inset, -inset)
    path = QPainterPath()
    path.arcMoveTo(ring, 60)
    path.arcTo(ring, 60, 300)
    painter.drawPath(path)
    # Arrow head at the arc's open end (pointing along the arc, clockwise).
    end = path.currentPosition()
    size = box.width() * 0.2
    head = QPainterPath()
    head.moveTo(end + QPointF(-size * 0.9, -size * 0.35))
    head.lineTo(end)
    head.lineTo(end + QPointF(-size * 0.15, -size))
    painter.drawPath(head)


def _eye(painter: QPainter, box: QRectF, crossed: bool) -> None:
    w, h = box.width(), box.height()
    x, y = box.left(), box.top()
    path = QPainterPath()
    path.moveTo(x + w * 0.08, y + h * 0.5)
    path.quadTo(x + w * 0.5, y + h * 0.08, x + w * 0.92, y + h * 0.5)
    path.quadTo(x + w * 0.5, y + h * 0.92, x + w * 0.08, y + h * 0.5)
    painter.drawPath(path)
    painter.drawEllipse(QPointF(x + w * 0.5, y + h * 0.5), w * 0.13, h * 0.13)
    if crossed:
        painter.drawLine(QPointF(x + w * 0.15, y + h * 0.85), QPointF(x + w * 0.85, y + h * 0.15))


def _key(painter: QPainter, box: QRectF) -> None:
    w, h = box.width(), box.height()
    x, y = box.left(), box.top()
    painter.drawEllipse(QPointF(x + w * 0.3, y + h * 0.5), w * 0.16, h * 0.16)
    painter.drawLine(QPointF(x + w * 0.46, y + h * 0.5), QPointF(x + w * 0.9, y + h * 0.5))
    painter.drawLine(QPointF(x + w * 0.78, y + h * 0.5), QPointF(x + w * 0.78, y + h * 0.68))
    painter.drawLine(QPointF(x + w * 0.66, y + h * 0.5), QPointF(x + w * 0.66, y + h * 0.64))


DRAWERS: dict[str, Drawer] = {
    "refresh": _refresh,
    "privacy-on": lambda p, b: _eye(p, b, crossed=True),
    "privacy-off": lambda p, b: _eye(p, b, crossed=False),
    "keys": _key,
}


class GlyphEngine(QIconEngine):
    def __init__(self, drawer: Drawer) -> None:
        super().__init__()
        self._drawer = drawer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        from PySide6.QtCore import Qt

        palette = QApplication.palette()
        group = (
            QPalette.ColorGroup.Disabled
            if mode == QIcon.Mode.Disabled
            else QPalette.ColorGroup.Active
        )
        color = QColor(palette.color(group, QPalette.ColorRole.ButtonText))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color, max(1.0, rect.width() / 12))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        self._drawer(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pixmap = QPixmap(size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(QColor(0, 0, 0, 0))  # transparent
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return GlyphEngine(self._drawer)


THEME_NAMES = {
    "refresh": "view-refresh",
    "privacy-on": "view-private",
    "privacy-off": "view-visible",
    "keys": "dialog-password",
}


def glyph(name: str) -> QIcon:
    themed = QIcon.fromTheme(THEME_NAMES[name])
    if not themed.isNull():
        return themed
    return QIcon(GlyphEngine(DRAWERS[name]))
