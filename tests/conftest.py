"""Shared fixtures. Every test gets its own data directory; none touches the user's real one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Widget tests draw offscreen; tests that need a real X server start Xvfb themselves.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from balance_desk.credentials import CredentialStore, MemoryKeyring


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BALANCE_DESK_HOME points at a fresh folder for every test."""
    home = tmp_path / "balance-desk-home"
    monkeypatch.setenv("BALANCE_DESK_HOME", str(home))
    return home


@pytest.fixture
def memory_store() -> CredentialStore:
    return CredentialStore(MemoryKeyring())


@pytest.fixture
def real_keyring_store() -> Iterator[CredentialStore]:
    """A CredentialStore on the real Secret Service that scripts/test starts (gnome-keyring on a
    private D-Bus). Outside scripts/test it is skipped locally and fails on CI."""
    if not os.environ.get("BALANCE_DESK_REAL_KEYRING"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the keyring tests on a real Secret Service (scripts/test)")
        pytest.skip("needs the private Secret Service that scripts/test starts")
    import keyring

    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", backend
    store = CredentialStore(backend)
    store.delete_revolut_x()
    store.delete_bank()
    yield store
    store.delete_revolut_x()
    store.delete_bank()


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (for a loopback redirect URI)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
