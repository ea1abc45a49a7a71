"""The tray icon on a real tray host: Xvfb plus Debian's `trayer` (a freedesktop system tray).

Run in a subprocess with the xcb platform: the rest of the suite is offscreen, and a Qt
application cannot switch platforms once it exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests import REPO

pytestmark = pytest.mark.xvfb

PROBE = r"""
import json, sys
from datetime import UTC, datetime
from decimal import Decimal
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from balance_desk.gui.tray.balance_tray import BalanceTray
from balance_desk.model import CryptoBalance, RevolutXResult

app = QApplication([])
deadline = datetime.now(UTC).timestamp() + 10
while not QSystemTrayIcon.isSystemTrayAvailable() and datetime.now(UTC).timestamp() < deadline:
    app.processEvents()
available = QSystemTrayIcon.isSystemTrayAvailable()
tray = BalanceTray()
tray.record("revolut_x", RevolutXResult(
    status="ok", fetched_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    balances=(CryptoBalance(currency="BTC", available=Decimal("1.25"),
                            reserved=Decimal("0"), total=Decimal("1.25")),)))
tray.show()

def report() -> None:
    icon = tray.icon
    geometry = icon.geometry() if icon is not None else None
    print(json.dumps({
        "available": available,
        "has_tray": tray.has_tray,
        "visible": icon is not None and icon.isVisible(),
        "geometry": [geometry.x(), geometry.y(), geometry.width(), geometry.height()]
                    if geometry is not None else None,
        "tooltip": icon.toolTip() if icon is not None else None,
        "icon_null": icon is None or icon.icon().isNull(),
    }), flush=True)
    app.quit()

def wait_for_geometry(tries=[0]) -> None:
    tries[0] += 1
    icon = tray.icon
    if icon is not None and icon.geometry().width() > 0 or tries[0] > 100:
        report()
    else:
        QTimer.singleShot(50, wait_for_geometry)

QTimer.singleShot(0, wait_for_geometry)
app.exec()
"""


@pytest.fixture
def tray_host(xvfb: dict[str, str]) -> Iterator[dict[str, str]]:
    trayer_bin = shutil.which("trayer")
    if trayer_bin is None:
        pytest.skip("needs trayer (scripts/setup installs it)")
    trayer = subprocess.Popen(
        [trayer_bin, "--edge", "top", "--align", "right", "--width", "10",
         "--height", "32", "--SetDockType", "true"],
        env=xvfb,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield xvfb
    finally:
        trayer.terminate()
        try:
            trayer.wait(timeout=5)
        except subprocess.TimeoutExpired:
            trayer.kill()


def test_icon_appears_in_a_real_tray_with_its_tooltip(tray_host: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=tray_host,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1]
    report = json.loads(line)
    assert report["available"] is True, done.stderr
    assert report["has_tray"] is True
    assert report["visible"] is True
    assert not report["icon_null"]
    x, y, width, height = report["geometry"]
    assert width > 0 and height > 0, report
    assert 0 <= x < 1024 and 0 <= y < 768
    tooltip = report["tooltip"]
    assert tooltip.startswith("Balance Desk\nRevolut X, updated ")
    assert "BTC 1.25" in tooltip
    assert "Bank: loading…" in tooltip
