"""Connecting a bank in three steps: the bank and its files (checked in words before anything is
sent) → approve in the browser → done. Every step that talks to the bank or waits for it runs on a
`Tasks` job, so the window never blocks, and Cancel works at every step. Renewing opens at the
second step with the connection as it was set up. The steps are `setup.bank_connect`'s, shared
with `balance-desk bank connect`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from balance_desk.config import BANK_PRESETS, Settings
from balance_desk.credentials import BankCredentials, CredentialStore
from balance_desk.errors import SourceError
from balance_desk.gui.keys.fields import FilePicker, SecretField, message_label
from balance_desk.gui.keys.page import OK_STYLE, show_message
from balance_desk.gui.tasks import JobFailed, Tasks
from balance_desk.setup.bank_connect import (
    Connected,
    ConnectRequest,
    PendingConnection,
    begin,
    connect_problems,
    connection_settings,
    default_name,
    finish,
)
from balance_desk.setup.common import describe_error
from balance_desk.sources.open_banking.redirect import LoopbackReceiver, is_loopback_redirect

PRESETS = [("Revolut", "revolut"), ("Revolut sandbox (testing)", "revolut-sandbox"),
           ("Custom (another Open Banking bank)", "custom")]
PEM_FILTER = "Certificates and keys (*.pem *.crt *.cer *.key);;All (*)"
Browser = Callable[[str], None]


def open_in_browser(url: str) -> None:
    QDesktopServices.openUrl(QUrl(url))


def _caught(job: Callable[[], object]) -> Callable[[], object]:
    """A step's expected failures come back as values (said in words), not as bugs."""

    def run() -> object:
        try:
            return job()
        except SourceError as exc:
            return exc

    return run


