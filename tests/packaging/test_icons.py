"""The app and tray icons: every size is there with the right pixels, the Windows and macOS
containers parse, the committed rasters match their SVGs, and the app loads them at run time."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageReader
from PySide6.QtSvg import QSvgRenderer
from pytestqt.qtbot import QtBot

from balance_desk import APP_ID
from balance_desk.gui.icons import (
    APP_ICON_SIZES,
    TRAY_ICON_SIZES,
    TrayState,
    app_icon,
    apply_app_identity,
    tray_icon,
)
from tests import REPO

ICONS = REPO / "balance_desk" / "resources" / "icons"
HICOLOR = ICONS / "hicolor"
ICO = REPO / "packaging" / "balance-desk.ico"
ICNS = REPO / "packaging" / "balance-desk.icns"


def argb(path: Path | QImage) -> QImage:
    image = path if isinstance(path, QImage) else QImage(str(path))
    assert not image.isNull(), path
    return image.convertToFormat(QImage.Format.Format_ARGB32)


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256])
def test_hicolor_png_at_every_freedesktop_size(size: int) -> None:
    image = argb(HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()
    # The rounded tile leaves the corner see-through and fills the middle.
    assert image.pixelColor(0, 0).alpha() < 32
    assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_scalable_icon_is_a_square_svg_qt_can_draw() -> None:
    renderer = QSvgRenderer(str(HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"))
    assert renderer.isValid()
    box = renderer.viewBoxF()
    assert box.width() == box.height() > 0


def test_small_sizes_are_drawn_on_whole_pixels() -> None:
    """16 px comes from the hinted drawing: the balance beam is one solid white row, not a
    blurred grey smear that a downscaled 256 px drawing would give."""
    image = argb(HICOLOR / "16x16" / "apps" / f"{APP_ID}.png")
    beam = [image.pixelColor(x, 4) for x in range(2, 14)]
    assert all(c.red() == c.green() == c.blue() == 255 for c in beam)


def luminance(red: int, green: int, blue: int) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


@pytest.mark.parametrize("state", list(TrayState))
@pytest.mark.parametrize("panel", ["#F0F0F0", "#202124"], ids=["light-panel", "dark-panel"])
def test_tray_icon_outline_stands_out_on_light_and_dark_panels(
    state: TrayState, panel: str
) -> None:
    """Most of the icon's outline has at least 3:1 contrast (WCAG's figure for UI graphics)
    against the panel, on a light and on a dark panel alike."""
    image = argb(ICONS / "tray" / f"{state.value}-22.png")
    bg = tuple(int(panel[i : i + 2], 16) for i in (1, 3, 5))
    bg_lum = luminance(*bg)
    size = image.width()

    def opaque(x: int, y: int) -> bool:
        return 0 <= x < size and 0 <= y < size and image.pixelColor(x, y).alpha() == 255

    ratios = []
    for y in range(size):
        for x in range(size):
            neighbours = [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
            if opaque(x, y) and not all(opaque(*n) for n in neighbours):
                c = image.pixelColor(x, y)
                lum = luminance(c.red(), c.green(), c.blue())
                ratios.append((max(lum, bg_lum) + 0.05) / (min(lum, bg_lum) + 0.05))
    assert ratios
    assert sum(r >= 3 for r in ratios) / len(ratios) >= 0.75


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64])
def test_each_tray_state_looks_different_at_every_size(size: int) -> None:
    images = {s: argb(ICONS / "tray" / f"{s.value}-{size}.png") for s in TrayState}
    for image in images.values():
        assert (image.width(), image.height()) == (size, size)
    states = list(images)
    for i, a in enumerate(states):
        for b in states[i + 1 :]:
            assert images[a] != images[b], (a, b, size)


def test_tray_svgs_exist_for_every_state() -> None:
    for state in TrayState:
        assert QSvgRenderer(str(ICONS / "tray" / f"{state.value}.svg")).isValid()


def test_committed_rasters_match_the_svgs() -> None:
    """Someone who edits an SVG and forgets `icons/render.py` is told so here."""
    result = subprocess.run(
        [sys.executable, str(REPO / "icons" / "render.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_windows_ico_holds_every_size() -> None:
    data = ICO.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 6)
    declared = []
    for i in range(count):
        w, h, _, _, planes, bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert (planes, bits) == (1, 32)
        assert w == h
        assert offset + length <= len(data)
        declared.append(w or 256)
    assert declared == [16, 24, 32, 48, 64, 256]
    reader = QImageReader(str(ICO))
    assert reader.format().data() == b"ico"
    sizes = []
    for i in range(reader.imageCount()):
        assert reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        assert image.pixelColor(0, 0).alpha() < 32  # transparency survived the container
        sizes.append(image.width())
    assert sorted(sizes) == [16, 24, 32, 48, 64, 256]


# Qt's icns reader warns about any table of contents, even a one-entry one laid out as Apple's
# iconutil and Pillow write it (lengths include the 8-byte header), then reads every element.
@pytest.mark.qt_log_ignore("QICNSHandler::scanDevice")
def test_macos_icns_table_of_contents_matches_its_png_elements() -> None:
    data = ICNS.read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    elements: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        ostype, length = data[pos : pos + 4], struct.unpack_from(">I", data, pos + 4)[0]
        assert length >= 8 and pos + length <= len(data)
        elements.append((ostype, data[pos + 8 : pos + length]))
        pos += length
    assert pos == len(data)
    toc_type, toc = elements[0]
    assert toc_type == b"TOC "
    listed = [
        (toc[i : i + 4], struct.unpack_from(">I", toc, i + 4)[0]) for i in range(0, len(toc), 8)
    ]
    assert listed == [(t, len(payload) + 8) for t, payload in elements[1:]]
    expected = {
        b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
        b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512,
    }  # fmt: skip
    assert {t for t, _ in elements[1:]} == set(expected)
    for ostype, payload in elements[1:]:
        assert payload[:8] == b"\x89PNG\r\n\x1a\n", ostype
        image = QImage.fromData(payload)
        assert (image.width(), image.height()) == (expected[ostype],) * 2, ostype
    # Qt's own icns reader agrees.
    reader = QImageReader(str(ICNS))
    assert reader.imageCount() == len(expected)
    assert not reader.read().isNull()


def test_app_icon_offers_every_size(qtbot: QtBot) -> None:
    sizes = app_icon().availableSizes()
    assert {s.width() for s in sizes} == set(APP_ICON_SIZES)
    pixmap = app_icon().pixmap(QSize(16, 16))
    assert pixmap.toImage().pixelColor(7, 4).name() == "#ffffff"  # the hinted 16 px drawing


def test_tray_icon_per_state(qtbot: QtBot) -> None:
    for state in TrayState:
        icon = tray_icon(state)
        assert {s.width() for s in icon.availableSizes()} == set(TRAY_ICON_SIZES)
    error = tray_icon(TrayState.ERROR).pixmap(QSize(22, 22)).toImage()
    ok = tray_icon("ok").pixmap(QSize(22, 22)).toImage()
    assert error != ok
    # "idle" (nothing set up) is the quiet icon, like up to date.
    assert tray_icon("idle").pixmap(QSize(22, 22)).toImage() == ok
    with pytest.raises(ValueError):
        tray_icon("sparkly")


def test_app_identity_sets_window_icon_and_desktop_file_name(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_app_identity(app)
    assert app.desktopFileName() == APP_ID
    assert not app.windowIcon().isNull()
