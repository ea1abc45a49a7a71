"""Shared fixtures. Every test gets its own data directory; none touches the user's real one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Widget tests draw offscreen; tests that need a real X server start Xvfb themselves.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from balance_desk.credentials import CredentialStore, MemoryKeyring


def _tls_sockets_say_where_they_were_made() -> None:
    """An unclosed TLS socket fails the test in which the collector happens to find it, which is
    seldom the test that leaked it (seen once in CI, not reproduced since). Each TLS socket made
    during the tests keeps the stack that made it, and its repr, which pytest's report of the
    leak prints, ends with that stack. tracemalloc would say the same at fifteen times the cost."""
    import ssl
    import traceback

    create = getattr(ssl.SSLSocket, "_create", None)
    if create is None:  # another Python's private API: go without
        return
    make = create.__func__
    describe = ssl.SSLSocket.__repr__

    def created(cls: type[ssl.SSLSocket], /, *args: object, **kwargs: object) -> ssl.SSLSocket:
        sock: ssl.SSLSocket = make(cls, *args, **kwargs)
        try:  # the socket exists now: nothing here may keep it from its caller
            made = "".join(traceback.format_stack(limit=40)[:-1])
        except Exception as exc:  # said in the repr instead
            made = f"(the stack could not be taken: {exc!r})"
        sock._made_at = made  # type: ignore[attr-defined]
        return sock

    def described(sock: ssl.SSLSocket) -> str:
        made = getattr(sock, "_made_at", None)
        return describe(sock) if made is None else f"{describe(sock)}, made at:\n{made}"

    ssl.SSLSocket._create = classmethod(created)  # type: ignore[attr-defined]
    ssl.SSLSocket.__repr__ = described  # type: ignore[method-assign, assignment]


_tls_sockets_say_where_they_were_made()


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