class ConnectWizard(QDialog):
    """Connect a bank (or, with `renewing`, approve an existing connection again)."""

    # The connection's name, once its tokens are stored.
    connected = Signal(str)

    def __init__(  # noqa: PLR0915 - one form, laid out in order
        self,
        store: CredentialStore,
        parent: QWidget | None = None,
        *,
        directory: Path | None = None,
        renewing: tuple[ConnectRequest, BankCredentials | None] | None = None,
        browser: Browser = open_in_browser,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Renew a bank connection" if renewing else "Connect a bank")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(640)
        self._store = store
        self._directory = directory
        self._browser = browser
        self._tasks = Tasks(self)
        # Set when the wizard closes: an exchange finishing afterwards must store nothing.
        self._cancelled = threading.Event()
        self._tasks.done.connect(self._step_done)
        self._pending: PendingConnection | None = None
        self._receiver: LoopbackReceiver | None = None
        self._renewing = renewing
        self.settings, _problem = Settings.load_or_defaults(directory)

        layout = QVBoxLayout(self)
        self.steps = QStackedWidget()
        layout.addWidget(self.steps, 1)

        # --- step 1: the bank and its files ----------------------------------------------------
        first = QWidget()
        form = QFormLayout(first)
        taken = {c.connection_name for c in self.settings.connections()}
        self.name = QLineEdit(default_name("revolut", taken))
        self.name.setAccessibleName("Connection name")
        form.addRow("&Name:", self.name)
        self.preset = QComboBox()
        self.preset.setAccessibleName("Bank")
        for label, value in PRESETS:
            self.preset.addItem(label, value)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        form.addRow("&Bank:", self.preset)
        self.url = QLineEdit()
        self.url.setAccessibleName("API root")
        self.financial_id = QLineEdit()
        self.financial_id.setAccessibleName("Financial id")
        self.auth_url = QLineEdit()
        self.auth_url.setAccessibleName("Authorisation page")
        self.auth_url.setPlaceholderText("the bank's page where you approve (custom banks)")
        form.addRow("API root:", self.url)
        form.addRow("Financial id:", self.financial_id)
        form.addRow("Authorisation page:", self.auth_url)
        self.client_id = QLineEdit()
        self.client_id.setAccessibleName("Client id")
        form.addRow("&Client id:", self.client_id)
        self.cert = FilePicker("Transport certificate", PEM_FILTER, optional=False)
        self.cert.setAccessibleName("Transport certificate")
        self.key = FilePicker("Transport key", PEM_FILTER, optional=False)
        self.key.setAccessibleName("Transport key")
        self.key_passphrase = SecretField("only if the key is encrypted")
        self.key_passphrase.setAccessibleName("Transport key passphrase")
        self.ca_bundle = FilePicker("CA bundle", PEM_FILTER, optional=True)
        self.ca_bundle.setAccessibleName("CA bundle")
        form.addRow("Transport &certificate:", self.cert)
        form.addRow("Transport &key:", self.key)
        form.addRow("Key passphrase:", self.key_passphrase)
        form.addRow("Bank CA bundle:", self.ca_bundle)
        self.signing_key = FilePicker("Signing key", PEM_FILTER, optional=False)
        self.signing_key.setAccessibleName("Signing key")
        self.signing_passphrase = SecretField("only if the signing key is encrypted")
        self.signing_passphrase.setAccessibleName("Signing key passphrase")
        self.kid = QLineEdit()
        self.kid.setAccessibleName("Signing key id (kid)")
        self.redirect_uri = QLineEdit()
        self.redirect_uri.setAccessibleName("Redirect URI")
        self.redirect_uri.setPlaceholderText("registered for your app, e.g. http://127.0.0.1:8765/cb")
        form.addRow("&Signing key:", self.signing_key)
        form.addRow("Signing passphrase:", self.signing_passphrase)
        form.addRow("Key id (kid):", self.kid)
        form.addRow("&Redirect URI:", self.redirect_uri)
        self.problems = message_label("connectProblems")
        self.problems.setStyleSheet("color: #c62828;")
        form.addRow(self.problems)
        self.steps.addWidget(first)

        # --- step 2: approve in the browser ------------------------------------------------------
        second = QWidget()
        column = QVBoxLayout(second)
        self.authorise_text = QLabel(
            "Approve read access to your accounts and balances at your bank. The page opens in "
            "your browser; if it does not, copy the address below into it."
        )
        self.authorise_text.setWordWrap(True)
        column.addWidget(self.authorise_text)
        self.address = QLineEdit()
        self.address.setReadOnly(True)
        self.address.setAccessibleName("Authorisation address")
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self._copy)
        self.open_button = QPushButton("Open in browser")
        self.open_button.clicked.connect(self._open)
        row.addWidget(self.copy_button)
        row.addWidget(self.open_button)
        column.addLayout(row)
        self.paste_label = QLabel("After approving, paste the address your browser landed on:")
        self.paste_label.setWordWrap(True)
        self.landed = QLineEdit()
        self.landed.setAccessibleName("Address the browser landed on")
        column.addWidget(self.paste_label)
        column.addWidget(self.landed)
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        column.addWidget(self.waiting)
        column.addStretch(1)
        self.steps.addWidget(second)

        # --- step 3: done ---------------------------------------------------------------------
        third = QWidget()
        done_column = QVBoxLayout(third)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        done_column.addWidget(self.summary)
        done_column.addStretch(1)
        self.steps.addWidget(third)

        self.status = message_label("connectStatus")
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self._next)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        self._preset_changed()
        if renewing is not None:
            self._start(renewing[0], renewing[1])

    # --- step 1 -------------------------------------------------------------------------------

    def _preset_changed(self) -> None:
        preset = str(self.preset.currentData())
        custom = preset == "custom"
        for field in (self.url, self.financial_id, self.auth_url):
            field.setEnabled(custom)
        if not custom:
            url, financial_id = BANK_PRESETS[preset]
            self.url.setText(url)
            self.financial_id.setText(financial_id)
            self.auth_url.clear()
        taken = {c.connection_name for c in self.settings.connections()}
        defaults = {default_name(p, taken) for _label, p in PRESETS}
        if not self.name.text().strip() or self.name.text() in defaults:
            self.name.setText(default_name(preset, taken))

    def request(self) -> ConnectRequest:
        return ConnectRequest(
            connection_settings(
                name=self.name.text(), preset=str(self.preset.currentData()),
                url=self.url.text(), financial_id=self.financial_id.text(),
                auth_url=self.auth_url.text(), client_id=self.client_id.text(),
                cert_path=self.cert.path(), key_path=self.key.path(),
                ca_bundle=self.ca_bundle.path() or None,
                signing_key_path=self.signing_key.path(), kid=self.kid.text(),
                redirect_uri=self.redirect_uri.text(),
            ),
            key_passphrase=self.key_passphrase.text() or None,
            signing_key_passphrase=self.signing_passphrase.text() or None,
        )

    def _next(self) -> None:
        index = self.steps.currentIndex()
        if index == 0:
            request = self.request()
            taken = {c.connection_name for c in self.settings.connections()}
            problems = connect_problems(request, taken, datetime.now(UTC))
            if problems:
                show_message(self.problems, "\n".join(problems))
                return
            self.problems.hide()
            self._start(request, None)
        elif index == 1:
            self._finish(self.landed.text())
        else:
            self.accept()

    def _start(self, request: ConnectRequest, previous: BankCredentials | None) -> None:
        self._busy("Creating the consent at the bank…")
        self._tasks.submit("begin", _caught(lambda: begin(request, previous=previous)),
                           name="consent-begin")

    # --- step 2 -------------------------------------------------------------------------------

    def _show_authorise(self, pending: PendingConnection) -> None:
        self._pending = pending
        self.steps.setCurrentIndex(1)
        self.address.setText(pending.url)
        self.address.setCursorPosition(0)
        redirect = pending.request.settings.redirect_uri
        listening = is_loopback_redirect(redirect)
        self.paste_label.setVisible(not listening)
        self.landed.setVisible(not listening)
        self.next_button.setVisible(not listening)
        self.next_button.setEnabled(True)
        self.next_button.setText("Finish")
        self.status.hide()
        if listening:
            try:
                self._receiver = LoopbackReceiver(redirect).start()
            except SourceError as exc:
                self._failed(exc)
                return
            receiver = self._receiver
            self.waiting.setText("Waiting for your bank to send the browser back (5 minutes)…")
            self._tasks.submit("listen", _caught(receiver.wait), name="consent-listen")
        self._open()

    def _open(self) -> None:
        if self._pending is not None:
            self._browser(self._pending.url)

    def _copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and self._pending is not None:
            clipboard.setText(self._pending.url)

    def _finish(self, landed: str) -> None:
        pending = self._pending
        if pending is None:
            return
        self._busy("Exchanging the approval for tokens and reading your accounts…")
        store, directory, cancelled = self._store, self._directory, self._cancelled
        self._tasks.submit(
            "finish",
            _caught(lambda: finish(pending, landed, store, directory=directory,
                                   cancelled=cancelled.is_set)),
            name="consent-finish",
        )

    # --- results ------------------------------------------------------------------------------

    def _busy(self, text: str) -> None:
        self.next_button.setEnabled(False)
        show_message(self.status, text, OK_STYLE)

    def _step_done(self, key: object, result: object) -> None:
        if isinstance(result, JobFailed):
            self._failed(result.exc)
            return
        if isinstance(result, BaseException):
            self._failed(result)
            return
        if key == "begin" and isinstance(result, PendingConnection):
            self._show_authorise(result)
        elif key == "listen" and isinstance(result, str):
            self.waiting.setText("The bank's answer arrived.")
            self._finish(result)
        elif key == "finish" and isinstance(result, Connected):
            self._show_done(result)

    def _failed(self, exc: BaseException) -> None:
        text = describe_error(exc.to_info()) if isinstance(exc, SourceError) else (
            f"Connecting stopped unexpectedly ({type(exc).__name__})."
        )
        show_message(self.status, text)
        self.next_button.setEnabled(True)
        self.next_button.setVisible(True)
        if self.steps.currentIndex() == 1 and self._receiver is not None:
            # The listener has stopped: start again from the first step.
            self._receiver = None
            self.steps.setCurrentIndex(0 if self._renewing is None else 1)
            self.next_button.setText("Next")

    def _show_done(self, done: Connected) -> None:
        result = done.result
        lines = [f"Connected '{done.name}'. Its tokens are in this computer's keyring."]
        if result.status == "error" and result.error is not None:
            lines.append(f"The first read failed: {describe_error(result.error)}")
        else:
            lines.append(f"Accounts it can read ({len(result.accounts)}):")
            lines += [f"  {a.account.display_name} ({a.account.currency or '?'})"
                      for a in result.accounts]
        if done.note:
            lines.append(done.note)
        self.summary.setText("\n".join(lines))
        self.steps.setCurrentIndex(2)
        self.status.hide()
        self.cancel_button.hide()
        self.next_button.setVisible(True)
        self.next_button.setEnabled(True)
        self.next_button.setText("Done")
        self.connected.emit(done.name)

    # --- cancel -------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        # An exchange still under way stores nothing once it is back (see setup.finish).
        self._cancelled.set()
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.cancel()
            receiver.stop()  # the port is free again before the wizard is gone
        self._tasks.close()
        super().done(result)
