"""Start-up order: the window paints before the heavy parts load, and they all follow."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import balance_desk.main as entry
from balance_desk.cli.main import build_parser
from balance_desk.fetcher.runner import SourceRunner
from balance_desk.gui.app import AppController
from balance_desk.present.formatting import NumberFormat
from tests import REPO

ROOT = REPO
# Offscreen has no window manager and no tray: its complaints about either are expected.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                       "systemTrayWindowChanged")

HEAVY_AT_FIRST_PAINT = """
import sys
import balance_desk.gui.app as app
report = app.AppController._report_first_paint
def with_modules(self):
    heavy = ("pydantic", "httpx", "keyring", "cryptography", "balance_desk.model")
    print("loaded", ",".join(m for m in heavy if m in sys.modules), flush=True)
    report(self)
app.AppController._report_first_paint = with_modules
from balance_desk.main import main
raise SystemExit(main(["--demo"]))
"""


def test_nothing_heavy_is_imported_before_the_first_paint(data_home: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BALANCE_DESK_HOME=str(data_home),
               BALANCE_DESK_FIRST_PAINT_EXIT="1")
    done = subprocess.run([sys.executable, "-c", HEAVY_AT_FIRST_PAINT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert "loaded " in lines, done.stdout
    assert any(line.startswith("first-paint ") for line in lines)


@pytest.mark.parametrize(
    "argv",
    [list(flags) for n in range(4) for flags in itertools.combinations(
        ["--demo", "--exit-after-refresh", "--minimized", "-v"], n)],
)
def test_gui_flags_mean_what_the_full_parser_says(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[argparse.Namespace] = []
    early: list[tuple[str, bool]] = []

    def run_gui(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    def start_early(target: str, *, prefetch: bool) -> None:
        early.append((target, prefetch))  # recorded, not started: no app adopts it here

    monkeypatch.setattr(entry, "open_app", run_gui)
    monkeypatch.setattr("balance_desk.fetcher.early.start_early", start_early)
    assert entry.main(argv) == 0
    full = build_parser().parse_args(argv)
    assert vars(seen[0]) == {k: v for k, v in vars(full).items() if k in vars(seen[0])}
    assert seen[0].command is None and not seen[0].keyring_backend
    # The fetch process is started first, for the sources the app will ask for; it fetches at
    # once unless the app starts hidden in the tray.
    sources = "demo_sources" if "--demo" in argv else "user_sources"
    assert early == [(f"balance_desk.fetcher.targets:{sources}", "--minimized" not in argv)]


def _no_sources() -> SourceRunner:
    return SourceRunner([], NumberFormat())


def _controller(qtbot: QtBot, *, minimized: bool = False) -> AppController:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, factory=_no_sources, defer_setup=True, minimized=minimized)
    qtbot.addWidget(controller.window)
    return controller


def _polling(controller: AppController) -> bool:
    poller = getattr(controller, "poller", None)  # exists once the set-up has run
    return poller is not None and poller.latest("bank") is not None


def test_saved_privacy_hides_amounts_from_the_first_paint_and_polling_follows_it(
    qtbot: QtBot, data_home: Path
) -> None:
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "settings.json").write_text(json.dumps({"privacy_mode": True}))
    controller = _controller(qtbot)
    assert controller.window.privacy  # before any paint, without the settings model
    controller.show()
    qtbot.waitUntil(lambda: _polling(controller), timeout=5000)
    assert controller.settings.privacy_mode and controller.window.privacy
    assert controller.desktop.window is controller.window
    controller.shutdown()


def test_a_damaged_settings_file_is_reported_after_the_paint(
    qtbot: QtBot, data_home: Path
) -> None:
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "settings.json").write_text("{not json")
    controller = _controller(qtbot)
    assert not controller.window.privacy
    controller.show()
    qtbot.waitUntil(lambda: _polling(controller), timeout=5000)
    assert controller.window.app_notice.isVisible()
    assert "damaged" in controller.window.app_notice.text()
    controller.shutdown()


def test_minimized_without_a_tray_starts_minimized_and_polls(qtbot: QtBot) -> None:
    controller = _controller(qtbot, minimized=True)
    controller.show()
    assert not controller.desktop.starts_hidden  # offscreen: no tray
    qtbot.waitUntil(controller.window.isMinimized, timeout=5000)
    qtbot.waitUntil(lambda: _polling(controller), timeout=5000)
    controller.shutdown()


def test_minimized_with_a_tray_stays_hidden_and_polls(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("balance_desk.gui.tray.balance_tray.tray_available", lambda: True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = _controller(qtbot, minimized=True)
    try:
        controller.show()
        assert controller.desktop.starts_hidden
        qtbot.waitUntil(lambda: _polling(controller), timeout=5000)
        assert not controller.window.isVisible()
    finally:
        controller.desktop.tray.hide()
        controller.shutdown()
        app.setQuitOnLastWindowClosed(True)  # the tray turned it off for this app


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8", b"[" * 100_000])
def test_a_damaged_settings_file_neither_hangs_nor_crashes_the_app(
    data_home: Path, content: bytes
) -> None:
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "settings.json").write_bytes(content)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BALANCE_DESK_HOME=str(data_home))
    done = subprocess.run(
        [sys.executable, "-m", "balance_desk", "--demo", "--exit-after-refresh"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "Revolut X: ok" in done.stdout, done.stdout + done.stderr
    assert list(data_home.glob("settings.json.damaged-*"))


@pytest.mark.parametrize("home", ["/dev/null/balance-desk", "file"])
def test_an_unusable_data_folder_is_said_in_one_line_and_balances_still_show(
    tmp_path: Path, home: str
) -> None:
    """Issue 15, defect 8: a read-only or impossible BALANCE_DESK_HOME gave a traceback in the
    CLI and a crash at GUI start."""
    where = tmp_path / "a-file" if home == "file" else Path(home)
    if home == "file":
        where.write_text("not a folder")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BALANCE_DESK_HOME=str(where))
    done = subprocess.run(
        [sys.executable, "-m", "balance_desk", "--demo", "--exit-after-refresh"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Revolut X: ok" in done.stdout and "Bank: ok" in done.stdout
    cli = subprocess.run(
        [sys.executable, "-m", "balance_desk", "config", "list"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert cli.returncode == 0 and "Traceback" not in cli.stderr
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"balance-desk: The data folder {where}")
    assert "Balances are still shown" in lines[0]
    assert "base_currency" in cli.stdout


def test_the_window_says_when_its_data_folder_cannot_be_used(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BALANCE_DESK_HOME", "/dev/null/balance-desk")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, factory=_no_sources, defer_setup=True)
    qtbot.addWidget(controller.window)
    controller.finish_setup()
    notice = controller.window.app_notice
    assert notice.isVisibleTo(controller.window)
    assert "The data folder /dev/null/balance-desk" in notice.text()
    controller.shutdown()
