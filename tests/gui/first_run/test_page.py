"""First run and the desktop wiring: welcome page, keyring trouble, set up keys from the
welcome page through to live figures, the tray following the window, Quit, Try the demo."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore, MemoryKeyring
from balance_desk.fetcher.runner import SourceRunner
from balance_desk.gui.app import AppController
from balance_desk.gui.desktop import Desktop, first_run_state
from balance_desk.gui.first_run import page as first_run
from balance_desk.gui.first_run.page import credentials_status, demo_command
from balance_desk.gui.number_format import system_number_format
from balance_desk.gui.window.main_window import MainWindow
from balance_desk.model import ErrorInfo
from balance_desk.present.updates import SourceUpdate
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.base import SourceName
from balance_desk.sources.factory import build_sources

# What the offscreen platform cannot do (size hints, raising windows, a tray's native window);
# a desktop can, and the Xvfb tray test covers the real thing.
pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise", "systemTrayWindowChanged"
)

NO_KEYRING = ErrorInfo(
    kind="config", message="Could not read from the keyring: no system keyring is available."
)


def update(name: SourceName, state: str, error: ErrorInfo | None = None) -> SourceUpdate:
    return SourceUpdate(source=name, state=state, error=error)  # type: ignore[arg-type]


def test_first_run_state_from_the_sources_answers() -> None:
    nothing = {"revolut_x": update("revolut_x", "not_configured"),
               "bank": update("bank", "not_configured")}
    assert first_run_state(nothing) == (True, None)  # type: ignore[arg-type]
    loading = {**nothing, "bank": update("bank", "loading")}
    assert first_run_state(loading) == (False, None)  # type: ignore[arg-type]
    one_set_up = {**nothing, "bank": update("bank", "ok")}
    assert first_run_state(one_set_up) == (False, None)  # type: ignore[arg-type]
    keyring = {n: update(n, "error", NO_KEYRING) for n in ("revolut_x", "bank")}
    assert first_run_state(keyring) == (True, NO_KEYRING.message)  # type: ignore[arg-type]
    # A real failure of a configured source is not a first run.
    failing = {**nothing, "bank": update("bank", "error", ErrorInfo(kind="network", message="x"))}
    assert first_run_state(failing) == (False, None)  # type: ignore[arg-type]


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        import keyring.errors

        raise keyring.errors.KeyringLocked("locked")


def test_credentials_status_turns_keyring_failures_into_words() -> None:
    status = credentials_status(CredentialStore(LockedKeyring()))
    assert not status.anything_configured
    assert status.keyring_problem is not None and "keyring is locked" in status.keyring_problem


def test_demo_restarts_this_app_with_the_demo_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert demo_command() == (sys.executable, ["-m", "balance_desk", "--demo"])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert demo_command() == (sys.executable, ["--demo"])


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


@pytest.fixture
def app(qtbot: QtBot, memory_store: CredentialStore) -> Iterator[AppController]:
    def factory() -> SourceRunner:
        return SourceRunner(build_sources(memory_store, Settings.load()), system_number_format())

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    controller = AppController(qapp, factory=factory)
    controller.desktop._store_factory = lambda: memory_store
    qtbot.addWidget(controller.window)
    controller.show()
    controller.poller.start()
    yield controller
    controller.shutdown()


def wait_first_answers(qtbot: QtBot, controller: AppController) -> None:
    def answered() -> None:
        for name in ("revolut_x", "bank"):
            latest = controller.window.latest(name)
            assert latest is not None and latest.done and not latest.refreshing

    qtbot.waitUntil(answered, timeout=10_000)


def test_welcome_page_then_keys_set_up_from_it_bring_live_figures(
    qtbot: QtBot, app: AppController, sim: RevolutXSimulator, data_home: Path
) -> None:
    window, desktop = app.window, app.desktop
    wait_first_answers(qtbot, app)
    assert desktop.first_run.isVisible() and not window.tabs.isVisible()
    assert not desktop.first_run.problem.isVisible()

    desktop.first_run.setup_button.click()
    dialog = desktop._dialog
    assert dialog is not None and dialog.isVisible()
    page = dialog.revolut_x
    page.api_key.setText(sim.api_key)
    page.private_key.paste.setPlainText(sim.private_key_pem)
    page.url.setText(sim.api_root)
    page.save_button.click()
    assert page.result.text().startswith("Saved."), page.result.text()

    # Saving rebuilt the sources: the figures arrive and the welcome page gives way.
    qtbot.waitUntil(
        lambda: (u := window.latest("revolut_x")) is not None and u.state == "ok",
        timeout=10_000,
    )
    assert not desktop.first_run.isVisible() and window.tabs.isVisible()
    tooltip = desktop.tray.tooltip()
    assert "Revolut X, updated" in tooltip and "BTC " in tooltip
    assert "Bank: not set up" in tooltip
    dialog.close()


def test_keyring_trouble_shows_what_to_do_and_the_demo_button(
    qtbot: QtBot, app: AppController
) -> None:
    for name in ("revolut_x", "bank"):
        app.window.apply_update(update(name, "error", NO_KEYRING))
    page = app.desktop.first_run
    assert page.isVisible()
    assert page.problem.isVisible()
    assert "no system keyring is available" in page.problem.text()
    assert page.demo_button.isDefault()


def test_every_way_to_set_up_keys_opens_the_one_dialog(
    qtbot: QtBot, app: AppController
) -> None:
    window, desktop = app.window, app.desktop
    window.keys_action.trigger()
    first = desktop._dialog
    assert first is not None and first.isVisible()
    window.set_up_keys_requested.emit("bank")  # the status bar's "not configured" link
    assert desktop._dialog is first
    assert first.tabs.currentWidget() is first.connections
    desktop.tray.keys_action.trigger()
    assert desktop._dialog is first
    first.close()
    qtbot.waitUntil(lambda: desktop._dialog is None)


def test_tray_and_window_share_privacy_mode(qtbot: QtBot, app: AppController) -> None:
    tray = app.desktop.tray
    tray.privacy_action.trigger()
    assert app.window.privacy
    app.window.privacy_action.trigger()
    assert not tray.privacy_action.isChecked() and not tray.model.privacy


def test_try_the_demo_starts_it_and_closes_this_window(
    qtbot: QtBot, app: AppController, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The button runs the real start-up code; only the last step, handing the command to the
    operating system, is recorded instead of done."""
    import sys

    launched: list[tuple[str, list[str]]] = []
    real_start = first_run.start_demo_process

    def record(program: str, args: list[str]) -> bool:
        launched.append((program, args))
        return True

    monkeypatch.setattr(
        "balance_desk.gui.desktop.start_demo_process",
        lambda launch=None: real_start(record),
    )
    app.desktop.first_run.demo_button.click()
    # This same Python, this same app, in demo mode: what a user's click must start.
    assert launched == [(sys.executable, ["-m", "balance_desk", "--demo"])]
    assert not app.window.isVisible()


def test_start_demo_process_reports_a_failed_start() -> None:
    assert first_run.start_demo_process(lambda program, args: False) is False


def test_close_hides_to_the_tray_but_quit_quits(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda *a: quits.append(True))
    window = MainWindow()
    qtbot.addWidget(window)
    desktop = Desktop(window, refresh=lambda: None, restart_sources=lambda: None,
                      settings=Settings(), use_tray=True)
    window.show()
    assert not window.close()  # refused: hidden in the tray instead
    assert not window.isVisible() and quits == []
    assert desktop.tray.toggle_action.text() == "&Show window"
    desktop.tray.toggle_window_requested.emit()  # a left click on the icon
    assert window.isVisible()
    window.quit_action.trigger()  # Ctrl+Q
    assert not window.isVisible() and quits == [True]
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(True)
