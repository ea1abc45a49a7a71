"""Toolbar icons drawn as vector paths at whatever size and pixel ratio Qt asks for.

They stay crisp at 200% scaling and take their colour from the palette, so they follow light
and dark themes; a desktop icon theme, when one is installed, is preferred.

The shapes are SVG on a 24-unit grid, rendered by Qt's SVG renderer: drawing them with QPainter
from Python needs pen caps and joins from the `Qt` namespace, whose Python enums PySide6 builds
on first use (~15 ms), and the toolbar paints them in the window's very first frame.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

# Stroke width 2 of 24: the pen is a twelfth of the icon's size, with round caps and joins.
_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="{color}" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{shapes}</svg>'
)
_EYE = (
    '<path d="M1.92 12 Q12 1.92 22.08 12 Q12 22.08 1.92 12"/>'
    '<circle cx="12" cy="12" r="3.12"/>'
)
SHAPES: dict[str, str] = {
    # A ring from 60° round to 0° (counter-clockwise, 300°), an arrow head at its open end.
    "refresh": (
        '<path d="M15.6 5.765 A7.2 7.2 0 1 0 19.2 12"/>'
        '<path d="M14.88 10.32 L19.2 12 L18.48 7.2"/>'
    ),
    "privacy-on": _EYE + '<path d="M3.6 20.4 L20.4 3.6"/>',
    "privacy-off": _EYE,
    "keys": (
        '<circle cx="7.2" cy="12" r="3.84"/>'
        '<path d="M11.04 12 L21.6 12 M18.72 12 L18.72 16.32 M15.84 12 L15.84 15.36"/>'
    ),
}


def svg(name: str, color: QColor) -> bytes:
    return _SVG.format(color=color.name(), shapes=SHAPES[name]).encode()


class GlyphEngine(QIconEngine):
    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        from PySide6.QtSvg import QSvgRenderer

        palette = QApplication.palette()
        group = (
            QPalette.ColorGroup.Disabled
            if mode == QIcon.Mode.Disabled
            else QPalette.ColorGroup.Active
        )
        # Not wrapped in QColor(): choosing among its constructors builds the `Qt` enums.
        color = palette.color(group, QPalette.ColorRole.ButtonText)
        QSvgRenderer(QByteArray(svg(self._name, color))).render(painter, QRectF(rect))

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
        return GlyphEngine(self._name)


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
    return QIcon(GlyphEngine(name))
