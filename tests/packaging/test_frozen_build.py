"""The PyInstaller one-folder build: it builds from packaging/balance-desk.spec, starts on the
demo and exits 0, keeps the icons, and still finds the OS keyring once frozen.

Slow (a full PyInstaller build, about half a minute here): skip locally with -m 'not frozen'.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from balance_desk import APP_ID
from tests import REPO

pytestmark = pytest.mark.frozen

SPEC = REPO / "packaging" / "balance-desk.spec"


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    result = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--workpath", str(work / "build"), "--distpath", str(work / "dist"), str(SPEC),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    app = work / "dist" / "balance-desk" / "balance-desk"
    assert app.is_file() and os.access(app, os.X_OK)
    size = sum(
        f.stat().st_size for f in app.parent.rglob("*") if f.is_file() and not f.is_symlink()
    )
    print(f"\nfrozen app: {app.parent} is {size / 1e6:.0f} MB")
    return app


def run_app(
    app: Path, *args: str, home: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BALANCE_DESK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.update(extra_env or {})
    return subprocess.run(
        [str(app), *args],
        env=env,
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_frozen_app_runs_the_demo_and_exits_0(frozen_app: Path, tmp_path: Path) -> None:
    result = run_app(frozen_app, "--demo", "--exit-after-refresh", home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Revolut X: ok" in result.stdout
    assert "Bank: ok" in result.stdout  # mutual TLS to the demo bank works once frozen too
    assert "BTC" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.xvfb
def test_frozen_app_runs_on_a_real_x_display(frozen_app: Path, tmp_path: Path) -> None:
    """The bundled xcb platform plugin and its libraries load (offscreen alone would not show)."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (scripts/setup installs xvfb)")
    env = dict(os.environ, BALANCE_DESK_HOME=str(tmp_path / "home"))
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [xvfb_run, "-a", str(frozen_app), "--demo", "--exit-after-refresh"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Revolut X: ok" in result.stdout
    assert "Bank: ok" in result.stdout


def test_frozen_app_finds_the_secret_service(frozen_app: Path, tmp_path: Path) -> None:
    if not os.environ.get("BALANCE_DESK_REAL_KEYRING"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the keyring tests on a real Secret Service (scripts/test)")
        pytest.skip("needs the private Secret Service that scripts/test starts")
    result = run_app(frozen_app, "--keyring-backend", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keyring.backends.SecretService.Keyring"


def test_frozen_app_without_a_secret_service_says_so(frozen_app: Path, tmp_path: Path) -> None:
    result = run_app(
        frozen_app,
        "--keyring-backend",
        home=tmp_path / "home",
        extra_env={
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
    )
    assert result.returncode == 1
    assert "no system keyring" in result.stderr


def test_frozen_bundle_carries_icons_and_keyring_metadata(frozen_app: Path) -> None:
    internal = frozen_app.parent / "_internal"
    icons = internal / "balance_desk" / "resources" / "icons"
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        assert (icons / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    for state in ("ok", "refreshing", "stale", "error"):
        assert (icons / "tray" / f"{state}-22.png").is_file()
    (entry_points,) = internal.glob("keyring-*.dist-info/entry_points.txt")
    assert "keyring.backends.SecretService" in entry_points.read_text()
    # Left out on purpose (see the spec): the GTK theme plugin and the GTK stack.
    assert not list(internal.glob("libgtk-3*"))
    assert not list(internal.rglob("libqgtk3*"))
