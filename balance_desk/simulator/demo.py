"""Demo mode: the simulators running in-process, settings pointing at them, and throwaway
credentials in an in-memory keyring (the real keyring is never touched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from balance_desk.config import RevolutXSettings, Settings
from balance_desk.credentials import (
    CredentialStore,
    MemoryKeyring,
    RevolutXCredentials,
)
from balance_desk.simulator.base import LoopbackServer
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator


@dataclass
class DemoEnvironment:
    """Everything a demo session needs. `close()` (or leaving the `with`) stops the servers."""

    settings: Settings
    store: CredentialStore
    revolut_x: RevolutXSimulator
    servers: list[LoopbackServer] = field(default_factory=list)
    bank: BankSimulator | None = None

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_demo(*, currencies: int | None = None) -> DemoEnvironment:
    """Start every simulator and wire settings and credentials to them."""
    store = CredentialStore(MemoryKeyring())
    settings = Settings()
    servers: list[LoopbackServer] = []
    try:
        crypto = RevolutXSimulator(currencies=currencies).start()
        servers.append(crypto)
        settings.revolut_x = RevolutXSettings(url=crypto.api_root)
        store.set_revolut_x(
            RevolutXCredentials(api_key=crypto.api_key, private_key_pem=crypto.private_key_pem)
        )
        # The bank's certificate files live in its own temporary folder until it stops.
        bank = BankSimulator().start()
        servers.append(bank)
        settings.bank = bank.client_settings()
        store.set_bank(bank.client_credentials("demo-client"))
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return DemoEnvironment(
        settings=settings, store=store, revolut_x=crypto, servers=servers, bank=bank
    )
