"""An installed wheel carries the icons and finds them at run time, away from this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests import REPO

ICONS = REPO / "balance_desk" / "resources" / "icons"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources, so the checkout gets no build/ or egg-info clutter."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "balance_desk",
        source / "balance_desk",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    out = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("balance_desk-*.whl")
    return built


def test_wheel_contains_every_icon(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(REPO)) for p in ICONS.rglob("*") if p.is_file()}
    assert len(expected) > 30  # hicolor sizes, scalable, and four tray states at six sizes
    assert expected <= names, sorted(expected - names)


def test_installed_wheel_loads_its_icons(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    probe = (
        "import balance_desk, pathlib, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from balance_desk.gui.icons import TrayState, app_icon, tray_icon\n"
        "print(pathlib.Path(balance_desk.__file__).parent)\n"
        "print(sorted(s.width() for s in app_icon().availableSizes()))\n"
        "print(all(not tray_icon(s).isNull() for s in TrayState))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    location, sizes, trays = result.stdout.splitlines()
    assert Path(location) == target / "balance_desk"  # the wheel's copy, not the checkout
    assert sizes == "[16, 22, 24, 32, 48, 64, 128, 256]"
    assert trays == "True"
