"""`balance-desk` without a command: the desktop app.

Start-up order is chosen for speed: the window is created and shown first, with a "loading"
state per source; the sources (httpx, the keyring, the demo servers) are built on a background
thread once the window has painted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSettings, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

from balance_desk import APP_NAME
from balance_desk.config import Settings, data_dir
from balance_desk.gui.main_window import MainWindow
from balance_desk.gui.poller import Cleanup, Poller
from balance_desk.gui.snapshots import SourceUpdate
from balance_desk.service import Source, SourceName
from balance_desk.sources.errors import ConfigError

log = logging.getLogger(__name__)

GUI_STATE_FILE = "gui.ini"
# Benchmarks set this: print the time of the first paint (time.time()) and quit.
FIRST_PAINT_ENV = "BALANCE_DESK_FIRST_PAINT_EXIT"
# Smoke tests of the demo: "revolut_x" or "bank" makes that simulator fail every request.
DEMO_FAULT_ENV = "BALANCE_DESK_DEMO_FAIL"
# If the window never paints (started minimized), start polling after this anyway.
START_FALLBACK_MS = 300
EXIT_OK = 0
EXIT_FAILED = 1

SourceFactory = Callable[[], "tuple[list[Source], Cleanup | None]"]


def open_gui_state() -> QSettings:
    """Window geometry, sort orders, tab and splitters: an INI file in the data directory."""
    return QSettings(str(data_dir() / GUI_STATE_FILE), QSettings.Format.IniFormat)


def display_problem() -> str | None:
    """Why no window can open here, or None. Qt would abort the process instead of saying so."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no graphical display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start it in "
        "a desktop session, or use the command line: `balance-desk snapshot` shows your "
        "balances, and `QT_QPA_PLATFORM=offscreen balance-desk --demo --exit-after-refresh` "
        "runs the demo without a screen."
    )


def demo_factory() -> tuple[list[Source], Cleanup | None]:
    """The built-in simulators on loopback and throwaway credentials in memory."""
    from balance_desk.commands import build_sources
    from balance_desk.simulator.demo import start_demo

    env = start_demo()
    try:
        failing = os.environ.get(DEMO_FAULT_ENV, "")
        if failing:
            simulator = getattr(env, failing, None)
            if simulator is not None:
                simulator.fail(500, times=None)
        return build_sources(env.store, env.settings), env.close
    except BaseException:
        env.close()
        raise


def user_factory() -> tuple[list[Source], Cleanup | None]:
    """The user's keys from the OS keyring and their settings."""
    from balance_desk.commands import build_sources
    from balance_desk.credentials import CredentialStore

    return build_sources(CredentialStore(), Settings.load()), None


