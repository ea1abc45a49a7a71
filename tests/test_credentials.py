"""The keyring store: fast unit tests on the memory backend, then the real Secret Service."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from balance_desk.credentials import (
    SERVICE,
    BankCredentials,
    CredentialStore,
    MemoryKeyring,
    RevolutXCredentials,
    mask_tail,
)
from balance_desk.errors import ConfigError
from balance_desk.sources.revolut_x.keys import generate_private_key, private_key_pem

BIG = "x" * 6000  # a refresh token of 6 KB: more than any single keyring entry should hold


def _rx(api_key: str = "A" * 60 + "wxyz") -> RevolutXCredentials:
    return RevolutXCredentials(api_key=api_key, private_key_pem=private_key_pem(
        generate_private_key()))


# --- memory backend ----------------------------------------------------------------------------


def test_round_trip_and_delete(memory_store: CredentialStore) -> None:
    assert memory_store.get_revolut_x() is None
    creds = _rx()
    memory_store.set_revolut_x(creds)
    assert memory_store.get_revolut_x() == creds
    assert memory_store.delete_revolut_x() is True
    assert memory_store.get_revolut_x() is None
    assert memory_store.delete_revolut_x() is False


def test_six_kilobyte_values_are_chunked_and_come_back_whole() -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend)
    bank = BankCredentials(
        access_token=BIG, refresh_token=BIG + "r", client_id="client",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC), key_passphrase="pw",
    )
    store.set_bank(bank)
    assert store.get_bank() == bank
    entries = backend.entry_names()
    assert len(entries) > 10  # header + many chunks
    assert all(len(backend.get_password(SERVICE, e) or "") <= 1000 for e in entries)


def test_overwrite_removes_the_old_chunks() -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend)
    store.set_revolut_x(_rx())
    first = set(backend.entry_names())
    newer = _rx("B" * 64)
    store.set_revolut_x(newer)
    assert store.get_revolut_x() == newer
    assert len(backend.entry_names()) == len(first)
    assert set(backend.entry_names()) & first == {"revolut-x"}


class _FailsAfter(MemoryKeyring):
    """Breaks like a keyring daemon killed mid-write: after `n` successful writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes_left: int | None = None

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.writes_left is not None:
            if self.writes_left == 0:
                raise keyring.errors.PasswordSetError("daemon went away")
            self.writes_left -= 1
        super().set_password(service, username, password)


# 7 chunk writes then the header: failing at 7 breaks the very write that would publish it.
@pytest.mark.parametrize("writes_before_failure", [0, 1, 3, 6, 7])
def test_interrupted_write_leaves_the_old_value_intact(writes_before_failure: int) -> None:
    backend = _FailsAfter()
    store = CredentialStore(backend)
    old = BankCredentials(access_token="old-token", refresh_token=BIG)
    store.set_bank(old)
    backend.writes_left = writes_before_failure
    with pytest.raises(ConfigError, match="Could not save to the keyring"):
        store.set_bank(BankCredentials(access_token="new-token", refresh_token=BIG + "new"))
    backend.writes_left = None
    assert store.get_bank() == old


def test_damaged_entries_are_config_errors(memory_store: CredentialStore) -> None:
    backend = memory_store.backend
    backend.set_password(SERVICE, "revolut-x", "not json")
    with pytest.raises(ConfigError, match="not one Balance Desk wrote"):
        memory_store.get_revolut_x()
    backend.set_password(SERVICE, "revolut-x", '{"v": 1, "gen": "g", "n": 2}')
    with pytest.raises(ConfigError, match="a part is missing"):
        memory_store.get_revolut_x()


def test_reprs_never_show_secrets() -> None:
    creds = _rx("A" * 60 + "wxyz")
    text = repr(creds) + str(creds)
    assert "AAAA" not in text and "PRIVATE" not in text
    assert "wxyz" in text
    bank = repr(BankCredentials(access_token="tok-secret", refresh_token="ref-secret",
                                key_passphrase="pass-secret"))
    assert "secret" not in bank
    assert mask_tail("abcdefgh") == "…efgh"
    assert mask_tail("abc") == "…"


# --- keyring failures --------------------------------------------------------------------------


def test_no_keyring_is_an_actionable_config_error() -> None:
    store = CredentialStore(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(ConfigError, match="no system keyring is available") as info:
        store.get_revolut_x()
    assert "gnome-keyring" in str(info.value)
    assert "--demo" in str(info.value)


def test_null_keyring_is_refused_not_silently_used() -> None:
    store = CredentialStore(keyring.backends.null.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(ConfigError, match="no system keyring"):
        store.set_revolut_x(_rx())


class _Raising(MemoryKeyring):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (keyring.errors.KeyringLocked("locked"), "keyring is locked. Unlock it"),
        (keyring.errors.NoKeyringError("none"), "no system keyring is available"),
        (keyring.errors.InitError("boom"), "keyring failed \\(InitError\\)"),
        (RuntimeError("dbus broke"), "Check that your keyring service"),
    ],
)
def test_keyring_failures_become_config_errors(error: Exception, words: str) -> None:
    store = CredentialStore(_Raising(error))
    with pytest.raises(ConfigError, match=words):
        store.get_revolut_x()
    with pytest.raises(ConfigError, match=words):
        store.set_revolut_x(_rx())


def test_nothing_is_written_to_the_data_directory(
    memory_store: CredentialStore, data_home: Path
) -> None:
    creds = _rx()
    memory_store.set_revolut_x(creds)
    written = [p for p in data_home.rglob("*") if p.is_file()] if data_home.exists() else []
    for path in written:
        assert creds.api_key not in path.read_text(errors="replace")


# --- the real Secret Service (gnome-keyring on a private D-Bus, started by scripts/test) -------


@pytest.mark.keyring
def test_real_keyring_round_trip(real_keyring_store: CredentialStore) -> None:
    creds = _rx()
    real_keyring_store.set_revolut_x(creds)
    assert real_keyring_store.get_revolut_x() == creds
    # A second store (a new process would do the same) reads it back from the service.
    assert CredentialStore(real_keyring_store.backend).get_revolut_x() == creds
    assert real_keyring_store.delete_revolut_x() is True
    assert real_keyring_store.get_revolut_x() is None


@pytest.mark.keyring
def test_real_keyring_holds_six_kilobyte_tokens(real_keyring_store: CredentialStore) -> None:
    bank = BankCredentials(access_token=BIG, refresh_token=BIG + "r", client_id="c")
    real_keyring_store.set_bank(bank)
    assert real_keyring_store.get_bank() == bank
    newer = BankCredentials(access_token=BIG + "2", refresh_token=BIG + "r2", client_id="c")
    real_keyring_store.set_bank(newer)
    assert real_keyring_store.get_bank() == newer


@pytest.mark.keyring
def test_real_keyring_entries_are_under_the_balance_desk_service(
    real_keyring_store: CredentialStore,
) -> None:
    real_keyring_store.set_revolut_x(_rx())
    header = keyring.get_password(SERVICE, "revolut-x")
    assert header is not None and '"gen"' in header
    assert real_keyring_store.backend_name == "keyring.backends.SecretService.Keyring"
