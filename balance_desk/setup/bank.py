"""Setting up a bank: the rules for a custom API root, the tokens and the transport files, in
words; where the set-up is stored; and the connection check. One copy, used by
`balance-desk keys set bank` and by the key set-up dialog."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.credentials import BankCredentials, CredentialStore, MemoryKeyring
from balance_desk.errors import ConfigError
from balance_desk.setup.common import CheckOutcome, failed_check, fetch_once, plural
from balance_desk.sources.http import check_api_root
from balance_desk.sources.open_banking.client import ssl_context
from balance_desk.sources.open_banking.files import (
    TransportFiles,
    check_ca_bundle,
    check_transport_files,
)

if TYPE_CHECKING:
    from balance_desk.config import BankSettings
    from balance_desk.sources.base import SourceName


def endpoint_problems(url: str, financial_id: str) -> list[str]:
    """What is wrong with a custom bank's API root and financial id, each as a sentence."""
    problems = []
    try:
        root = check_api_root(url, service="bank")
    except ConfigError as exc:
        problems.append(str(exc))
    else:
        if not root.startswith("https://"):
            problems.append(f"The bank API root must be https:// (mutual TLS), not {root}.")
    if not financial_id.strip():
        problems.append("Enter the bank's financial id (x-fapi-financial-id).")
    return problems


def token_problems(
    access_token: str, refresh_token: str | None, client_id: str | None
) -> list[str]:
    problems = []
    if not access_token:
        problems.append("Paste the access token from your Open Banking consent.")
    if refresh_token and not client_id:
        problems.append("A refresh token needs the client id of your Open Banking app.")
    return problems


def file_problems(
    cert: str | None,
    key: str | None,
    passphrase: str | None,
    ca_bundle: str | None,
    now: datetime,
) -> tuple[TransportFiles | None, list[str]]:
    """The transport certificate, its key and the bank's CA bundle, checked in words; OpenSSL
    has the last word once they look right. (What the certificate is, if it checks out.)"""
    problems = []
    if not cert:
        problems.append(
            "Choose the transport certificate file (from your Open Banking directory account)."
        )
    if not key:
        problems.append("Choose the transport certificate's private key file.")
    summary = None
    if cert and key:
        try:
            summary = check_transport_files(cert, key, passphrase, now)
        except ConfigError as exc:
            problems.append(str(exc))
    if ca_bundle:
        try:
            check_ca_bundle(ca_bundle)
        except ConfigError as exc:
            problems.append(str(exc))
    if summary is not None and not problems:
        assert cert is not None and key is not None
        try:  # OpenSSL has the last word on whether the pair can be used
            ssl_context(cert, key, passphrase, ca_bundle or None)
        except ConfigError as exc:
            problems.append(str(exc))
    return (summary if not problems else None), problems


def token_expiry(token: str) -> datetime | None:
    """The `exp` of a JWT access token, read without verifying it (only to refresh in time)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        exp = payload.get("exp") if isinstance(payload, dict) else None
        return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else None
    except (ValueError, OverflowError, OSError, RecursionError):
        return None


def check_bank(
    creds: BankCredentials, settings: BankSettings, directory: Path
) -> CheckOutcome:
    """The real account list and balances with these (unsaved) credentials, user present (so
    the 4-a-day unattended quota is not spent). Tokens the bank rotated come back with it."""
    from balance_desk.model import BankResult
    from balance_desk.sources.open_banking.source import OpenBankingSource

    store = CredentialStore(MemoryKeyring())
    store.set_bank(creds)
    result = fetch_once(lambda: OpenBankingSource(store, settings, directory))
    if isinstance(result, CheckOutcome):
        return result
    after = store.get_bank()
    refreshed = after if after is not None and after != creds else None
    if result.status == "ok" and isinstance(result, BankResult):
        summary = plural(len(result.accounts), "account", "accounts")
        unreadable = sum(1 for a in result.accounts if a.status == "error")
        if unreadable:
            summary += f" ({unreadable} could not be read)"
        return CheckOutcome(True, summary, refreshed_bank=refreshed)
    return failed_check(result.error, refreshed_bank=refreshed)


@dataclass(frozen=True)
class BankSetup:
    """Where a bank set-up lives: tokens and passphrase in the keyring, the bank and the file
    paths in the settings, the account list cached in the data directory."""

    name: SourceName = "bank"
    title: str = "bank"

    def stored(self, store: CredentialStore) -> BankCredentials | None:
        return store.get_bank()

    def put(self, store: CredentialStore, creds: BankCredentials) -> None:
        store.set_bank(creds)

    def remove(self, store: CredentialStore, directory: Path | None = None) -> bool:
        """The tokens go, and so does the cached account list (personal data, no longer
        needed). The certificate paths stay in the settings: they are not secret, and ease
        setting up again."""
        from balance_desk.paths import data_dir
        from balance_desk.sources.open_banking.source import ACCOUNTS_CACHE_FILE

        removed = store.delete_bank()
        ((directory or data_dir()) / ACCOUNTS_CACHE_FILE).unlink(missing_ok=True)
        return removed


BANK = BankSetup()