class FirstPaint(QObject):
    """Calls `callback` once, on the window's first paint."""

    def __init__(self, window: MainWindow, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            callback, self._callback = self._callback, None
            watched.removeEventFilter(self)
            # After this paint has finished, not inside it.
            QTimer.singleShot(0, callback)
        return False


class AppController(QObject):
    """Wires the window, the poller and the settings together and decides when to exit."""

    def __init__(
        self,
        app: QApplication,
        *,
        factory: SourceFactory,
        demo: bool = False,
        exit_after_refresh: bool = False,
        minimized: bool = False,
        settings: Settings | None = None,
        settings_problem: str | None = None,
    ) -> None:
        super().__init__()
        # Fetch threads parse in Python; with the default 5 ms switch interval every call the
        # GUI thread makes into Python (each table cell it paints) can wait that long for the
        # GIL, and a repaint turns into a visible stall. 1 ms keeps painting smooth.
        sys.setswitchinterval(0.001)
        self.app = app
        self.exit_code = EXIT_OK
        self._exit_after_refresh = exit_after_refresh
        self._minimized = minimized
        self.settings = settings or Settings()
        self.window = MainWindow(
            demo=demo, privacy=self.settings.privacy_mode, state=open_gui_state()
        )
        if settings_problem:
            self.window.show_app_problem(settings_problem)
        self._factory = factory
        self.poller = self._new_poller(first_user_present=not minimized)
        self.window.refresh_requested.connect(lambda: self.poller.refresh(user_present=True))
        self.window.privacy_changed.connect(self._save_privacy)
        from balance_desk.gui.desktop import Desktop

        # Tray, close-to-tray, the key set-up dialog and the first-run page (issue 5).
        self.desktop = Desktop(
            self.window,
            refresh=lambda: self.poller.refresh(user_present=True),
            restart_sources=self.restart_sources,
            settings=self.settings,
            state=open_gui_state(),
            demo=demo,
        )
        self._exiting = False

    def _new_poller(self, *, first_user_present: bool) -> Poller:
        poller = Poller(
            self._factory,
            crypto_interval_s=self.settings.crypto_interval_s,
            bank_interval_s=self.settings.bank_interval_s,
            first_user_present=first_user_present,
        )
        poller.updated.connect(self.window.apply_update)
        poller.updated.connect(self._check_exit)
        return poller

    def restart_sources(self) -> None:
        """Keys or settings were saved: build the sources again from them, with a new poller."""
        self.poller.stop(timeout_s=2.0)
        with contextlib.suppress(ConfigError):
            self.settings = Settings.load()
        self.poller = self._new_poller(first_user_present=True)
        self.poller.start()

    def show(self) -> None:
        if os.environ.get(FIRST_PAINT_ENV):
            FirstPaint(self.window, self._report_first_paint)
            self.window.show()
            return
        FirstPaint(self.window, self.poller.start)
        QTimer.singleShot(START_FALLBACK_MS, self.poller.start)
        if self._minimized and self.desktop.starts_hidden:
            pass  # in the tray; the fallback timer starts polling without a paint
        elif self._minimized:
            self.window.showMinimized()
        else:
            self.window.show()

    def _report_first_paint(self) -> None:
        print(f"first-paint {time.time():.6f}", flush=True)
        self.app.quit()

    def _save_privacy(self, on: bool) -> None:
        # Re-read the file so that only this one setting changes (and demo settings never
        # reach the user's file).
        try:
            stored = Settings.load()
            stored.privacy_mode = on
            stored.save()
        except (ConfigError, OSError) as exc:
            log.warning("Could not save privacy mode: %s", exc)

    def _check_exit(self, _update: SourceUpdate) -> None:
        if not self._exit_after_refresh or self._exiting:
            return
        names: tuple[SourceName, ...] = ("revolut_x", "bank")
        updates = [self.poller.latest(name) for name in names]
        if any(u is None or not u.done or u.refreshing for u in updates):
            return
        configured = [u for u in updates if u is not None and u.state != "not_configured"]
        ok = bool(configured) and all(u.state == "ok" for u in configured)
        self.exit_code = EXIT_OK if ok else EXIT_FAILED
        self._exiting = True
        if not configured:
            print(
                "balance-desk: nothing is configured; set up keys or try --demo",
                file=sys.stderr,
            )
        self._print_summary(updates)
        # Quit on the next turn of the event loop, once the window has shown the figures.
        QTimer.singleShot(0, self.app.quit)

    def _print_summary(self, updates: list[SourceUpdate | None]) -> None:
        from balance_desk.commands import render_snapshot
        from balance_desk.model import BankResult, RevolutXResult, Snapshot
        from balance_desk.service import now_utc

        if self.window.privacy:
            print("Balances refreshed (figures hidden: privacy mode is on).")
            return
        results = {u.source: u.result for u in updates if u is not None}
        crypto, bank = results.get("revolut_x"), results.get("bank")
        snapshot = Snapshot(
            fetched_at=now_utc(),
            revolut_x=crypto if isinstance(crypto, RevolutXResult) else None,
            bank=bank if isinstance(bank, BankResult) else None,
        )
        print(render_snapshot(snapshot), flush=True)

    def shutdown(self) -> None:
        self.window.save_state()
        self.poller.stop(timeout_s=2.0)


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C in the terminal quits cleanly. Python runs signal handlers only when it gets
    control, so the signal also writes to a socket that wakes Qt's event loop."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)
    app._balance_desk_signal_sockets = (reader, writer, notifier)  # type: ignore[attr-defined]
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())


def _quiet_platform_noise() -> None:
    """The offscreen platform (headless runs) warns that it cannot pass size hints to a window
    manager it does not have; every other Qt message still reaches stderr."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _load_settings() -> tuple[Settings, str | None]:
    try:
        return Settings.load(), None
    except ConfigError as exc:
        return Settings(), f"{exc} Using default settings for now."


def run(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    _quiet_platform_noise()
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "balance-desk"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    try:
        from balance_desk.gui.icons import apply_app_identity

        apply_app_identity(app)
    except (ImportError, FileNotFoundError):
        log.warning("App icon not found; using the default window icon")
    settings, settings_problem = _load_settings()
    controller = AppController(
        app,
        factory=demo_factory if args.demo else user_factory,
        demo=bool(args.demo),
        exit_after_refresh=bool(args.exit_after_refresh),
        minimized=bool(getattr(args, "minimized", False)),
        settings=settings,
        settings_problem=settings_problem,
    )
    _quit_on_signals(app)
    controller.show()
    try:
        app.exec()
    finally:
        controller.shutdown()
    return controller.exit_code
