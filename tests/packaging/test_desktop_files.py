"""The launcher and AppStream metadata pass their validators, and the user-level Linux install
puts them, with the icons, under XDG_DATA_HOME and takes exactly those away again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from balance_desk import APP_ID
from tests import REPO

DESKTOP = REPO / "resources" / f"{APP_ID}.desktop"
METAINFO = REPO / "resources" / f"{APP_ID}.metainfo.xml"
INSTALL = REPO / "packaging" / "install-linux.sh"
UNINSTALL = REPO / "packaging" / "uninstall-linux.sh"
# AppStream before 1.0 does not know the <developer> element the 1.0 spec asks for.
OLD_APPSTREAM_NOTES = {"unknown-tag developer"}


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (scripts/setup installs it)")
    return path


def desktop_file_validate(path: Path) -> None:
    result = subprocess.run(
        [need("desktop-file-validate"), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def appstream_validate(path: Path) -> None:
    tool = need("appstreamcli")
    plain = subprocess.run(
        [tool, "validate", "--no-net", str(path)], capture_output=True, text=True, check=False
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr
    # Stricter still: any note at all must be one we know and accept.
    strict = subprocess.run(
        [tool, "validate", "--no-net", "--strict", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    notes = re.findall(r"^[IWE]: \S+: (.+)$", strict.stdout, flags=re.MULTILINE)
    assert set(notes) <= OLD_APPSTREAM_NOTES, strict.stdout


def test_desktop_file_passes_desktop_file_validate() -> None:
    desktop_file_validate(DESKTOP)


def test_metainfo_passes_appstreamcli_validate() -> None:
    appstream_validate(METAINFO)


def test_metainfo_names_the_app_and_its_launcher() -> None:
    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.find("content_rating") is not None
    assert root.find("releases/release") is not None
    assert root.findall("screenshots/screenshot/image")


SCREENSHOT_URL = "https://raw.githubusercontent.com/balancedesk/balance-desk/main/"


def test_metainfo_screenshots_are_the_ones_in_docs() -> None:
    """Software centres fetch the screenshots by URL; each must be a file this repository
    publishes under docs/, large enough for a software centre (AppStream asks for 620x350)."""
    from PySide6.QtGui import QImageReader

    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    urls = [image.text or "" for image in root.iterfind("screenshots/screenshot/image")]
    assert urls
    for url in urls:
        assert url.startswith(SCREENSHOT_URL), url
        path = REPO / url.removeprefix(SCREENSHOT_URL)
        assert path.parent == REPO / "docs" and path.is_file(), url
        size = QImageReader(str(path)).size()
        assert size.width() >= 620 and size.height() >= 350, (url, size)


def install_env(data_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(data_home)
    return env


def run(script: Path, data_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [need("bash"), str(script), *args],
        env=install_env(data_home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_install_then_uninstall_leaves_nothing_behind(tmp_path: Path) -> None:
    data_home = tmp_path / "my data"  # a space in the path, as some homes have
    launcher = tmp_path / "bin dir" / "balance-desk-gui"
    launcher.parent.mkdir()
    launcher.write_text('#!/bin/sh\necho launched "$@"\n')
    launcher.chmod(0o755)

    run(INSTALL, data_home, "--exec", str(launcher))
    installed = tree(data_home)
    assert f"applications/{APP_ID}.desktop" in installed
    assert f"metainfo/{APP_ID}.metainfo.xml" in installed
    assert f"icons/hicolor/scalable/apps/{APP_ID}.svg" in installed
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        png = data_home / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
        assert (
            png.read_bytes()
            == (
                REPO / f"balance_desk/resources/icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
            ).read_bytes()
        )

    desktop = data_home / "applications" / f"{APP_ID}.desktop"
    desktop_file_validate(desktop)
    appstream_validate(data_home / "metainfo" / f"{APP_ID}.metainfo.xml")
    assert f'Exec="{launcher}"\n' in desktop.read_text()
    assert f'Exec="{launcher}" --demo\n' in desktop.read_text()

    # Installing again (an upgrade) is fine, and uninstalling removes every trace.
    run(INSTALL, data_home, "--exec", str(launcher))
    run(UNINSTALL, data_home)
    assert not data_home.exists()


def test_uninstall_keeps_what_was_there_before(tmp_path: Path) -> None:
    data_home = tmp_path / "share"
    other_app = data_home / "applications" / "other.desktop"
    app_data = data_home / "balance-desk" / "settings.json"
    for path in (other_app, app_data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not ours to remove\n")
    before = tree(data_home)

    run(INSTALL, data_home, "--exec", "/bin/true")
    assert tree(data_home) > before
    run(UNINSTALL, data_home)
    assert tree(data_home) == before
    assert other_app.read_text() == app_data.read_text() == "not ours to remove\n"


def test_install_finds_the_checkouts_venv_launcher(tmp_path: Path) -> None:
    venv_launcher = REPO / ".venv" / "bin" / "balance-desk-gui"
    if not venv_launcher.exists():
        pytest.skip("no .venv in this checkout (scripts/setup creates it)")
    data_home = tmp_path / "share"
    run(INSTALL, data_home)
    desktop = (data_home / "applications" / f"{APP_ID}.desktop").read_text()
    assert f"Exec={venv_launcher}\n" in desktop
    assert f"TryExec={venv_launcher}\n" in desktop
    run(UNINSTALL, data_home)
    assert not data_home.exists()


def test_install_uses_a_pip_installed_launcher_on_the_path(tmp_path: Path) -> None:
    """Without a checkout .venv (a copy of the packaging files alone), `pip install`'s
    balance-desk-gui on PATH is what the launcher runs."""
    checkout = tmp_path / "checkout"
    for part in ("packaging", "resources", "balance_desk/resources"):
        shutil.copytree(REPO / part, checkout / part)
    bin_dir = tmp_path / "pip-bin"
    bin_dir.mkdir()
    pip_launcher = bin_dir / "balance-desk-gui"
    pip_launcher.write_text("#!/bin/sh\nexit 0\n")
    pip_launcher.chmod(0o755)
    data_home = tmp_path / "share"
    env = install_env(data_home)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    subprocess.run(
        [need("bash"), str(checkout / "packaging" / "install-linux.sh")],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    desktop = (data_home / "applications" / f"{APP_ID}.desktop").read_text()
    assert f"Exec={pip_launcher}\n" in desktop


def test_uninstall_without_an_install_says_so(tmp_path: Path) -> None:
    result = run(UNINSTALL, tmp_path / "empty")
    assert "not installed" in result.stdout
