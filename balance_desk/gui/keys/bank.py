"""The bank page: preset or custom bank, tokens (masked), and the transport certificate files,
checked in words by `setup.bank` (the same rules as `balance-desk keys set bank`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from balance_desk.config import BANK_PRESETS, BankPreset, BankSettings, data_dir
from balance_desk.credentials import BankCredentials
from balance_desk.gui.keys.fields import FilePicker, SecretField, message_label
from balance_desk.gui.keys.page import OK_STYLE, WARN_STYLE, SourcePage, show_message
from balance_desk.setup.bank import (
    BANK,
    check_bank,
    endpoint_problems,
    file_problems,
    token_problems,
)
from balance_desk.setup.common import CheckOutcome
from balance_desk.sources.base import now_utc

PRESETS: list[tuple[str, BankPreset]] = [
    ("Revolut", "revolut"),
    ("Revolut sandbox (testing)", "revolut-sandbox"),
    ("Custom (another Open Banking bank)", "custom"),
]
PEM_FILTER = "Certificates and keys (*.pem *.crt *.cer *.key);;All (*)"


class BankPage(SourcePage):
    kind = BANK

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Bank keys")
        self._expires_at: datetime | None = None
        self._stored_token: str | None = None
        self._custom = BankSettings(preset="custom")

        self.preset = QComboBox()
        self.preset.setAccessibleName("Bank")
        for label, value in PRESETS:
            self.preset.addItem(label, value)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.form.addRow("&Bank:", self.preset)
        self.url = QLineEdit()
        self.url.setAccessibleName("API root")
        self.financial_id = QLineEdit()
        self.financial_id.setAccessibleName("Financial id")
        self.form.addRow("API root:", self.url)
        self.form.addRow("Financial id:", self.financial_id)

        self.access_token = SecretField("from your Open Banking consent")
        self.access_token.setAccessibleName("Access token")
        self.refresh_token = SecretField("optional: lets Balance Desk renew the access token")
        self.refresh_token.setAccessibleName("Refresh token")
        self.client_id = SecretField("needed with a refresh token")
        self.client_id.setAccessibleName("Client id")
        self.form.addRow("&Access token:", self.access_token)
        self.form.addRow("&Refresh token:", self.refresh_token)
        self.form.addRow("Client id:", self.client_id)

        self.cert = FilePicker("Transport certificate", PEM_FILTER, optional=False)
        self.cert.setAccessibleName("Transport certificate")
        self.key = FilePicker("Transport key", PEM_FILTER, optional=False)
        self.key.setAccessibleName("Transport key")
        self.key_passphrase = SecretField("only if the key file is encrypted")
        self.key_passphrase.setAccessibleName("Key passphrase")
        self.ca_bundle = FilePicker("Bank CA bundle", PEM_FILTER, optional=True)
        self.ca_bundle.setAccessibleName("Bank CA bundle")
        self.form.addRow("Transport &certificate:", self.cert)
        self.form.addRow("Transport &key:", self.key)
        self.form.addRow("Key passphrase:", self.key_passphrase)
        self.form.addRow("Bank CA bundle:", self.ca_bundle)
        self.files_status = message_label("filesStatus")
        self.form.addRow("", self.files_status)

        for field in (self.access_token, self.refresh_token, self.client_id):
            field.textChanged.connect(self.revalidate)
        for edit in (self.url, self.financial_id):
            edit.textChanged.connect(self.revalidate)
        for picker in (self.cert, self.key, self.ca_bundle):
            picker.pathChanged.connect(self._files_changed)
        self.key_passphrase.textChanged.connect(self._files_changed)
        self._preset_changed()

    # --- loading -------------------------------------------------------------------------------

    def load(self, creds: BankCredentials | None, settings: BankSettings) -> None:
        if settings.preset == "custom":
            self._custom = settings
        index = next((i for i, (_l, v) in enumerate(PRESETS) if v == settings.preset), 0)
        self.preset.setCurrentIndex(index)
        self._preset_changed()
        self.access_token.setText(creds.access_token if creds else "")
        self.refresh_token.setText((creds.refresh_token or "") if creds else "")
        self.client_id.setText((creds.client_id or "") if creds else "")
        self.key_passphrase.setText((creds.key_passphrase or "") if creds else "")
        self._expires_at = creds.expires_at if creds else None
        self._stored_token = creds.access_token if creds else None
        self.cert.setPath(settings.cert_path)
        self.key.setPath(settings.key_path)
        self.ca_bundle.setPath(settings.ca_bundle)
        self.set_stored(creds is not None)
        self._files_changed()

    def _preset(self) -> BankPreset:
        value = self.preset.currentData()
        return value if value in ("revolut", "revolut-sandbox") else "custom"

    def _preset_changed(self) -> None:
        preset = self._preset()
        custom = preset == "custom"
        if custom:
            self.url.setText(self._custom.url if self._custom.url not in
                             (v[0] for v in BANK_PRESETS.values()) else "")
            self.financial_id.setText(self._custom.financial_id)
        else:
            url, financial_id = BANK_PRESETS[preset]
            self.url.setText(url)
            self.financial_id.setText(financial_id)
        self.url.setReadOnly(not custom)
        self.financial_id.setReadOnly(not custom)
        self.url.setPlaceholderText("https://… (the bank's Open Banking API root)")
        self.revalidate()

    # --- checks --------------------------------------------------------------------------------

    def file_problems(self) -> list[str]:
        summary, problems = file_problems(
            self.cert.path() or None,
            self.key.path() or None,
            self.key_passphrase.text() or None,
            self.ca_bundle.path() or None,
            now_utc(),
        )
        if summary is not None:
            until = f"{summary.not_after:%d %B %Y}"
            note = f"✓ Certificate for “{summary.subject}”, valid until {until}."
            if summary.expires_soon:
                note += " It expires soon: order a new one."
            show_message(self.files_status, note, WARN_STYLE if summary.expires_soon else OK_STYLE)
        else:
            show_message(self.files_status, None)
        return problems

    def _files_changed(self) -> None:
        self.file_problems()
        self.revalidate()

    def find_problems(self) -> list[str]:
        problems = []
        if self._preset() == "custom":
            problems += endpoint_problems(self.url.text(), self.financial_id.text())
        problems += token_problems(
            self.access_token.text(), self.refresh_token.text(), self.client_id.text()
        )
        return problems + self.file_problems()

    # --- results -------------------------------------------------------------------------------

    def credentials(self) -> BankCredentials:
        token = self.access_token.text()
        return BankCredentials(
            access_token=token,
            refresh_token=self.refresh_token.text() or None,
            client_id=self.client_id.text() or None,
            # The stored expiry only describes the stored token; a pasted one is "unknown".
            expires_at=self._expires_at if token == self._stored_token else None,
            key_passphrase=self.key_passphrase.edit.text() or None,
        )

    def settings_section(self) -> BankSettings:
        preset = self._preset()
        url, financial_id = (
            BANK_PRESETS[preset]
            if preset != "custom"
            else (self.url.text().strip().rstrip("/"), self.financial_id.text().strip())
        )
        return BankSettings(
            preset=preset,
            url=url,
            financial_id=financial_id,
            cert_path=self.cert.path() or None,
            key_path=self.key.path() or None,
            ca_bundle=self.ca_bundle.path() or None,
        )

    def make_check(self) -> Callable[[], CheckOutcome]:
        creds, settings, directory = self.credentials(), self.settings_section(), data_dir()
        return lambda: check_bank(creds, settings, directory)

    def apply_refreshed(self, outcome: CheckOutcome) -> None:
        fresh = outcome.refreshed_bank
        if fresh is None:
            return
        # A rotated refresh token makes the old one useless: keep the new pair for Save.
        self.access_token.setText(fresh.access_token)
        self.refresh_token.setText(fresh.refresh_token or "")
        self._stored_token = fresh.access_token
        self._expires_at = fresh.expires_at
