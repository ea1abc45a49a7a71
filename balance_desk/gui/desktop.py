"""Hooks the tray, the key setup dialog and the first-run page into the main window and poller.

The window and poller only expose signals (`set_up_keys_requested`, `refresh_requested`,
`privacy_changed`, `source_updated`); everything here listens to them, so the window does not
need to know the tray or the dialog exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QSignalBlocker
from PySide6.QtWidgets import QApplication, QMessageBox, QVBoxLayout

from balance_desk.config import Settings
from balance_desk.gui.first_run.page import FirstRunPage, start_demo_process
from balance_desk.gui.tray.balance_tray import BalanceTray, CloseToTray, toggle_window
from balance_desk.model import BankResult, RevolutXResult
from balance_desk.present.status_text import RENEW_LINK
from balance_desk.present.tray_text import TrayModel
from balance_desk.present.updates import SourceUpdate
from balance_desk.sources.base import SourceName

if TYPE_CHECKING:
    # Imported when first used: the keyring and the dialog's crypto would slow the first paint.
    from balance_desk.credentials import CredentialStore
    from balance_desk.gui.keys.dialog import KeySetupDialog
    from balance_desk.gui.window.main_window import MainWindow

log = logging.getLogger(__name__)

NOTICE_KEY = "tray/close_notice_shown"
SOURCES: tuple[SourceName, ...] = ("revolut_x", "bank")
_NOT_CONFIGURED = object()


def first_run_state(updates: dict[SourceName, SourceUpdate | None]) -> tuple[bool, str | None]:
    """(show the welcome page?, the keyring problem to explain) from the sources' first answers.

    Welcome when neither source has credentials, or when the keyring itself cannot be read
    (then nothing is configured as far as the user can tell, and the page says what to do).
    """
    done = [u for u in updates.values() if u is not None and u.done]
    if len(done) < len(SOURCES) or any(u.state in ("ok", "loading") for u in done):
        return False, None
    keyring = [
        u.error.message
        for u in done
        if u.error is not None and u.error.kind == "config" and "keyring" in u.error.message.lower()
    ]
    unexplained = [u for u in done if u.state == "error" and u.error is not None
                   and u.error.message not in keyring]
    if unexplained:
        return False, None  # a real failure: the window's own error display says what
    return True, (keyring[0] if keyring else None)


class Desktop(QObject):
    """One per app: the tray, close-to-tray, the key setup dialog and the welcome page."""

    def __init__(
        self,
        window: MainWindow,
        *,
        refresh: Callable[[], None],
        restart_sources: Callable[[], None],
        settings: Settings,
        state: QSettings | None = None,
        demo: bool = False,
        store_factory: Callable[[], CredentialStore] | None = None,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self._refresh = refresh
        self._restart_sources = restart_sources
        self._state = state
        self._demo = demo
        self._store_factory = store_factory
        self._dialog: KeySetupDialog | None = None
        self._recorded: dict[SourceName, object] = {}

        model = TrayModel(
            notify_balance_changes=settings.notify_balance_changes, privacy=window.privacy
        )
        self.tray = BalanceTray(model, self, use_tray=use_tray)
        self.tray.set_interval("revolut_x", timedelta(seconds=settings.crypto_interval_s))
        self.tray.set_interval("bank", timedelta(seconds=settings.bank_interval_s))
        shown = bool(state.value(NOTICE_KEY, False, type=bool)) if state is not None else False
        self.close_guard = CloseToTray(window, self.tray, notice_shown=shown)
        self.close_guard.first_hide.connect(self._remember_notice)

        self.tray.refresh_requested.connect(refresh)
        self.tray.toggle_window_requested.connect(lambda: toggle_window(window))
        self.tray.privacy_toggled.connect(window.set_privacy)
        self.tray.setup_keys_requested.connect(lambda: self.open_key_setup(""))
        self.tray.renew_requested.connect(lambda name: self.open_key_setup(RENEW_LINK + name))
        self.tray.quit_requested.connect(self.quit)
        window.privacy_changed.connect(self.tray.set_privacy)
        window.set_up_keys_requested.connect(self.open_key_setup)
        window.source_updated.connect(self._source_updated)
        # Quit (Ctrl+Q) must really quit, not hide to the tray like the close button.
        window.quit_action.triggered.disconnect(window.close)
        window.quit_action.triggered.connect(self.quit)

        self.first_run = FirstRunPage()
        self.first_run.hide()
        self.first_run.setup_keys_requested.connect(lambda: self.open_key_setup(""))
        self.first_run.demo_requested.connect(self.try_demo)
        holder = window.centralWidget()
        central = holder.layout() if holder is not None else None
        if isinstance(central, QVBoxLayout):
            central.insertWidget(central.indexOf(window.tabs), self.first_run, 1)
        self._add_start_at_login(window, settings)
        self._add_balance_notices(window, settings)
        self.tray.show()

    def _add_start_at_login(self, window: MainWindow, settings: Settings) -> None:
        """Start at login (issue 6): one switch in the toolbar and the tray menu."""
        from balance_desk import autostart
        from balance_desk.gui.start_at_login import StartAtLoginAction

        self.start_at_login = StartAtLoginAction(self)
        self.start_at_login.problem.connect(window.show_app_problem)
        window.toolbar.addSeparator()  # a setting, apart from the everyday actions
        window.toolbar.addAction(self.start_at_login)
        self.tray.menu.insertAction(self.tray.quit_action, self.start_at_login)
        try:
            autostart.refresh_at_start(settings)
        except OSError as exc:
            log.warning("Could not update the start-at-login entry: %s", exc)

    def _add_balance_notices(self, window: MainWindow, settings: Settings) -> None:
        """Notices when a balance changes (off by default): a switch in the tray menu, where
        the notices themselves appear; without a tray there are none to switch."""
        from balance_desk.gui.setting_action import SettingAction

        self.balance_notices = SettingAction(
            "Notify on balance &changes",
            "notify_balance_changes",
            self,
            apply=lambda stored: self.tray.set_notify_balance_changes(
                stored.notify_balance_changes
            ),
            words="balance change notices",
        )
        self.balance_notices.setObjectName("balanceNoticesAction")
        with QSignalBlocker(self.balance_notices):
            self.balance_notices.setChecked(settings.notify_balance_changes)
        self.balance_notices.problem.connect(window.show_app_problem)
        self.tray.menu.insertAction(self.start_at_login, self.balance_notices)

    @property
    def starts_hidden(self) -> bool:
        """`--minimized` hides the window in the tray; without a tray it just minimises."""
        return self.tray.has_tray

    # --- poller updates ------------------------------------------------------------------------

    def _source_updated(self, update: SourceUpdate) -> None:
        name = update.source
        self.tray.set_refreshing(name, update.refreshing)
        result: RevolutXResult | BankResult | None = update.result
        if update.state == "not_configured":
            result = (
                RevolutXResult(status="not_configured")
                if name == "revolut_x"
                else BankResult(status="not_configured")
            )
        # The same update arrives again for ticks and refresh starts: record each result once.
        marker: object = _NOT_CONFIGURED if update.state == "not_configured" else result
        if result is not None and not update.refreshing and self._recorded.get(name) is not marker:
            self._recorded[name] = marker
            self.tray.record(name, result)
        self.tray.set_overview(self.window.overview)
        if not self._demo:
            self._update_first_run()

    def _update_first_run(self) -> None:
        show, problem = first_run_state({n: self.window.latest(n) for n in SOURCES})
        if show:
            self.first_run.set_keyring_problem(problem)
        self.first_run.setVisible(show)
        self.window.tabs.setVisible(not show)

    # --- actions -------------------------------------------------------------------------------

    def open_key_setup(self, source: str = "") -> None:
        if source.startswith(RENEW_LINK):  # a bank connection to approve again
            name = source.removeprefix(RENEW_LINK)
            self.open_key_setup("bank")
            if self._dialog is not None:
                self._dialog.connections.open_renew(name)
            return
        if self._dialog is not None:
            self._dialog.show()
            self._dialog.raise_()
            self._dialog.activateWindow()
            if source in SOURCES:
                self._dialog.show_source(source)
            return
        initial: SourceName = "bank" if source == "bank" else "revolut_x"
        if source not in SOURCES:
            latest = self.window.latest("revolut_x")
            bank = self.window.latest("bank")
            if latest is not None and latest.state == "ok" and bank is not None and (
                bank.state == "not_configured"
            ):
                initial = "bank"
        from balance_desk.credentials import CredentialStore
        from balance_desk.gui.keys.dialog import KeySetupDialog

        store = self._store_factory() if self._store_factory else CredentialStore()
        dialog = KeySetupDialog(store, self.window, initial=initial)
        dialog.credentials_changed.connect(self._credentials_changed)
        dialog.finished.connect(self._dialog_closed)
        self._dialog = dialog
        if not self.window.isVisible():
            self.window.showNormal()
        dialog.open()

    def _dialog_closed(self) -> None:
        if self._dialog is not None:
            self._dialog.deleteLater()
            self._dialog = None

    def _credentials_changed(self, _name: str) -> None:
        if self._demo:
            self.window.show_app_problem(
                "Your keys are saved. This window shows demo data: quit and start Balance Desk "
                "again (without --demo) to see your own balances."
            )
            return
        self._restart_sources()

    def try_demo(self) -> None:
        if start_demo_process():
            self.quit()
            return
        QMessageBox.warning(
            self.window,
            "Could not start the demo",
            "The demo could not be started from here. Run `balance-desk --demo` instead.",
        )

    def quit(self) -> None:
        self.close_guard.allow_close()
        self.window.close()
        self.tray.hide()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _remember_notice(self) -> None:
        if self._state is not None:
            self._state.setValue(NOTICE_KEY, True)
            self._state.sync()
