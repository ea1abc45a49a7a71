"""Saving a set-up is all or nothing, for the dialog and the command line alike."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from balance_desk.cli.args import UsageError
from balance_desk.cli.keys_revolut_x import set_revolut_x
from balance_desk.config import BankSettings, RevolutXSettings, Settings, data_dir
from balance_desk.credentials import (
    BankCredentials,
    CredentialStore,
    MemoryKeyring,
    RevolutXCredentials,
)
from balance_desk.errors import ConfigError
from balance_desk.setup.bank import BANK
from balance_desk.setup.common import SaveError, save_setup
from balance_desk.setup.revolut_x import REVOLUT_X
from balance_desk.sources.open_banking.source import ACCOUNTS_CACHE_FILE
from balance_desk.sources.revolut_x.keys import generate_private_key, private_key_pem

OLD = RevolutXCredentials(api_key="A" * 64, private_key_pem="old-pem")
NEW = RevolutXCredentials(api_key="B" * 64, private_key_pem="new-pem")


def no_space(*_args: object, **_kwargs: object) -> None:
    raise OSError(28, "No space left on device")


def test_a_save_stores_the_keys_and_only_its_own_settings_section(
    memory_store: CredentialStore, data_home: Path
) -> None:
    Settings(crypto_interval_s=60).save()
    saved = save_setup(
        REVOLUT_X, memory_store, NEW, RevolutXSettings(url="https://proxy.example/api/1.0")
    )
    assert memory_store.get_revolut_x() == NEW
    on_disk = json.loads((data_home / "settings.json").read_text())
    assert on_disk["revolut_x"]["url"] == "https://proxy.example/api/1.0"
    assert on_disk["crypto_interval_s"] == 60  # kept: written meanwhile by someone else
    assert saved.revolut_x.url == "https://proxy.example/api/1.0"


def test_when_the_settings_cannot_be_written_the_old_keys_come_back(
    memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_store.set_revolut_x(OLD)
    monkeypatch.setattr("balance_desk.config.Settings.save", no_space)
    with pytest.raises(SaveError) as raised:
        save_setup(REVOLUT_X, memory_store, NEW, RevolutXSettings())
    assert str(raised.value) == (
        "Nothing was saved: the settings file could not be written (No space left on device)."
    )
    assert memory_store.get_revolut_x() == OLD


def test_when_there_were_no_keys_before_none_are_left_behind(
    memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("balance_desk.config.Settings.save", no_space)
    with pytest.raises(SaveError):
        save_setup(BANK, memory_store, BankCredentials(access_token="t"), BankSettings())
    assert memory_store.get_bank() is None


def test_a_keyring_that_refuses_saves_nothing_and_says_so(data_home: Path) -> None:
    class Refusing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise OSError("locked")

    store = CredentialStore(Refusing())
    with pytest.raises(SaveError, match=r"^Nothing was saved\. ") as raised:
        save_setup(REVOLUT_X, store, NEW, RevolutXSettings())
    assert isinstance(raised.value, ConfigError)
    assert not (data_home / "settings.json").exists()


def test_the_command_line_rolls_back_like_the_dialog(
    memory_store: CredentialStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory_store.set_revolut_x(OLD)
    pem = tmp_path / "private.pem"
    pem.write_text(private_key_pem(generate_private_key()))
    api_key = tmp_path / "api-key.txt"
    api_key.write_text("C" * 64)
    args = argparse.Namespace(
        api_key_file=str(api_key), private_key=str(pem), passphrase_file=None,
        url=None, ca_bundle=None,
    )
    monkeypatch.setattr("balance_desk.config.Settings.save", no_space)
    with pytest.raises(ConfigError, match="No space left on device"):
        set_revolut_x(args, memory_store)
    assert memory_store.get_revolut_x() == OLD


def test_removing_a_bank_also_removes_its_cached_account_list(
    memory_store: CredentialStore, data_home: Path
) -> None:
    memory_store.set_bank(BankCredentials(access_token="t"))
    cache = data_dir() / ACCOUNTS_CACHE_FILE
    assert cache.parent == data_home
    cache.write_text("{}")
    assert BANK.remove(memory_store, data_home)
    assert memory_store.get_bank() is None and not cache.exists()
    assert not BANK.remove(memory_store, data_home)


def test_usage_problems_stay_usage_problems_on_the_command_line(
    memory_store: CredentialStore, tmp_path: Path
) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (65 * 1024))
    args = argparse.Namespace(
        api_key_file=None, private_key=str(big), passphrase_file=None, url=None, ca_bundle=None,
    )
    with pytest.raises(UsageError, match="far too large to be a private key file"):
        set_revolut_x(args, memory_store)


def test_with_nothing_to_change_the_command_line_says_so(
    memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_store.set_revolut_x(OLD)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    args = argparse.Namespace(
        api_key_file=None, private_key=None, passphrase_file=None, url=None, ca_bundle=None,
    )
    with pytest.raises(UsageError, match=r"^Nothing to change"):
        set_revolut_x(args, memory_store)
    assert memory_store.get_revolut_x() == OLD
