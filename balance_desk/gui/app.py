"""`balance-desk` without a command: the desktop app.

Start-up order is chosen for speed: the window is created and shown first, with a "loading"
state per source. Only once it has painted are the settings loaded (pydantic), the tray and the
key set-up wired in and the poller started; the sources (httpx, the keyring, the demo servers)
are then built on a background thread.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from balance_desk import APP_ID, APP_NAME
from balance_desk.errors import EXIT_FAILED, EXIT_OK, ConfigError
from balance_desk.gui.window.main_window import MainWindow
from balance_desk.paths import data_dir, make_private, stored_privacy_mode

if TYPE_CHECKING:
    # Imported after the first paint: none of them is needed to show the window.
    import logging

    from balance_desk.config import Settings
    from balance_desk.fetcher.outcome import Fetcher
    from balance_desk.gui.desktop import Desktop
    from balance_desk.gui.poller import FetcherFactory, Poller
    from balance_desk.present.glance import Glance
    from balance_desk.present.updates import SourceUpdate
    from balance_desk.sources.base import SourceName


def _log() -> logging.Logger:
    # `logging` is not needed to paint the window, and importing it costs milliseconds.
    import logging

    return logging.getLogger(__name__)

GUI_STATE_FILE = "gui.ini"
# Benchmarks set this: print the time of the first paint (time.time()) and quit.
FIRST_PAINT_ENV = "BALANCE_DESK_FIRST_PAINT_EXIT"
# Benchmarks set this: print the time both sources' first figures were shown, and quit.
FRESH_DATA_ENV = "BALANCE_DESK_FRESH_DATA_EXIT"
# Benchmarks set this: print the time both sources' first figures (fresh or from the history)
# were shown, and quit.
FIRST_FIGURES_ENV = "BALANCE_DESK_FIRST_FIGURES_EXIT"
# If the window never paints (started minimized), start polling after this anyway.
START_FALLBACK_MS = 300


def open_gui_state() -> QSettings:
    """Window geometry, sort orders, tab and splitters: an INI file in the data directory, the
    user's alone (0600) like every other file there; Qt's atomic saves keep that mode."""
    path = data_dir() / GUI_STATE_FILE
    with contextlib.suppress(OSError):
        make_private(path)
    return QSettings(str(path), QSettings.Format.IniFormat)


def read_last_figures(demo: bool) -> tuple[Glance | None, str | None]:
    """The last figures shown, kept as text for this first paint, and what was wrong with
    them (for the log), if anything."""
    from balance_desk.present.glance import glance_file, read_glance

    return read_glance(data_dir() / glance_file(demo))


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


def hosted_fetcher(target: str, *args: object) -> Fetcher:
    """The sources in the fetch process, built there by `target` ("module:function")."""
    from balance_desk.fetcher.parent import FetchHost, HostedFactory
    from balance_desk.gui.number_format import system_number_format
    from balance_desk.paths import stored_flag

    number = system_number_format(every_digit=stored_flag("show_every_digit"))
    return FetchHost(HostedFactory(target, args), number)


def demo_factory() -> Fetcher:
    """The built-in simulators and throwaway credentials, in the fetch process."""
    return hosted_fetcher("balance_desk.fetcher.targets:demo_sources")


def user_factory() -> Fetcher:
    """The user's keys from the OS keyring and their settings, read by the fetch process."""
    return hosted_fetcher("balance_desk.fetcher.targets:user_sources")


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
    """Wires the window, the poller and the settings together and decides when to exit.

    With `defer_setup` (the real app) the settings, the poller and the desktop integration are
    set up after the window's first paint rather than before it; `poller`, `desktop` and
    `settings` exist from then on. Without it (tests, scripts) they exist at once.
    """

    poller: Poller
    desktop: Desktop
    settings: Settings

    def __init__(
        self,
        app: QApplication,
        *,
        factory: FetcherFactory,
        demo: bool = False,
        exit_after_refresh: bool = False,
        minimized: bool = False,
        settings: Settings | None = None,
        settings_problem: str | None = None,
        defer_setup: bool = False,
        on_setup: Callable[[], None] | None = None,
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
        self._demo = demo
        self._given_settings = settings
        self._settings_problem = settings_problem
        self._load_settings_later = defer_setup and settings is None
        self._set_up = False
        self._on_setup = on_setup
        self._exiting = False
        self._shut_down = False
        privacy = settings.privacy_mode if settings is not None else stored_privacy_mode()
        # The app paints the last figures with its first frame (tests start without them).
        glance, self._glance_problem = read_last_figures(demo) if defer_setup else (None, None)
        # With defer_setup the tables and the rest follow the first paint (finish_setup).
        self.window = MainWindow(
            demo=demo, privacy=privacy, state=open_gui_state(), light_start=defer_setup,
            glance=glance,
        )
        self._factory = factory
        self.window.refresh_requested.connect(self._refresh)
        self.window.privacy_changed.connect(self._save_privacy)
        self.window.every_digit_changed.connect(self._save_every_digit)
        self.window.base_currency_changed.connect(self._save_base_currency)
        if not defer_setup:
            self.finish_setup()

    def finish_setup(self, *, start_polling: bool = False) -> None:
        """Settings, the poller, and the tray, close-to-tray, key set-up dialog and first-run
        page (issue 5). Runs once; the poller starts here only with `start_polling`: then as
        soon as the tables exist, before the settings' full load (pydantic) and the tray, so
        that the first figures arrive that much sooner."""
        if self._set_up:
            return
        self._set_up = True
        # First, so that nothing below waits on the tables, and they exist before any figure.
        self.window.build_panes()
        if self._on_setup is not None:
            self._on_setup()
        if self._glance_problem:  # the log is open by now
            _log().warning("%s", self._glance_problem)
        if self._load_settings_later:
            from balance_desk.paths import stored_number

            intervals = (stored_number("crypto_interval_s", 30, least=5),
                         stored_number("bank_interval_s", 6 * 3600, least=60))
        else:
            given = self._given_settings
            intervals = (given.crypto_interval_s, given.bank_interval_s) if given else (30, 21600)
        self.poller = self._new_poller(first_user_present=not self._minimized,
                                       intervals=intervals)
        if start_polling:
            self.poller.start()
        from balance_desk.config import Settings
        from balance_desk.gui.desktop import Desktop

        problem = self._settings_problem
        if self._load_settings_later:
            settings, problem = _load_settings()
        else:
            settings = self._given_settings or Settings()
        self.settings = settings
        if problem:
            self.window.show_app_problem(problem)
        if settings.privacy_mode and not self.window.privacy:
            self.window.set_privacy(True, announce=False)
        self.window.set_every_digit(settings.show_every_digit)
        self.window.set_base_currency(settings.base)
        self.desktop = Desktop(
            self.window,
            refresh=self._refresh,
            restart_sources=self.restart_sources,
            settings=settings,
            state=open_gui_state(),
            demo=self._demo,
        )
        # Everything built so far (Qt's wrappers, the modules, the widgets) lives as long as the
        # app: moved out of the collector's sight, a full collection no longer walks it, and
        # stays short enough not to stall a frame.
        gc.freeze()

    def _refresh(self) -> None:
        if self._set_up:
            self.poller.refresh(user_present=True)

    def _start(self) -> None:
        if self._shut_down:  # quit before the first paint: nothing may start any more
            return
        self.finish_setup(start_polling=True)
        self.poller.start()  # once only: set up earlier (minimized), it starts now

    def _new_poller(
        self, *, first_user_present: bool, intervals: tuple[int, int] | None = None
    ) -> Poller:
        from balance_desk.gui.poller import Poller

        crypto_s, bank_s = intervals or (
            self.settings.crypto_interval_s, self.settings.bank_interval_s
        )
        poller = Poller(
            self._factory,
            crypto_interval_s=crypto_s,
            bank_interval_s=bank_s,
            first_user_present=first_user_present,
        )
        poller.updated.connect(self.window.apply_update)
        poller.updated.connect(self._check_exit)
        return poller

    def restart_sources(self) -> None:
        """Keys or settings were saved: build the sources again from them, with a new poller."""
        from balance_desk.config import Settings

        self.poller.stop(timeout_s=2.0)
        with contextlib.suppress(ConfigError):
            self.settings = Settings.load()
        self.poller = self._new_poller(first_user_present=True)
        self.poller.start()

    def show(self) -> None:
        if os.environ.get(FIRST_FIGURES_ENV) and self._paints_both_sources():
            FirstPaint(self.window, lambda: self._report("first-figures"))
            self.window.show()
            return
        if os.environ.get(FIRST_PAINT_ENV):
            FirstPaint(self.window, self._report_first_paint)
            self.window.show()
            return
        FirstPaint(self.window, self._start)
        QTimer.singleShot(START_FALLBACK_MS, self._start)
        if not self._minimized:
            self.window.show()
            return
        # Nothing paints, so nothing waits for a paint: set up now, since whether there is
        # a tray decides how to start.
        self.finish_setup()
        if not self.desktop.starts_hidden:
            self.window.showMinimized()
        # else in the tray; the fallback timer starts polling without a paint

    def _paints_both_sources(self) -> bool:
        """Whether the first frame shows figures of both sources: the Overview's glance, kept
        when both had figures (their own pages have glances then)."""
        from balance_desk.present.glance import PAGES

        shown = set(self.window.glance_pages)
        return self.window.tabs.currentIndex() == 0 and set(PAGES) <= shown

    def _report_fresh_data(self) -> None:
        self._report("fresh-data")

    def _report(self, mark: str) -> None:
        self.window.repaint()
        print(f"{mark} {time.time():.6f}", flush=True)
        self.app.quit()

    def _report_first_paint(self) -> None:
        print(f"first-paint {time.time():.6f}", flush=True)
        self.app.quit()

    def _save_privacy(self, on: bool) -> None:
        self._save_setting("privacy_mode", on)

    def _save_every_digit(self, on: bool) -> None:
        """Tables are built in the fetch process: start it again with the new number format."""
        self.window.set_every_digit(on)
        if self._save_setting("show_every_digit", on):
            self.restart_sources()

    def _save_base_currency(self, code: str) -> None:
        """Values are computed in the fetch process: start it again in the new currency."""
        if self._save_setting("base_currency", code):
            self.restart_sources()

    @staticmethod
    def _save_setting(name: str, value: bool | str) -> bool:
        """Change one setting in the file as it is now (so that nothing else changes, and demo
        settings never reach the user's file); False, and a log line, when it cannot be saved."""
        from balance_desk.config import Settings

        try:
            stored = Settings.load()
            setattr(stored, name, value)
            stored.save()
        except (ConfigError, OSError) as exc:
            _log().warning("Could not save the %s setting: %s", name, exc)
            return False
        return True

    def _check_exit(self, _update: SourceUpdate) -> None:
        if os.environ.get(FIRST_FIGURES_ENV) and not self._exiting:
            latest = [self.poller.latest(name) for name in ("revolut_x", "bank")]
            if all(u is not None and u.table is not None and u.table.rows for u in latest):
                self._exiting = True
                QTimer.singleShot(0, lambda: self._report("first-figures"))
            return
        if os.environ.get(FRESH_DATA_ENV) and not self._exiting:
            latest = [self.poller.latest(name) for name in ("revolut_x", "bank")]
            if all(u is not None and u.state == "ok" and u.table is not None
                   and not u.from_history for u in latest):
                self._exiting = True
                # The figures are in the models; this turn of the event loop paints them.
                QTimer.singleShot(0, self._report_fresh_data)
            return
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
        from balance_desk.model import BankResult, RevolutXResult, Snapshot
        from balance_desk.present.snapshot_text import render_snapshot
        from balance_desk.sources.base import now_utc

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
        overview = self.window.overview
        valuation = overview.valuation if overview is not None else None
        print(render_snapshot(snapshot, valuation), flush=True)

    def shutdown(self) -> None:
        from balance_desk.fetcher import early

        self._shut_down = True
        self.window.save_state()
        if self._set_up:
            self.poller.stop(timeout_s=2.0)
        early.drop()  # started before the window, never needed (quit before it was)


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C in the terminal quits cleanly. Python runs signal handlers only when it gets
    control, so the signal also writes to a socket that wakes Qt's event loop."""
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

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


def _after_first_paint(app: QApplication, *, verbose: bool) -> None:
    from balance_desk.logs import start_logging
    from balance_desk.paths import data_dir_problem

    if data_dir_problem() is None:  # else the window says so, once
        start_logging(verbose=verbose)
    _quit_on_signals(app)
    # Decoding every size of the icon costs more than painting the window; the window manager
    # takes the new icon as soon as it is set.
    try:
        from balance_desk.gui.icons import apply_app_identity

        apply_app_identity(app)
    except (ImportError, FileNotFoundError):
        _log().warning("App icon not found; using the default window icon")


def _load_settings() -> tuple[Settings, str | None]:
    """The settings, and what the user should know about them or the folder they live in."""
    from balance_desk.config import Settings
    from balance_desk.paths import data_dir_problem

    settings, problem = Settings.load_or_defaults()
    return settings, data_dir_problem() or problem


def run(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        from balance_desk.fetcher import early

        early.drop()
        print(f"balance-desk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    _quiet_platform_noise()
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "balance-desk"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    # No application display name: Qt appends it to every window title that does not already
    # end with it, so "Balance Desk — Demo data" became "… — Demo data — Balance Desk". Each
    # window's title names the app itself.
    # Before any window exists: Wayland matches windows to the launcher (and its icon) by this.
    app.setDesktopFileName(APP_ID)
    controller = AppController(
        app,
        factory=demo_factory if args.demo else user_factory,
        demo=bool(args.demo),
        exit_after_refresh=bool(args.exit_after_refresh),
        minimized=bool(getattr(args, "minimized", False)),
        defer_setup=True,
        # After the first paint: the log file, and Ctrl+C in the terminal.
        on_setup=lambda: _after_first_paint(app, verbose=bool(getattr(args, "verbose", False))),
    )
    controller.show()
    try:
        app.exec()
    finally:
        controller.shutdown()
    return controller.exit_code
