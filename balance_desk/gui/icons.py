"""The app icon and the tray-state icons, loaded from package data at run time.

The files come from `icons/render.py` and live in `balance_desk/resources/icons/`, so a wheel,
an editable checkout and a PyInstaller bundle all find them the same way (importlib.resources).
They are read as bytes, never as paths, so nothing depends on the package being unpacked on disk.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable

from PySide6.QtGui import QGuiApplication, QIcon, QPixmap

from balance_desk import APP_ID

APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
TRAY_ICON_SIZES = (16, 22, 24, 32, 48, 64)


class TrayState(StrEnum):
    """What the tray icon tells at a glance; the value names the icon files."""

    UP_TO_DATE = "ok"
    REFRESHING = "refreshing"
    STALE = "stale"  # the last refresh failed; older figures are still shown
    ERROR = "error"  # no figures to show


def icon_folder() -> Traversable:
    return resources.files("balance_desk").joinpath("resources", "icons")


def _pixmap(file: Traversable) -> QPixmap:
    pixmap = QPixmap()
    if not pixmap.loadFromData(file.read_bytes(), "PNG"):
        raise FileNotFoundError(f"Balance Desk icon missing or damaged: {file}")
    return pixmap


def _icon(files: list[Traversable]) -> QIcon:
    icon = QIcon()
    for file in files:
        icon.addPixmap(_pixmap(file))
    return icon


@functools.cache
def app_icon() -> QIcon:
    """The Balance Desk icon with every rendered size, so each surface gets sharp pixels."""
    hicolor = icon_folder() / "hicolor"
    return _icon([hicolor / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in APP_ICON_SIZES])


@functools.cache
def tray_icon(state: TrayState | str) -> QIcon:
    """The tray icon for `state`: the app icon plus a badge. Up to date and "idle" (nothing set
    up yet) show the plain icon: a quiet tray means nothing needs the user."""
    name = TrayState.UP_TO_DATE if state == "idle" else TrayState(state)
    tray = icon_folder() / "tray"
    return _icon([tray / f"{name.value}-{s}.png" for s in TRAY_ICON_SIZES])


def apply_app_identity(app: QGuiApplication) -> None:
    """Window icon everywhere, and the desktop file name that lets GNOME/KDE (Wayland above all)
    match our windows to the installed launcher and its icon."""
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)
