"""The key setup dialog's bank page, against the mutual-TLS bank simulator on loopback."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.credentials import (
    CredentialStore,
    MemoryKeyring,
)
from balance_desk.gui.keys.dialog import KeySetupDialog
from balance_desk.simulator.certs import load_ca, write_client
from balance_desk.simulator.open_banking.server import BankFault, BankSimulator

# The offscreen platform cannot pass size hints to a window manager; a desktop can.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as server:
        yield server


@pytest.fixture
def dialog(qtbot: QtBot, memory_store: CredentialStore) -> KeySetupDialog:
    dlg = KeySetupDialog(memory_store, initial="bank")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def fill(dlg: KeySetupDialog, sim: BankSimulator, *, refresh: bool = True) -> None:
    page = dlg.bank
    page.preset.setCurrentIndex(2)  # Custom
    page.url.setText(sim.url)
    page.financial_id.setText(sim.financial_id)
    tokens = sim.issue_tokens()
    page.access_token.setText(tokens.access_token)
    if refresh:
        page.refresh_token.setText(tokens.refresh_token)
        page.client_id.setText(tokens.client_id)
    page.cert.setPath(str(sim.tls.client.cert_path))
    page.key.setPath(str(sim.tls.client.key_path))
    page.ca_bundle.setPath(str(sim.tls.ca_cert))


def run_test(qtbot: QtBot, dlg: KeySetupDialog) -> str:
    page = dlg.bank
    with qtbot.waitSignal(page.tester.finished, timeout=15_000):
        page.test_button.click()
    return page.result.text()


def test_presets_fill_the_api_root_and_custom_asks_for_it(dialog: KeySetupDialog) -> None:
    page = dialog.bank
    assert page.url.text() == "https://oba-auth.revolut.com" and page.url.isReadOnly()
    page.preset.setCurrentIndex(1)
    assert page.url.text() == "https://sandbox-oba-auth.revolut.com"
    page.preset.setCurrentIndex(2)
    assert not page.url.isReadOnly() and page.url.text() == ""
    page.financial_id.setText("")
    page.save_button.click()
    problems = page.problems.text()
    assert "is not a valid URL" in problems or "must be an https:// URL" in problems
    assert "Enter the bank's financial id" in problems
    assert "Paste the access token" in problems
    assert "Choose the transport certificate file" in problems
    page.url.setText("http://bank.example.com")
    assert "Refusing the plain http://" in page.problems.text()


def test_refresh_token_needs_a_client_id(dialog: KeySetupDialog, sim: BankSimulator) -> None:
    fill(dialog, sim)
    dialog.bank.client_id.setText("")
    dialog.bank.save_button.click()
    assert "A refresh token needs the client id" in dialog.bank.problems.text()


def test_good_files_are_summarised(dialog: KeySetupDialog, sim: BankSimulator) -> None:
    fill(dialog, sim)
    status = dialog.bank.files_status.text()
    assert status.startswith("✓ Certificate for “Balance Desk client”, valid until")
    assert dialog.bank.validate()


def bad_files(sim: BankSimulator, case: str, tmp: Path) -> tuple[str, str, str | None]:
    client = sim.tls.client
    now = datetime.now(UTC)
    if case == "missing":
        return str(tmp / "nope.crt"), str(client.key_path), None
    if case == "swapped":
        return str(client.key_path), str(client.cert_path), None
    if case == "mismatch":
        other = write_client(tmp, load_ca(sim.tls), "other")
        return str(client.cert_path), str(other.key_path), None
    if case == "expired":
        old = write_client(
            tmp, load_ca(sim.tls), "old",
            not_before=now - timedelta(days=60), not_after=now - timedelta(days=1),
        )
        return str(old.cert_path), str(old.key_path), None
    locked = write_client(tmp, load_ca(sim.tls), "locked", passphrase="s3cret")
    if case == "needs-passphrase":
        return str(locked.cert_path), str(locked.key_path), None
    return str(locked.cert_path), str(locked.key_path), "wrong"


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", "does not exist"),
        ("swapped", "holds a private key, not the certificate"),
        ("mismatch", "does not belong to the certificate"),
        ("expired", "expired on"),
        ("needs-passphrase", "is encrypted: enter its passphrase"),
        ("wrong-passphrase", "Wrong passphrase for locked.key"),
    ],
)
def test_file_problems_are_said_in_words_before_saving(
    dialog: KeySetupDialog, sim: BankSimulator, tmp_path: Path, case: str, words: str
) -> None:
    fill(dialog, sim)
    cert, key, passphrase = bad_files(sim, case, tmp_path)
    page = dialog.bank
    page.cert.setPath(cert)
    page.key.setPath(key)
    page.key_passphrase.setText(passphrase or "")
    store = dialog._store
    page.save_button.click()
    assert words in page.problems.text()
    assert store.get_bank() is None  # nothing saved
    assert not page.files_status.isVisible()


def test_an_encrypted_key_with_its_passphrase_is_accepted(
    dialog: KeySetupDialog, sim: BankSimulator, tmp_path: Path
) -> None:
    fill(dialog, sim)
    locked = write_client(tmp_path, load_ca(sim.tls), "locked", passphrase="s3cret")
    dialog.bank.cert.setPath(str(locked.cert_path))
    dialog.bank.key.setPath(str(locked.key_path))
    dialog.bank.key_passphrase.setText("s3cret")
    assert dialog.bank.validate(), dialog.bank.problems.text()


def test_ca_bundle_that_is_not_one(dialog: KeySetupDialog, sim: BankSimulator) -> None:
    fill(dialog, sim)
    dialog.bank.ca_bundle.setPath(str(sim.tls.client.key_path))
    dialog.bank.save_button.click()
    assert "is not a CA bundle" in dialog.bank.problems.text()


def test_connection_success_counts_the_accounts(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator
) -> None:
    fill(dialog, sim)
    assert run_test(qtbot, dialog) == "Connected: 7 accounts."
    # The test counted as "user present": no unattended quota spent.
    assert all("x-fapi-customer-ip-address" in r.headers for r in sim.requests_to("/accounts"))


def test_an_expired_access_token_is_refreshed_and_the_new_pair_kept_for_save(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator
) -> None:
    fill(dialog, sim)
    before = dialog.bank.refresh_token.text()
    sim.expire_access_tokens()
    assert run_test(qtbot, dialog) == "Connected: 7 accounts."
    assert sim.refresh_count == 1
    # The simulator rotates refresh tokens: the old one is now useless, the field has the new.
    assert dialog.bank.refresh_token.text() not in ("", before)
    assert dialog.save("bank")
    saved = dialog._store.get_bank()
    assert saved is not None and saved.refresh_token == dialog.bank.refresh_token.text()
    assert saved.expires_at is not None


@pytest.mark.parametrize(
    ("fault", "expected", "status"),
    [
        (BankFault(403, "Consent lacks ReadBalances"), "Not authorised", 403),
        (BankFault(429, retry_after_s=30), "Rate limited", 429),
        (BankFault(500, "Backend unavailable"), "Server error", 500),
        (BankFault(200, body=b"<html>proxy</html>", content_type="text/html"),
         "Unexpected answer", None),
    ],
    ids=["403", "429", "500", "html"],
)
def test_connection_errors_show_kind_message_and_error_id(
    qtbot: QtBot,
    *,
    dialog: KeySetupDialog,
    sim: BankSimulator,
    fault: BankFault,
    expected: str,
    status: int | None,
) -> None:
    fill(dialog, sim)
    fault.path = "/accounts"
    sim.add_fault(fault)
    text = run_test(qtbot, dialog)
    assert text.startswith(expected + ":"), text
    if status is not None:
        assert f"HTTP {status}" in text and "error id err-" in text
    if fault.message:
        assert fault.message in text


def test_a_token_the_bank_does_not_know_is_not_authorised(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator
) -> None:
    fill(dialog, sim, refresh=False)
    dialog.bank.access_token.setText("not-a-real-token")
    text = run_test(qtbot, dialog)
    assert text.startswith("Not authorised:") and "no longer accepts the access token" in text


def test_nobody_listening_is_a_network_problem(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, tmp_path: Path
) -> None:
    # Keep copies of the files: stopping the simulator deletes its folder.
    for name in ("client.crt", "client.key", "ca.crt"):
        shutil.copy(sim.tls.directory / name, tmp_path / name)
    fill(dialog, sim, refresh=False)
    dialog.bank.cert.setPath(str(tmp_path / "client.crt"))
    dialog.bank.key.setPath(str(tmp_path / "client.key"))
    dialog.bank.ca_bundle.setPath(str(tmp_path / "ca.crt"))
    sim.stop()
    assert run_test(qtbot, dialog).startswith("Network problem:")


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError("org.freedesktop.DBus.Error.ServiceUnknown")


def test_a_keyring_failure_is_shown_and_nothing_is_half_saved(
    qtbot: QtBot, sim: BankSimulator, data_home: Path
) -> None:
    store = CredentialStore(BrokenKeyring())
    dlg = KeySetupDialog(store, initial="bank")
    qtbot.addWidget(dlg)
    fill(dlg, sim)
    with qtbot.assertNotEmitted(dlg.credentials_changed):
        dlg.bank.save_button.click()
    text = dlg.bank.result.text()
    assert text.startswith("Nothing was saved. Could not save to the keyring")
    assert "Secret Service" in text
    assert not (data_home / "settings.json").exists()


def test_when_settings_cannot_be_written_the_keyring_is_put_back(
    qtbot: QtBot, sim: BankSimulator, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CredentialStore(MemoryKeyring())
    dlg = KeySetupDialog(store, initial="bank")
    qtbot.addWidget(dlg)
    fill(dlg, sim)

    def no_space(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("balance_desk.config.Settings.save", no_space)
    assert not dlg.save("bank")
    assert "No space left on device" in dlg.bank.result.text()
    assert store.get_bank() is None


@pytest.mark.keyring
def test_save_through_the_real_keyring_keeps_secrets_out_of_settings_and_logs(
    qtbot: QtBot,
    *,
    real_keyring_store: CredentialStore,
    sim: BankSimulator,
    data_home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    dlg = KeySetupDialog(real_keyring_store, initial="bank")
    qtbot.addWidget(dlg)
    fill(dlg, sim)
    dlg.bank.key_passphrase.setText("")
    run_test(qtbot, dlg)
    with qtbot.waitSignal(dlg.credentials_changed):
        dlg.bank.save_button.click()
    stored = real_keyring_store.get_bank()
    assert stored is not None
    assert stored.access_token == dlg.bank.access_token.text()
    settings_text = (data_home / "settings.json").read_text()
    settings = json.loads(settings_text)["bank"]
    assert settings["preset"] == "custom" and settings["url"] == sim.url
    assert settings["cert_path"] == str(sim.tls.client.cert_path)
    secrets = [stored.access_token, stored.refresh_token or "?"]
    everything = settings_text + caplog.text + repr(stored) + repr(dlg.bank.access_token)
    assert not any(secret in everything for secret in secrets)
    assert dlg.remove("bank", confirmed=True)
    assert real_keyring_store.get_bank() is None
