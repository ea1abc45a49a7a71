"""The key dialog's Bank page: every bank connection with its consent (shortened), status,
creation, expiry and refresh-token expiry, and Connect a bank…, Renew… and Disconnect. Never a
secret on it. Revoking at the bank runs on a `Tasks` job; when the bank cannot be reached the page
asks before forgetting the connection here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.errors import ConfigError, SourceError
from balance_desk.gui.keys.connect_wizard import Browser, ConnectWizard, open_in_browser
from balance_desk.gui.keys.fields import message_label
from balance_desk.gui.keys.page import OK_STYLE, show_message
from balance_desk.gui.tasks import JobFailed, Tasks
from balance_desk.setup.bank_connect import (
    ConnectionInfo,
    connection_infos,
    remove_locally,
    renewal_request,
    revoke_at_bank,
    short_id,
)
from balance_desk.setup.common import describe_error

COLUMNS = ("Name", "Bank", "Consent", "Status", "Created", "Consent expires", "Refresh token")
Confirm = Callable[[str], bool]


def _day(moment: datetime | None, none: str = "—") -> str:
    return none if moment is None else f"{moment.astimezone():%d %b %Y}"


class ConnectionsPage(QWidget):
    # A connection was added, renewed or removed: rebuild the sources and refresh.
    changed = Signal(str)

    def __init__(
        self,
        store: CredentialStore,
        parent: QWidget | None = None,
        *,
        directory: Path | None = None,
        browser: Browser = open_in_browser,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Bank connections")
        self._store = store
        self._directory = directory
        self.browser = browser
        self.confirm: Confirm = self._ask
        self.wizard: ConnectWizard | None = None
        self._tasks = Tasks(self)
        self._tasks.done.connect(self._revoked)
        self.infos: list[ConnectionInfo] = []

        layout = QVBoxLayout(self)
        intro = QLabel(
            "Each bank is connected through its own consent page: you approve read access in "
            "your browser, and the bank gives Balance Desk tokens that stay in this computer's "
            "keyring. Renew before a consent lapses; Disconnect revokes it at the bank."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Bank connections")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        self.empty = QLabel("No bank is connected yet.")
        layout.addWidget(self.empty)
        self.status = message_label("connectionsStatus")
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.connect_button = QPushButton("&Connect a bank…")
        self.connect_button.clicked.connect(self.open_connect)
        self.renew_button = QPushButton("&Renew…")
        self.renew_button.clicked.connect(self.open_renew)
        self.disconnect_button = QPushButton("&Disconnect")
        self.disconnect_button.clicked.connect(self.disconnect_selected)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.renew_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.reload()

    # --- the list -----------------------------------------------------------------------------

    def reload(self) -> str | None:
        """Read the connections again; the keyring's problem in words, if any."""
        settings, problem = Settings.load_or_defaults(self._directory)
        try:
            self.infos = connection_infos(settings, self._store)
        except ConfigError as exc:
            self.infos = []
            problem = str(exc)
        self.table.setRowCount(len(self.infos))
        for row, info in enumerate(self.infos):
            cells = (info.name, info.bank, short_id(info.consent_id), info.status,
                     _day(info.created_at), _day(info.consent_expires_at, "when revoked"),
                     _day(info.refresh_expires_at, "no stated expiry"))
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.empty.setVisible(not self.infos)
        self.table.setVisible(bool(self.infos))
        if self.infos and not self.table.selectedItems():
            self.table.selectRow(0)
        self._selection_changed()
        return problem

    def selected(self) -> ConnectionInfo | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        return self.infos[min(rows)] if rows and min(rows) < len(self.infos) else None

    def select(self, name: str) -> None:
        for row, info in enumerate(self.infos):
            if info.name == name:
                self.table.selectRow(row)

    def _selection_changed(self) -> None:
        info = self.selected()
        self.renew_button.setEnabled(info is not None and info.renewable)
        self.disconnect_button.setEnabled(info is not None and not self._tasks.running("revoke"))

    # --- connect and renew --------------------------------------------------------------------

    def open_connect(self) -> ConnectWizard:
        return self._open_wizard(None)

    def open_renew(self, name: str | None = None) -> ConnectWizard | None:
        info = self.selected() if name is None else next(
            (i for i in self.infos if i.name == name), None
        )
        if info is None:
            return None
        settings, _problem = Settings.load_or_defaults(self._directory)
        try:
            renewing = renewal_request(settings, info.name, self._store)
        except ConfigError as exc:
            show_message(self.status, str(exc))
            return None
        return self._open_wizard(renewing)

    def _open_wizard(self, renewing: object) -> ConnectWizard:
        wizard = ConnectWizard(
            self._store, self, directory=self._directory,
            renewing=renewing,  # type: ignore[arg-type]
            browser=self.browser,
        )
        wizard.connected.connect(self._connected)
        wizard.finished.connect(self._wizard_closed)
        self.wizard = wizard
        wizard.open()
        return wizard

    def _wizard_closed(self) -> None:
        wizard, self.wizard = self.wizard, None
        if wizard is not None:
            wizard.deleteLater()

    def _connected(self, name: str) -> None:
        self.reload()
        self.select(name)
        show_message(self.status, f"Connected '{name}'.", OK_STYLE)
        self.changed.emit(name)

    # --- disconnect ---------------------------------------------------------------------------

    def disconnect_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        if not self.confirm(
            f"Disconnect '{info.name}'?\n\nBalance Desk asks the bank to revoke the consent, "
            "then forgets the connection's tokens, account list and quota ledger."
        ):
            return
        settings, _problem = Settings.load_or_defaults(self._directory)
        store = self._store
        name = info.name

        def revoke() -> object:
            try:
                return revoke_at_bank(settings, name, store)
            except SourceError as exc:
                return exc

        show_message(self.status, "Asking the bank to revoke the consent…", OK_STYLE)
        self.disconnect_button.setEnabled(False)
        self._revoking = name
        self._tasks.submit("revoke", revoke, name="consent-revoke")

    def _revoked(self, _key: object, result: object) -> None:
        name = self._revoking
        if isinstance(result, JobFailed | BaseException):
            exc = result.exc if isinstance(result, JobFailed) else result
            words = describe_error(exc.to_info()) if isinstance(exc, SourceError) else (
                type(exc).__name__
            )
            if not self.confirm(
                f"The bank could not revoke the consent of '{name}':\n{words}\n\nForget the "
                "connection here anyway? The consent stays at the bank until it lapses or you "
                "revoke it in the bank's app."
            ):
                show_message(self.status, f"Nothing was removed. {words}")
                self._selection_changed()
                return
            said = "Forgotten here; the bank could not be asked to revoke the consent."
        else:
            said = ("The bank revoked the consent; the connection is gone." if result else
                    "The bank no longer knew the consent; the connection is gone.")
        settings, _problem = Settings.load_or_defaults(self._directory)
        try:
            remove_locally(settings, name, self._store, self._directory)
        except (ConfigError, OSError) as exc:
            show_message(self.status, f"Could not remove the connection: {exc}")
            return
        self.reload()
        show_message(self.status, said, OK_STYLE)
        self.changed.emit(name)

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(
            self, "Disconnect a bank", text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def close_tasks(self) -> None:
        self._tasks.close()
        if self.wizard is not None:
            self.wizard.reject()  # finished: _wizard_closed forgets it
