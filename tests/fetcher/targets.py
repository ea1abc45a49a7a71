"""Source factories for the fetch-process tests: run inside the fetch process, by name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.errors import ConfigError

if TYPE_CHECKING:
    from balance_desk.sources.base import SourceSet


def broken() -> None:
    raise ConfigError("The bank certificate file /nowhere/cert.pem does not exist.")


class GateKeyring:
    """A keyring that answers only once `gate` exists: the OS keyring waiting for its user to
    unlock it."""

    def __init__(self, gate: Path) -> None:
        self.gate = gate

    def get_password(self, service: str, username: str) -> str | None:
        while not self.gate.exists():
            time.sleep(0.02)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise ConfigError("read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise ConfigError("read-only")


def locked_keyring(history_file: str, gate: str) -> SourceSet:
    """Revolut X with a keyring that waits for `gate`, and the history in `history_file`."""
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.history import History
    from balance_desk.sources.base import SourceSet
    from balance_desk.sources.factory import build_sources

    store = CredentialStore(GateKeyring(Path(gate)))
    return SourceSet(build_sources(store, Settings(), which="revolut-x"), None, None,
                     History(Path(history_file)))
