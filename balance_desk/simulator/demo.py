"""Demo mode: the simulators running in-process, settings pointing at them, and throwaway
credentials in an in-memory keyring (the real keyring is never touched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from balance_desk.config import RevolutXSettings, Settings
from balance_desk.credentials import CredentialStore, MemoryKeyring, RevolutXCredentials
from balance_desk.simulator.base import LoopbackServer
from balance_desk.simulator.revolut_x import RevolutXSimulator


@dataclass
class DemoEnvironment:
    """Everything a demo session needs. `close()` (or leaving the `with`) stops the servers."""

    settings: Settings
    store: CredentialStore
    revolut_x: RevolutXSimulator
    servers: list[LoopbackServer] = field(default_factory=list)

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
        # Further simulators (the bank) start here the same way: append to `servers`, point
        # `settings` at them and put their demo credentials into `store`.
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return DemoEnvironment(settings=settings, store=store, revolut_x=crypto, servers=servers)
