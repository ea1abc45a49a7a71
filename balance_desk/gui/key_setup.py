"""The key setup dialog: one page per source; Save and Remove go through credentials.py only.

Secrets go to the keyring, everything else to the settings file. A save writes the keyring first
and the settings second; if the settings cannot be written the keyring is put back as it was,
so a failure never leaves half of a set-up behind.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from balance_desk.config import Settings
from balance_desk.credentials import BankCredentials, CredentialStore, RevolutXCredentials
from balance_desk.gui.key_setup_bank import BankPage
from balance_desk.gui.key_setup_page import SourcePage
from balance_desk.gui.key_setup_revolut_x import RevolutXPage
from balance_desk.gui.secret_field import message_label
from balance_desk.service import SourceName
from balance_desk.sources.errors import ConfigError

log = logging.getLogger(__name__)

REMOVE_TEXT: dict[SourceName, str] = {
    "revolut_x": (
        "Remove the Revolut X API key and private key from this computer's keyring?\n\n"
        "Balance Desk stops showing your crypto balances until you set them up again. The key "
        "stays registered at exchange.revolut.com; delete it there if you no longer use it."
    ),
    "bank": (
        "Remove the bank tokens from this computer's keyring?\n\n"
        "Balance Desk stops showing your bank balances until you set them up again. Your "
        "certificate files are not touched."
    ),
}


class KeySetupDialog(QDialog):
    """Opened from the toolbar, the tray, the status bar and the first-run page."""

    # A source's credentials were saved or removed: rebuild sources and refresh.
    credentials_changed = Signal(str)

    def __init__(
        self,
        store: CredentialStore,
        parent: QWidget | None = None,
        *,
        directory: Path | None = None,
        initial: SourceName = "revolut_x",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up keys — Balance Desk")
        self.setAccessibleName("Set up keys")
        self.setMinimumWidth(620)
        self._store = store
        self._directory = directory
        self.settings = Settings()

        layout = QVBoxLayout(self)
        intro = QLabel(
            "Balance Desk only reads balances. Keys are kept in this computer's keyring; "
            "nothing is saved until you press Save."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.keyring_problem = message_label("keyringProblem")
        self.keyring_problem.setStyleSheet("color: #c62828;")
        layout.addWidget(self.keyring_problem)

        self.tabs = QTabWidget()
        self.revolut_x = RevolutXPage()
        self.bank = BankPage()
        self.pages: dict[SourceName, SourcePage] = {"revolut_x": self.revolut_x, "bank": self.bank}
        self.tabs.addTab(self.revolut_x, "Revolut &X")
        self.tabs.addTab(self.bank, "&Bank")
        layout.addWidget(self.tabs, 1)
        for name, page in self.pages.items():
            page.save_requested.connect(lambda n=name: self.save(n))
            page.remove_requested.connect(lambda n=name: self.remove(n))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()
        self.show_source(initial)

    def show_source(self, name: SourceName) -> None:
        self.tabs.setCurrentWidget(self.pages[name])

    # --- load ----------------------------------------------------------------------------------

    def load(self) -> None:
        problems = []
        try:
            self.settings = Settings.load(self._directory)
        except ConfigError as exc:
            problems.append(str(exc))
        rx: RevolutXCredentials | None = None
        bank: BankCredentials | None = None
        try:
            rx = self._store.get_revolut_x()
        except ConfigError as exc:
            problems.append(str(exc))
        try:
            bank = self._store.get_bank()
        except ConfigError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
        self.revolut_x.load(rx, self.settings.revolut_x)
        self.bank.load(bank, self.settings.bank)
        self.set_keyring_problem("\n".join(problems) or None)

    def set_keyring_problem(self, text: str | None) -> None:
        if text:
            self.keyring_problem.setText(text)
            self.keyring_problem.show()
        else:
            self.keyring_problem.hide()

    # --- save / remove -------------------------------------------------------------------------

    def save(self, name: SourceName) -> bool:
        page = self.pages[name]
        if not page.validate():
            return False
        try:
            previous = self._get(name)
            self._put(name, page)
        except ConfigError as exc:
            page.show_status(f"Nothing was saved. {exc}", error=True)
            return False
        try:
            self.settings = self._write_settings(name, page)
        except (ConfigError, OSError) as exc:
            undo_failed = self._restore(name, previous)
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            text = f"Nothing was saved: the settings file could not be written ({detail})."
            if undo_failed:
                text += f" The keyring could not be put back either: {undo_failed}"
            page.show_status(text, error=True)
            return False
        page.set_stored(True)
        page.show_status("Saved. Balances use these keys from the next refresh.")
        log.info("Saved the %s set-up", name)
        self.credentials_changed.emit(name)
        return True

    def remove(self, name: SourceName, *, confirmed: bool = False) -> bool:
        page = self.pages[name]
        if not confirmed:
            answer = QMessageBox.question(
                self,
                "Remove keys?",
                REMOVE_TEXT[name],
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            if name == "revolut_x":
                self._store.delete_revolut_x()
            else:
                self._store.delete_bank()
        except ConfigError as exc:
            page.show_status(f"Nothing was removed. {exc}", error=True)
            return False
        if name == "revolut_x":
            self.revolut_x.load(None, self.settings.revolut_x)
        else:
            self.bank.load(None, self.settings.bank)
        page.show_status("Removed from the keyring.")
        log.info("Removed the %s credentials", name)
        self.credentials_changed.emit(name)
        return True

    def _get(self, name: SourceName) -> RevolutXCredentials | BankCredentials | None:
        return self._store.get_revolut_x() if name == "revolut_x" else self._store.get_bank()

    def _put(self, name: SourceName, page: SourcePage) -> None:
        if name == "revolut_x":
            self._store.set_revolut_x(self.revolut_x.credentials())
        else:
            self._store.set_bank(self.bank.credentials())

    def _write_settings(self, name: SourceName, page: SourcePage) -> Settings:
        # Start from the file as it is now, so changes made elsewhere meanwhile are kept.
        try:
            current = Settings.load(self._directory)
        except ConfigError:
            current = self.settings
        section = (
            self.revolut_x.settings_section()
            if name == "revolut_x"
            else self.bank.settings_section()
        )
        updated = current.model_copy(update={name: section})
        updated.save(self._directory)
        return updated

    def _restore(
        self, name: SourceName, previous: RevolutXCredentials | BankCredentials | None
    ) -> str | None:
        """Put the keyring back as it was; the failure's words if that fails too."""
        try:
            if isinstance(previous, RevolutXCredentials):
                self._store.set_revolut_x(previous)
            elif isinstance(previous, BankCredentials):
                self._store.set_bank(previous)
            elif name == "revolut_x":
                self._store.delete_revolut_x()
            else:
                self._store.delete_bank()
        except ConfigError as exc:
            return str(exc)
        return None

    # --- closing -------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        # A test still running is abandoned; its thread ends at its own timeout.
        for page in self.pages.values():
            page.tester.cancel()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        for page in self.pages.values():
            page.tester.cancel()
        super().closeEvent(event)
