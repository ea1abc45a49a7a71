"""The key dialog's Banks page and the connection wizard (issue 14), driven with pytest-qt against
the bank simulator; the "browser" is a test hook that opens the page, presses Approve or Deny and
follows the redirect, on its own thread as a real browser would run beside the app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.gui.keys.connect_wizard import ConnectWizard
from balance_desk.gui.keys.dialog import KeySetupDialog
from balance_desk.simulator.open_banking.consent_desk import browse
from balance_desk.simulator.open_banking.server import BankSimulator

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as server:
        yield server


class Browser:
    """Approves (or denies) on a thread; remembers where it landed."""

    def __init__(self, approve: bool = True) -> None:
        self.approve = approve
        self.landed: list[str] = []
        self.opened: list[str] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        threading.Thread(target=self._go, args=(url,), daemon=True).start()

    def _go(self, url: str) -> None:
        self.landed.append(browse(url, approve=self.approve))


@pytest.fixture
def dialog(
    qtbot: QtBot, memory_store: CredentialStore, data_home: Path
) -> KeySetupDialog:
    dlg = KeySetupDialog(memory_store, initial="bank", directory=data_home)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def cell(table: QTableWidget, column: int) -> str:
    item = table.item(0, column)
    assert item is not None
    return item.text()


def fill(wizard: ConnectWizard, sim: BankSimulator, name: str, redirect: str | None = None) -> None:
    connection = sim.connection_settings(name, redirect)
    wizard.name.setText(name)
    wizard.preset.setCurrentIndex(2)  # Custom
    wizard.url.setText(sim.url)
    wizard.financial_id.setText(sim.financial_id)
    wizard.auth_url.setText(sim.desk.auth_url)
    wizard.client_id.setText(sim.desk.client_id)
    wizard.cert.setPath(str(sim.tls.client.cert_path))
    wizard.key.setPath(str(sim.tls.client.key_path))
    wizard.ca_bundle.setPath(str(sim.tls.ca_cert))
    wizard.signing_key.setPath(str(sim.desk.signing_key_path))
    wizard.kid.setText(sim.desk.kid)
    wizard.redirect_uri.setText(connection.redirect_uri)


def test_connect_by_pasting_the_address_then_the_list_shows_it(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, memory_store: CredentialStore,
) -> None:
    page = dialog.connections
    assert dialog.tabs.currentWidget() is page and page.empty.isVisible()
    browser = Browser()
    page.browser = browser
    wizard = page.open_connect()
    fill(wizard, sim, "Everyday")
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.steps.currentIndex() == 1 and bool(browser.landed),
                    timeout=15_000)
    assert wizard.address.text() == browser.opened[0]
    assert wizard.landed.isVisible()  # not a loopback redirect: the address is pasted
    wizard.landed.setText(browser.landed[0])
    with qtbot.waitSignal(dialog.credentials_changed, timeout=15_000):
        wizard.next_button.click()
    assert wizard.steps.currentIndex() == 2
    assert "Accounts it can read (7)" in wizard.summary.text()
    assert "Main GBP (GBP)" in wizard.summary.text()
    wizard.next_button.click()  # Done
    assert page.table.rowCount() == 1 and cell(page.table, 0) == "Everyday"
    assert cell(page.table, 3) == "authorised"
    creds = memory_store.get_bank("bank:Everyday")
    assert creds is not None and creds.consent_id is not None
    assert creds.consent_id[:6] in cell(page.table, 2)
    shown = " ".join(cell(page.table, c) for c in range(page.table.columnCount()))
    assert creds.access_token not in shown and str(creds.refresh_token) not in shown


def test_a_loopback_redirect_is_caught_without_pasting(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, free_port: int
) -> None:
    page = dialog.connections
    page.browser = Browser()
    wizard = page.open_connect()
    fill(wizard, sim, "Loop", f"http://127.0.0.1:{free_port}/cb")
    with qtbot.waitSignal(wizard.connected, timeout=20_000):
        wizard.next_button.click()
    assert wizard.steps.currentIndex() == 2
    assert not wizard.landed.isVisible() or wizard.steps.currentIndex() == 2


def test_every_file_is_checked_in_words_before_anything_is_sent(
    dialog: KeySetupDialog, sim: BankSimulator
) -> None:
    wizard = dialog.connections.open_connect()
    fill(wizard, sim, "Files")
    wizard.signing_key.setPath(str(sim.tls.client.cert_path))
    wizard.kid.clear()
    wizard.next_button.click()
    words = wizard.problems.text()
    assert "is a certificate, not its private key" in words
    assert "Enter the kid" in words
    assert wizard.steps.currentIndex() == 0 and sim.requests == []


def test_a_denied_consent_is_said_and_nothing_is_stored(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, memory_store: CredentialStore
) -> None:
    browser = Browser(approve=False)
    dialog.connections.browser = browser
    wizard = dialog.connections.open_connect()
    fill(wizard, sim, "No")
    wizard.next_button.click()
    qtbot.waitUntil(lambda: bool(browser.landed), timeout=15_000)
    wizard.landed.setText(browser.landed[0])
    wizard.next_button.click()
    qtbot.waitUntil(lambda: "not approved" in wizard.status.text(), timeout=15_000)
    assert memory_store.get_bank("bank:No") is None


def test_cancel_while_waiting_stops_listening(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, free_port: int
) -> None:
    opened: list[str] = []
    dialog.connections.browser = opened.append  # the user never approves
    wizard = dialog.connections.open_connect()
    fill(wizard, sim, "Later", f"http://127.0.0.1:{free_port}/cb")
    wizard.next_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    assert httpx.get(f"http://127.0.0.1:{free_port}/other", timeout=5).status_code == 404
    wizard.cancel_button.click()
    assert not wizard.isVisible()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{free_port}/cb", timeout=2)


def test_cancel_while_the_approval_is_exchanged_stores_nothing(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, memory_store: CredentialStore,
    data_home: Path,
) -> None:
    browser = Browser()
    dialog.connections.browser = browser
    wizard = dialog.connections.open_connect()
    fill(wizard, sim, "Changed my mind")
    wizard.next_button.click()
    qtbot.waitUntil(lambda: bool(browser.landed), timeout=15_000)
    approved = [c for c in sim.desk.consents.values() if c.status == "Authorised"]
    assert len(approved) == 1
    # The bank is slow to answer the code exchange; the user gives up meanwhile.
    sim.fail(None, path="/token", delay_s=1.0)
    wizard.landed.setText(browser.landed[0])
    wizard.next_button.click()
    assert "Exchanging" in wizard.status.text()
    qtbot.waitUntil(lambda: sum(r.path == "/token" for r in sim.requests) >= 2,
                    timeout=15_000)
    wizard.cancel_button.click()
    assert not wizard.isVisible()
    # The tokens arrive after the wizard is gone: the consent they belong to is revoked at the
    # bank, and neither the keyring nor the settings hear of it.
    qtbot.waitUntil(lambda: approved[0].status == "Revoked", timeout=15_000)
    assert memory_store.get_bank("bank:Changed my mind") is None
    assert Settings.load_or_defaults(data_home)[0].bank_connections == []
    assert dialog.connections.table.rowCount() == 0


def _connected(qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, name: str) -> None:
    dialog.connections.browser = Browser()
    wizard = dialog.connections.open_connect()
    fill(wizard, sim, name, None)
    browser = dialog.connections.browser
    assert isinstance(browser, Browser)
    wizard.next_button.click()
    qtbot.waitUntil(lambda: bool(browser.landed), timeout=15_000)
    wizard.landed.setText(browser.landed[0])
    with qtbot.waitSignal(wizard.connected, timeout=15_000):
        wizard.next_button.click()
    wizard.accept()


def test_renew_keeps_the_connection(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, memory_store: CredentialStore
) -> None:
    _connected(qtbot, dialog, sim, "Everyday")
    first = memory_store.get_bank("bank:Everyday")
    assert first is not None
    browser = Browser()
    dialog.connections.browser = browser
    wizard = dialog.connections.open_renew("Everyday")
    assert wizard is not None
    qtbot.waitUntil(lambda: bool(browser.landed), timeout=15_000)
    wizard.landed.setText(browser.landed[0])
    with qtbot.waitSignal(wizard.connected, timeout=15_000):
        wizard.next_button.click()
    renewed = memory_store.get_bank("bank:Everyday")
    assert renewed is not None and renewed.consent_id != first.consent_id
    assert dialog.connections.table.rowCount() == 1


def test_disconnect_asks_before_forgetting_when_the_bank_is_unreachable(
    qtbot: QtBot, dialog: KeySetupDialog, sim: BankSimulator, memory_store: CredentialStore,
    data_home: Path,
) -> None:
    _connected(qtbot, dialog, sim, "Gone")
    page = dialog.connections
    answers = [True, False]  # yes, disconnect; then no, keep it when the bank cannot be asked
    asked: list[str] = []
    def confirm(text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    page.confirm = confirm
    sim.stop()
    page.disconnect_selected()
    qtbot.waitUntil(lambda: "Nothing was removed" in page.status.text(), timeout=30_000)
    assert "could not revoke" in asked[1]
    assert memory_store.get_bank("bank:Gone") is not None
    answers[:] = [True, True]
    with qtbot.waitSignal(page.changed, timeout=30_000):
        page.disconnect_selected()
    assert memory_store.get_bank("bank:Gone") is None
    assert Settings.load(data_home).connections() == []
    assert page.empty.isVisible()
