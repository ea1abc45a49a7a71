"""The Revolut X page: API key, the Ed25519 private key (import, paste, or generate a pair and
copy its public half), and the API root under Advanced.

Key parsing and generation are `sources.keys`; this page only puts them in front of the user.
An encrypted PEM is unlocked once here and kept unencrypted in the keyring, which is what
protects it from then on (the same as `balance-desk keys set revolut-x --passphrase-file`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from balance_desk.config import REVOLUT_X_DEFAULT_URL, RevolutXSettings
from balance_desk.credentials import RevolutXCredentials
from balance_desk.errors import ConfigError
from balance_desk.gui.keys.fields import FilePicker, SecretField, message_label
from balance_desk.gui.keys.page import (
    ERROR_STYLE,
    HINT_STYLE,
    OK_STYLE,
    WARN_STYLE,
    Advanced,
    SourcePage,
    show_message,
)
from balance_desk.setup.common import CheckOutcome
from balance_desk.setup.revolut_x import (
    REVOLUT_X,
    api_key_problem,
    api_key_shape_note,
    check_revolut_x,
    read_key_file,
    settings_problems,
)
from balance_desk.sources.revolut_x.keys import (
    generate_private_key,
    is_encrypted_pem,
    load_private_key,
    private_key_pem,
    public_key_pem,
)

WHERE_TO_PASTE = (
    "1. Open exchange.revolut.com → API keys, add a new API key and paste this public key there.\n"
    "2. Revolut X then shows the API key: copy it into the API key field above, then Save."
)


class PrivateKeyBox(QWidget):
    """Holds the private key (in memory only) and shows its public half."""

    changed = Signal()
    generated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key: Ed25519PrivateKey | None = None
        self.generated_unsaved = False
        self._locked_pem: str | None = None  # an encrypted PEM waiting for its passphrase
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel("No private key yet.")
        self.status.setObjectName("privateKeyStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.paste = QPlainTextEdit()
        self.paste.setAccessibleName("Paste the private key")
        self.paste.setPlaceholderText(
            "Paste the private key here (-----BEGIN PRIVATE KEY----- …), or use the buttons."
        )
        self.paste.setTabChangesFocus(True)
        self.paste.setFixedHeight(self.paste.fontMetrics().lineSpacing() * 3 + 14)
        self.paste.textChanged.connect(self._pasted)
        layout.addWidget(self.paste)

        row = QHBoxLayout()
        self.import_button = QPushButton("Import PEM file…")
        self.import_button.clicked.connect(self._import_file)
        self.generate_button = QPushButton("Generate new key pair")
        self.generate_button.clicked.connect(self._generate)
        row.addWidget(self.import_button)
        row.addWidget(self.generate_button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addWidget(self._build_unlock_row())
        self.message = message_label("privateKeyMessage")
        layout.addWidget(self.message)

        layout.addWidget(self._build_public_box())

    def _build_unlock_row(self) -> QWidget:
        self.unlock_row = QWidget()
        unlock = QHBoxLayout(self.unlock_row)
        unlock.setContentsMargins(0, 0, 0, 0)
        self.passphrase = SecretField("passphrase of the key file")
        self.passphrase.setAccessibleName("Key file passphrase")
        self.passphrase.edit.returnPressed.connect(self._unlock)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.clicked.connect(self._unlock)
        unlock.addWidget(QLabel("Passphrase:"))
        unlock.addWidget(self.passphrase, 1)
        unlock.addWidget(self.unlock_button)
        self.unlock_row.hide()
        return self.unlock_row

    def _build_public_box(self) -> QGroupBox:
        self.public_box = QGroupBox("Public key — this half goes to Revolut X")
        public = QVBoxLayout(self.public_box)
        self.public_pem = QPlainTextEdit()
        self.public_pem.setReadOnly(True)
        self.public_pem.setAccessibleName("Public key")
        self.public_pem.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.public_pem.setFixedHeight(self.public_pem.fontMetrics().lineSpacing() * 3 + 14)
        copy_row = QHBoxLayout()
        self.copy_button = QPushButton("Copy public key")
        self.copy_button.clicked.connect(self._copy_public)
        self.copied = QLabel()
        copy_row.addWidget(self.copy_button)
        copy_row.addWidget(self.copied, 1)
        self.where = QLabel(WHERE_TO_PASTE)
        self.where.setWordWrap(True)
        public.addWidget(self.public_pem)
        public.addLayout(copy_row)
        public.addWidget(self.where)
        self.public_box.hide()
        return self.public_box

    # --- state ---------------------------------------------------------------------------------

    @property
    def pem(self) -> str | None:
        return None if self._key is None else private_key_pem(self._key)

    @property
    def waiting_for_passphrase(self) -> bool:
        return self._locked_pem is not None

    def set_key(self, key: Ed25519PrivateKey | None, note: str | None = None) -> None:
        self._key = key
        self.generated_unsaved = False
        self._locked_pem = None
        self.unlock_row.hide()
        self.passphrase.clear()
        self.copied.clear()
        if key is None:
            self.status.setText("No private key yet.")
            self.public_box.hide()
        else:
            public = public_key_pem(key)
            self.status.setText("✓ Ed25519 private key ready (kept in the keyring when saved).")
            self.public_pem.setPlainText(public.strip())
            self.public_box.show()
        show_message(self.message, note, OK_STYLE)
        self.changed.emit()

    def load_stored(self, pem: str) -> None:
        try:
            self.set_key(load_private_key(pem, source="The stored key"))
        except ConfigError as exc:
            self.set_key(None)
            show_message(self.message, str(exc))

    def take_text(self, text: str, origin: str) -> None:
        """A PEM from a file or the clipboard: load it, ask for its passphrase, or say why not."""
        if is_encrypted_pem(text):
            self._locked_pem = text
            self.unlock_row.show()
            self.passphrase.edit.setFocus()
            show_message(
                self.message,
                f"{origin} is protected by a passphrase. Type it and press Unlock.",
                HINT_STYLE,
            )
            self.changed.emit()
            return
        try:
            key = load_private_key(text, source=origin)
        except ConfigError as exc:
            show_message(self.message, str(exc), ERROR_STYLE)
            return
        self.set_key(key, f"{origin} is a valid Ed25519 private key.")

    def _pasted(self) -> None:
        text = self.paste.toPlainText()
        if "-----END" not in text and "-----BEGIN" in text:
            return  # still arriving (typed or pasted in parts)
        if not text.strip():
            return
        # Take the key out of the visible box at once: the private key is never left on screen.
        self.paste.blockSignals(True)
        self.paste.clear()
        self.paste.blockSignals(False)
        self.take_text(text, "The pasted text")

    def _import_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Import the private key", str(Path.home()), "PEM keys (*.pem *.key);;All (*)"
        )
        if chosen:
            self.import_path(Path(chosen))

    def import_path(self, path: Path) -> None:
        try:
            text = read_key_file(path)
        except ConfigError as exc:
            show_message(self.message, str(exc))
            return
        self.take_text(text, f"The file {path.name}")

    def _unlock(self) -> None:
        if self._locked_pem is None:
            return
        if not self.passphrase.text():
            show_message(self.message, "Type the passphrase of the key file first.")
            return
        try:
            key = load_private_key(
                self._locked_pem, self.passphrase.edit.text(), source="The key file"
            )
        except ConfigError as exc:
            show_message(self.message, str(exc))
            self.passphrase.edit.selectAll()
            return
        self.set_key(
            key,
            "Unlocked. The key is kept in the system keyring, so the passphrase is not "
            "needed again.",
        )

    def _generate(self) -> None:
        if self._key is not None:
            answer = QMessageBox.question(
                self,
                "Replace the private key?",
                "A private key is already set. A new pair replaces it, and the API key that "
                "belongs to the old one will no longer work here.\n\nGenerate a new key pair?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.set_key(
            generate_private_key(),
            "New key pair created. Copy the public key below and add it in Revolut X.",
        )
        # Only this dialog holds the private half until Save: closing would lose it.
        self.generated_unsaved = True
        self.generated.emit()

    def _copy_public(self) -> None:
        # The public half is the one value we ever put on the clipboard.
        QGuiApplication.clipboard().setText(self.public_pem.toPlainText() + "\n")
        self.copied.setText("Copied.")


class RevolutXPage(SourcePage):
    kind = REVOLUT_X

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Revolut X keys")
        self.api_key = SecretField("64 letters and digits from Revolut X")
        self.api_key.setAccessibleName("API key")
        self.api_key.textChanged.connect(self.revalidate)
        self.form.addRow("API &key:", self.api_key)
        self.api_key_hint = message_label("apiKeyHint")
        self.form.addRow("", self.api_key_hint)
        self.private_key = PrivateKeyBox()
        self.private_key.changed.connect(self.revalidate)
        self.private_key.generated.connect(self.api_key.clear)
        self.form.addRow("Private key:", self.private_key)

        self.advanced = Advanced("Advanced")
        self.url = QLineEdit(REVOLUT_X_DEFAULT_URL)
        self.url.setAccessibleName("API root")
        self.url.textChanged.connect(self.revalidate)
        self.ca_bundle = FilePicker("CA bundle", "Certificates (*.pem *.crt);;All (*)",
                                    optional=True)
        self.ca_bundle.setAccessibleName("CA bundle")
        self.ca_bundle.pathChanged.connect(self.revalidate)
        self.advanced.form.addRow("API root:", self.url)
        self.advanced.form.addRow("CA bundle:", self.ca_bundle)
        self.body.addWidget(self.advanced)

    def load(self, creds: RevolutXCredentials | None, settings: RevolutXSettings) -> None:
        self.api_key.setText(creds.api_key if creds else "")
        if creds:
            self.private_key.load_stored(creds.private_key_pem)
        self.url.setText(settings.url)
        self.ca_bundle.setPath(settings.ca_bundle)
        self.advanced.set_open(settings.url != REVOLUT_X_DEFAULT_URL or bool(settings.ca_bundle))
        self.set_stored(creds is not None)

    def revalidate(self) -> None:
        show_message(self.api_key_hint, api_key_shape_note(self.api_key.text()), WARN_STYLE)
        super().revalidate()

    def find_problems(self) -> list[str]:
        problems = []
        key_problem = api_key_problem(self.api_key.text())
        if key_problem:
            problems.append(key_problem)
        if self.private_key.waiting_for_passphrase:
            problems.append("Unlock the private key with its passphrase.")
        elif self.private_key.pem is None:
            problems.append("Import, paste or generate the private key.")
        return problems + settings_problems(self.url.text(), self.ca_bundle.path() or None)

    def credentials(self) -> RevolutXCredentials:
        pem = self.private_key.pem
        if pem is None:  # validate() runs first; this is the belt to its braces
            raise ConfigError("The private key is missing.")
        return RevolutXCredentials(api_key=self.api_key.text(), private_key_pem=pem)

    def settings_section(self) -> RevolutXSettings:
        return RevolutXSettings(
            url=self.url.text().strip().rstrip("/") or REVOLUT_X_DEFAULT_URL,
            ca_bundle=self.ca_bundle.path() or None,
        )

    def make_check(self) -> Callable[[], CheckOutcome]:
        creds, settings = self.credentials(), self.settings_section()
        return lambda: check_revolut_x(creds, settings)

    def unsaved_warning(self) -> str | None:
        if not self.private_key.generated_unsaved:
            return None
        return (
            "The new key pair is not saved yet. The public key you may have uploaded to Revolut X "
            "needs this private key: closing now discards it, and that API key would never work."
        )

    def mark_saved(self) -> None:
        self.private_key.generated_unsaved = False
