"""The key setup dialog's Revolut X page, against the Revolut X simulator on loopback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from balance_desk.credentials import CredentialStore, RevolutXCredentials
from balance_desk.gui.keys.dialog import KeySetupDialog
from balance_desk.setup.common import CheckOutcome
from balance_desk.simulator.revolut_x.server import Fault, RevolutXSimulator
from balance_desk.sources.revolut_x.keys import (
    generate_private_key,
    load_private_key,
    private_key_pem,
)

# The offscreen platform cannot pass size hints to a window manager; a desktop can.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


def keep_quiet(widget: object) -> None:
    """A generated key left unsaved would make closing ask (modally) at teardown."""
    assert isinstance(widget, KeySetupDialog)
    widget.revolut_x.mark_saved()


@pytest.fixture
def dialog(qtbot: QtBot, memory_store: CredentialStore) -> KeySetupDialog:
    dlg = KeySetupDialog(memory_store)
    qtbot.addWidget(dlg, before_close_func=keep_quiet)
    dlg.show()
    return dlg


def fill(dlg: KeySetupDialog, sim: RevolutXSimulator) -> None:
    page = dlg.revolut_x
    page.api_key.setText(sim.api_key)
    page.private_key.paste.setPlainText(sim.private_key_pem)
    page.url.setText(sim.api_root)


def run_test(qtbot: QtBot, dlg: KeySetupDialog) -> str:
    page = dlg.revolut_x
    with qtbot.waitSignal(page.tester.finished, timeout=10_000):
        page.test_button.click()
    return page.result.text()


def test_nothing_entered_lists_what_is_missing_in_words(dialog: KeySetupDialog) -> None:
    page = dialog.revolut_x
    page.save_button.click()
    assert page.problems.isVisible()
    text = page.problems.text()
    assert "Enter the API key shown at exchange.revolut.com → API keys." in text
    assert "Import, paste or generate the private key." in text
    # Fixing one problem updates the list at once.
    page.api_key.setText("k" * 64)
    assert "Enter the API key" not in page.problems.text()


@pytest.mark.parametrize(
    ("pem", "words"),
    [
        (
            generate_private_key()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
            "is a public key, not the private key",
        ),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode(),
            "is an RSA key",
        ),
        (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode(),
            "elliptic-curve",
        ),
        ("just some words", "is not a PEM key file"),
    ],
    ids=["public-key", "rsa", "ec", "not-pem"],
)
def test_pasting_the_wrong_kind_of_key_says_what_it_is(
    dialog: KeySetupDialog, pem: str, words: str
) -> None:
    box = dialog.revolut_x.private_key
    box.paste.setPlainText(pem)
    assert words in box.message.text()
    assert box.pem is None
    assert box.paste.toPlainText() == ""  # never left on screen


def test_encrypted_pem_file_asks_for_its_passphrase(
    dialog: KeySetupDialog, tmp_path: Path
) -> None:
    key = generate_private_key()
    path = tmp_path / "private.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    box = dialog.revolut_x.private_key
    box.import_path(path)
    assert box.unlock_row.isVisible()
    assert "protected by a passphrase" in box.message.text()
    dialog.revolut_x.save_button.click()
    assert "Unlock the private key with its passphrase." in dialog.revolut_x.problems.text()
    box.passphrase.setText("wrong")
    box.unlock_button.click()
    assert "Wrong passphrase" in box.message.text()
    assert box.pem is None
    box.passphrase.setText("correct horse")
    box.unlock_button.click()
    assert not box.unlock_row.isVisible()
    assert box.pem is not None and "ENCRYPTED" not in box.pem
    assert box.pem == private_key_pem(key)


def test_generate_shows_the_public_key_copy_puts_only_it_on_the_clipboard(
    dialog: KeySetupDialog,
) -> None:
    page = dialog.revolut_x
    page.api_key.setText("old-key-of-the-old-pair")
    box = page.private_key
    box.generate_button.click()
    assert box.public_box.isVisible()
    assert page.api_key.text() == ""  # the old API key belongs to the old pair
    assert "exchange.revolut.com → API keys" in box.where.text()
    assert "API key field above" in box.where.text()
    public = box.public_pem.toPlainText()
    assert public.startswith("-----BEGIN PUBLIC KEY-----")
    assert box.pem is not None
    derived = load_private_key(box.pem).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert derived.decode().strip() == public
    box.copy_button.click()
    assert QGuiApplication.clipboard().text().strip() == public
    assert box.copied.text() == "Copied."


def test_a_second_generate_asks_before_replacing_the_key(
    dialog: KeySetupDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = dialog.revolut_x.private_key
    box.generate_button.click()
    first = box.pem
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    box.generate_button.click()
    assert box.pem == first


def test_connection_success_counts_the_currencies(
    qtbot: QtBot, dialog: KeySetupDialog, sim: RevolutXSimulator
) -> None:
    fill(dialog, sim)
    assert run_test(qtbot, dialog) == "Connected: 10 currencies."
    assert dialog.revolut_x.test_button.isVisible()
    assert not dialog.revolut_x.busy.isVisible()


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(401, "API key can only be used for authentication from whitelisted IP"),
         "Not authorised"),
        (Fault(403), "Not authorised"),
        (Fault(409, times=None), "Clock out of sync"),
        (Fault(429, retry_after_ms=60_000), "Rate limited"),
        (Fault(500, "Something went wrong!"), "Server error"),
        (Fault(200, body=b"<html>proxy</html>", content_type="text/html"), "Unexpected answer"),
    ],
    ids=["401", "403", "409", "429", "500", "html"],
)
def test_connection_errors_show_kind_message_and_error_id(
    qtbot: QtBot, dialog: KeySetupDialog, sim: RevolutXSimulator, fault: Fault, expected: str
) -> None:
    fill(dialog, sim)
    sim.add_fault(fault)
    text = run_test(qtbot, dialog)
    assert text.startswith(expected + ":"), text
    if fault.status != 200:
        assert f"HTTP {fault.status}" in text
        assert "error id " in text  # the simulator sends a uuid, users quote it to support
    if fault.message:
        assert fault.message in text


def test_a_wrong_api_key_is_refused_by_the_server(
    qtbot: QtBot, dialog: KeySetupDialog, sim: RevolutXSimulator
) -> None:
    fill(dialog, sim)
    dialog.revolut_x.api_key.setText("x" * 64)
    assert run_test(qtbot, dialog).startswith("Not authorised:")


def test_nobody_listening_is_a_network_problem(
    qtbot: QtBot, dialog: KeySetupDialog, sim: RevolutXSimulator
) -> None:
    fill(dialog, sim)
    sim.stop()
    assert run_test(qtbot, dialog).startswith("Network problem:")


def test_cancel_during_a_slow_test_keeps_the_dialog_usable_and_drops_the_late_answer(
    qtbot: QtBot, dialog: KeySetupDialog, sim: RevolutXSimulator
) -> None:
    page = dialog.revolut_x
    fill(dialog, sim)
    sim.add_fault(Fault(status=None, delay_s=1.0))  # the right answer, but late
    page.test_button.click()
    assert page.busy.isVisible() and page.cancel_button.isVisible()
    with qtbot.assertNotEmitted(page.tester.finished):
        page.cancel_button.click()
    assert "Test cancelled" in page.result.text()
    assert page.test_button.isVisible() and not page.busy.isVisible()
    # Still responsive: a second test runs while the first request is still out. A wrong key
    # is refused before the simulator looks at faults, so the two requests may arrive in any
    # order and the slow, successful answer still belongs to the first.
    page.api_key.setText("x" * 64)
    assert run_test(qtbot, dialog).startswith("Not authorised:")
    slow = [t for t in threading.enumerate() if t.name.startswith("connection-test-")]
    for thread in slow:
        thread.join(timeout=5)
    qtbot.wait(50)  # let a (wrongly) delivered late answer show itself
    assert page.result.text().startswith("Not authorised:")


def test_a_late_answer_after_the_dialog_is_gone_is_harmless(
    qtbot: QtBot, memory_store: CredentialStore, sim: RevolutXSimulator
) -> None:
    dlg = KeySetupDialog(memory_store)
    fill(dlg, sim)
    sim.add_fault(Fault(status=None, delay_s=0.3))
    dlg.revolut_x.test_button.click()
    dlg.close()
    dlg.deleteLater()
    qtbot.wait(10)  # the dialog, its tester and its Tasks are gone
    # A new dialog is open when the old test's answer arrives.
    again = KeySetupDialog(memory_store)
    qtbot.addWidget(again, before_close_func=keep_quiet)
    late: list[object] = []
    again.revolut_x.tester.finished.connect(late.append)
    for thread in [t for t in threading.enumerate() if t.name.endswith("connection-test")]:
        thread.join(timeout=5)
        assert not thread.is_alive()  # the abandoned request ran to its end and stopped
    qtbot.wait(50)
    assert sim.requests, "the old test's request reached the server"
    assert late == []  # the old answer went nowhere: not to the new dialog
    assert not again.revolut_x.result.isVisible()
    # And the new dialog's own test still works.
    fill(again, sim)
    assert run_test(qtbot, again).startswith("Connected:")


def test_describe_without_error_uses_the_summary() -> None:
    assert CheckOutcome(False, "No keys").describe() == "No keys"


@pytest.mark.keyring
def test_save_and_remove_through_the_real_keyring(
    qtbot: QtBot,
    *,
    real_keyring_store: CredentialStore,
    sim: RevolutXSimulator,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    dlg = KeySetupDialog(real_keyring_store)
    qtbot.addWidget(dlg)
    fill(dlg, sim)
    with qtbot.waitSignal(dlg.credentials_changed) as saved:
        dlg.revolut_x.save_button.click()
    assert saved.args == ["revolut_x"]
    assert dlg.revolut_x.result.text().startswith("Saved.")
    stored = real_keyring_store.get_revolut_x()
    assert stored == RevolutXCredentials(sim.api_key, sim.private_key_pem)
    settings = json.loads((data_home / "settings.json").read_text())
    assert settings["revolut_x"]["url"] == sim.api_root
    # Secrets never in the settings file, the log, or a repr.
    secret_bits = [sim.api_key, sim.private_key_pem.splitlines()[1]]
    written = (data_home / "settings.json").read_text() + caplog.text + repr(stored)
    assert not any(bit in written for bit in secret_bits)

    # A fresh dialog shows what is stored (masked) and can remove it after confirmation.
    again = KeySetupDialog(real_keyring_store)
    qtbot.addWidget(again)
    assert again.revolut_x.api_key.edit.text() == sim.api_key
    assert again.revolut_x.private_key.pem == sim.private_key_pem
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel
    )
    again.revolut_x.remove_button.click()
    assert real_keyring_store.get_revolut_x() is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(again.credentials_changed):
        again.revolut_x.remove_button.click()
    assert real_keyring_store.get_revolut_x() is None
    assert again.revolut_x.api_key.text() == ""
    assert not again.revolut_x.remove_button.isEnabled()


def test_after_generating_a_key_pair_nothing_overlaps(dialog: KeySetupDialog) -> None:
    box = dialog.revolut_x.private_key
    box.generate_button.click()
    QApplication.processEvents()
    assert dialog.height() >= dialog.sizeHint().height()
    pem, copy, where = box.public_pem.geometry(), box.copy_button.geometry(), box.where
    assert pem.bottom() < copy.top() < copy.bottom() < where.geometry().top()
    assert where.height() >= where.heightForWidth(where.width())  # no line cut off
    assert box.public_box.geometry().bottom() < dialog.revolut_x.advanced.geometry().top()


def test_closing_with_a_generated_unsaved_key_asks_first(
    dialog: KeySetupDialog, memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def answer(choice: QMessageBox.StandardButton) -> None:
        def question(_parent: object, _title: str, text: str, *_a: object) -> object:
            asked.append(text)
            return choice

        monkeypatch.setattr(QMessageBox, "question", question)

    dialog.revolut_x.private_key.generate_button.click()
    answer(QMessageBox.StandardButton.Cancel)
    dialog.reject()
    assert dialog.isVisible()
    assert "public key you may have uploaded to Revolut X needs this private key" in asked[0]
    answer(QMessageBox.StandardButton.Discard)
    dialog.close()
    assert not dialog.isVisible() and len(asked) == 2
    assert memory_store.get_revolut_x() is None


def test_a_saved_key_pair_closes_without_asking(
    dialog: KeySetupDialog, memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog.revolut_x.private_key.generate_button.click()
    dialog.revolut_x.api_key.setText("K" * 64)
    assert dialog.save("revolut_x")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: pytest.fail("asked"))
    dialog.reject()
    assert not dialog.isVisible()
    assert memory_store.get_revolut_x() is not None
