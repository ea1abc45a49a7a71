"""The key setup dialog: one page per source; Save and Remove go through `setup/`, the same
code as `balance-desk keys`.

Secrets go to the keyring, everything else to the settings file. A save writes the keyring first
and the settings second; if the settings cannot be written the keyring is put back as it was,
so a failure never leaves half of a set-up behind (`setup.common.save_setup`).
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
from balance_desk.credentials import CredentialStore
from balance_desk.errors import ConfigError
from balance_desk.gui.keys.bank import BankPage
from balance_desk.gui.keys.connections import ConnectionsPage
from balance_desk.gui.keys.fields import message_label
from balance_desk.gui.keys.page import SourcePage
from balance_desk.gui.keys.revolut_x import RevolutXPage
from balance_desk.sources.base import SourceName

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
        self.connections = ConnectionsPage(store, directory=directory)
        self.connections.changed.connect(lambda _name: self.credentials_changed.emit("bank"))
        self.pages: dict[SourceName, SourcePage] = {"revolut_x": self.revolut_x, "bank": self.bank}
        self.tabs.addTab(self.revolut_x, "Revolut &X")
        self.tabs.addTab(self.connections, "&Banks")
        # Tokens obtained elsewhere (`keys set bank`): the first bank, as before.
        self.tabs.addTab(self.bank, "Bank &tokens")
        layout.addWidget(self.tabs, 1)
        for name, page in self.pages.items():
            page.save_requested.connect(lambda n=name: self.save(n))
            page.remove_requested.connect(lambda n=name: self.remove(n))
        # A generated key pair shows its public half: make room for it.
        self.revolut_x.private_key.generated.connect(self.fit_contents)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()
        self.show_source(initial)

    def show_source(self, name: SourceName) -> None:
        """The source's page; for the bank, the list of connections."""
        self.tabs.setCurrentWidget(self.connections if name == "bank" else self.pages[name])

    # --- load ----------------------------------------------------------------------------------

    def load(self) -> None:
        problems = []
        try:
            self.settings = Settings.load(self._directory)
        except ConfigError as exc:
            problems.append(str(exc))
        for page in self.pages.values():
            problem = page.load_from(self._store, self.settings)
            if problem and problem not in problems:
                problems.append(problem)
        problem = self.connections.reload()
        if problem and problem not in problems:
            problems.append(problem)
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
            self.settings = page.save_to(self._store, self._directory, self.settings)
        except ConfigError as exc:
            text = str(exc)
            page.show_status(text if text.startswith("Nothing") else f"Nothing was saved. {text}",
                             error=True)
            return False
        page.set_stored(True)
        page.mark_saved()
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
            page.remove_from(self._store, self._directory)
        except ConfigError as exc:
            page.show_status(f"Nothing was removed. {exc}", error=True)
            return False
        page.clear(self.settings)
        page.show_status("Removed from the keyring.")
        log.info("Removed the %s credentials", name)
        self.credentials_changed.emit(name)
        return True

    # --- closing -------------------------------------------------------------------------------

    def reject(self) -> None:
        """Close, Escape or the window's close button: first ask when closing would lose a key
        pair the user may already have registered."""
        for name, page in self.pages.items():
            warning = page.unsaved_warning()
            if warning is None:
                continue
            self.show_source(name)
            answer = QMessageBox.question(
                self,
                "Save the new key pair?",
                warning,
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Save,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Save and not self.save(name):
                return  # the page says why; the dialog stays open
        super().reject()

    def fit_contents(self) -> None:
        """Grow to what the current pages need (after a key pair appears), within the screen,
        so that nothing is squeezed over anything else."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        hint = self.sizeHint()
        width, height = max(self.width(), hint.width()), max(self.height(), hint.height())
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, available.width()), min(height, available.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)

    def done(self, result: int) -> None:
        # A test still running is abandoned; its thread ends at its own timeout.
        for page in self.pages.values():
            page.tester.cancel()
        self.connections.close_tasks()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        for page in self.pages.values():
            page.tester.cancel()
        super().closeEvent(event)
