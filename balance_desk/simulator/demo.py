"""Demo mode: the simulators running in-process, settings pointing at them, and throwaway
credentials in an in-memory keyring (the real keyring is never touched)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from balance_desk.config import RatesSettings, RevolutXSettings, Settings
from balance_desk.credentials import (
    CredentialStore,
    MemoryKeyring,
    RevolutXCredentials,
)
from balance_desk.simulator.base import LoopbackServer
from balance_desk.simulator.ecb import EcbSimulator
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
    ecb: EcbSimulator | None = None
    # The demo's own cache of the ECB rates (never the user's data directory).
    rates_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bd-rates-")))

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        shutil.rmtree(self.rates_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_demo(*, currencies: int | None = None, base_currency: str = "") -> DemoEnvironment:
    """Start every simulator and wire settings and credentials to them; values are shown in
    `base_currency` (empty: the system locale's)."""
    store = CredentialStore(MemoryKeyring())
    settings = Settings(base_currency=base_currency)
    servers: list[LoopbackServer] = []
    try:
        ecb = EcbSimulator().start()
        servers.append(ecb)
        settings.rates = RatesSettings(ecb_url=ecb.feed_url)
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
        settings=settings, store=store, revolut_x=crypto, servers=servers, bank=bank, ecb=ecb
    )
