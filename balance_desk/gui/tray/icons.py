"""The tray icon for each state: the rendered icons from `gui/icons.py` (package data) when
they load, otherwise the same idea drawn here with QPainter (the mark with a state badge), so
the tray never depends on a resource file being there.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from balance_desk.gui.icons import TrayState as IconState
from balance_desk.gui.icons import app_icon, tray_icon
from balance_desk.present.tray_text import TrayState

SIZES = (16, 22, 24, 32, 48, 64)
BADGE_COLOURS: dict[TrayState, str] = {
    "ok": "#2e9d57",
    "refreshing": "#2f6fd6",
    "stale": "#d99a1e",
    "error": "#d23c3c",
}
STATE_WORDS: dict[TrayState, str] = {
    "ok": "up to date",
    "refreshing": "refreshing",
    "stale": "not current",
    "error": "error",
    "idle": "not set up",
}


def _draw_base(painter: QPainter, size: int) -> None:
    # A rounded tile with two stacked bars: "balances, side by side".
    rect = QRectF(0.5, 0.5, size - 1.0, size - 1.0)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1f3b63"))
    painter.drawRoundedRect(rect, size * 0.2, size * 0.2)
    painter.setBrush(QColor("#f4f6fa"))
    bar_h = size * 0.16
    painter.drawRoundedRect(
        QRectF(size * 0.2, size * 0.28, size * 0.6, bar_h), bar_h / 2, bar_h / 2
    )
    painter.setBrush(QColor("#8fb4e8"))
    painter.drawRoundedRect(
        QRectF(size * 0.2, size * 0.56, size * 0.42, bar_h), bar_h / 2, bar_h / 2
    )


def _draw_badge(painter: QPainter, size: int, state: TrayState) -> None:
    colour = BADGE_COLOURS.get(state)
    if colour is None:
        return
    d = size * 0.5
    badge = QRectF(size - d, size - d, d, d).adjusted(0.5, 0.5, -0.5, -0.5)
    painter.setPen(QPen(QColor("#ffffff"), max(1.0, size / 32)))
    painter.setBrush(QBrush(QColor(colour)))
    painter.drawEllipse(badge)
    mark = QPen(QColor("#ffffff"), max(1.2, size / 14))
    mark.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(mark)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    c = badge.center()
    r = badge.width() * 0.26
    if state == "ok":
        path = QPainterPath(QPointF(c.x() - r, c.y()))
        path.lineTo(c.x() - r * 0.25, c.y() + r * 0.7)
        path.lineTo(c.x() + r, c.y() - r * 0.6)
        painter.drawPath(path)
    elif state == "refreshing":
        painter.drawArc(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), 30 * 16, 270 * 16)
    elif state == "stale":  # a clock: it is old
        painter.drawLine(c, QPointF(c.x(), c.y() - r))
        painter.drawLine(c, QPointF(c.x() + r * 0.7, c.y()))
    else:  # error: an exclamation mark
        painter.drawLine(QPointF(c.x(), c.y() - r), QPointF(c.x(), c.y() + r * 0.2))
        painter.drawPoint(QPointF(c.x(), c.y() + r * 0.85))


def state_pixmap(state: TrayState, size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    pixels = round(size * device_pixel_ratio)
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _draw_base(painter, pixels)
    _draw_badge(painter, pixels, state)
    painter.end()
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


def state_icon(state: TrayState) -> QIcon:
    try:
        provided = app_icon() if state == "idle" else tray_icon(IconState(state))
    except (FileNotFoundError, ValueError):
        provided = QIcon()
    if not provided.isNull():
        return provided
    return drawn_icon(state)


def drawn_icon(state: TrayState) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(state_pixmap(state, size))
        icon.addPixmap(state_pixmap(state, size, 2.0))  # crisp at 200% scaling
    return icon
