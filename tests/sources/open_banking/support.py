"""Shared set-up for the Open Banking tests: a running mutual-TLS simulator and a source wired to
it through a credential store, exactly as `keys set bank` would leave things."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from balance_desk.config import BankSettings
from balance_desk.credentials import BankCredentials, CredentialStore
from balance_desk.model import AccountResult, BankResult
from balance_desk.simulator.open_banking.server import BankSimulator, SimTokens
from balance_desk.sources.open_banking.source import OpenBankingSource


def bank_settings(sim: BankSimulator, **changes: Any) -> BankSettings:
    values: dict[str, Any] = {
        "preset": "custom",
        "url": sim.url,
        "financial_id": sim.financial_id,
        "cert_path": str(sim.tls.client.cert_path),
        "key_path": str(sim.tls.client.key_path),
        "ca_bundle": str(sim.tls.ca_cert),
    }
    values.update(changes)
    return BankSettings(**values)


def store_tokens(
    store: CredentialStore,
    tokens: SimTokens,
    *,
    refresh: bool = True,
    expires_at: datetime | None = None,
    passphrase: str | None = None,
) -> BankCredentials:
    creds = BankCredentials(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token if refresh else None,
        client_id=tokens.client_id,
        expires_at=expires_at or tokens.expires_at,
        key_passphrase=passphrase,
    )
    store.set_bank(creds)
    return creds


def make_source(
    sim: BankSimulator, store: CredentialStore, data_dir: Path, **options: Any
) -> OpenBankingSource:
    settings = options.pop("settings", None) or bank_settings(sim)
    return OpenBankingSource(store, settings, data_dir, **options)


def by_id(result: BankResult) -> dict[str, AccountResult]:
    return {a.account.account_id: a for a in result.accounts}
