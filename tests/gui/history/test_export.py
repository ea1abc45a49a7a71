"""Export… from the window: what the dialog says the file holds, and the file itself for the
balances on screen and for the history (every digit, mode 0600, privacy mode or not)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from balance_desk.gui.history.export import WHAT_IT_HOLDS, ExportDialog
from balance_desk.history import HISTORY_FILE, History, Line
from tests.gui.support import App


def test_the_dialog_says_what_the_file_holds_and_asks_where(qtbot: QtBot, tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    def ask(_parent: object, suggested: str, fmt: str) -> str:
        asked.append((suggested, fmt))
        return str(tmp_path / suggested)

    dialog = ExportDialog(ask_path=ask)
    qtbot.addWidget(dialog)
    assert "every figure in full" in dialog.note.text() and dialog.note.text() == WHAT_IT_HOLDS
    dialog.history.setChecked(True)
    dialog.format.setCurrentText("JSON")
    dialog._save()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert asked == [("balance-desk-history.json", "json")]
    assert dialog.chosen() == ("history", "json", tmp_path / "balance-desk-history.json")


def test_exporting_the_balances_on_screen_writes_every_digit_even_in_privacy_mode(
    qtbot: QtBot, gui_app: App, tmp_path: Path
) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    qtbot.waitUntil(lambda: window.overview is not None)
    window.set_privacy(True)
    target = tmp_path / "now.csv"
    window.export_to("current", "csv", target)
    qtbot.waitUntil(target.exists, timeout=5000)
    QApplication.processEvents()
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    eth = next(r for r in rows if r["account_id_or_currency"] == "ETH"
               and r["balance_type"] == "total")
    assert eth["amount"] == "4.750000000000000000"  # every digit, not the 4.75 shown
    btc = next(r for r in rows if r["account_id_or_currency"] == "BTC"
               and r["balance_type"] == "total")
    assert btc["value"] == "53340.0000000000" and btc["base_currency"] == "GBP"
    assert {r["source"] for r in rows} == {"revolut_x", "bank"}
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    qtbot.waitUntil(lambda: "Exported" in window.app_notice.text())


def test_exporting_the_balances_on_screen_keeps_the_accounts_a_partial_refresh_read(
    qtbot: QtBot, gui_app: App, tmp_path: Path
) -> None:
    """One account could not be read: the others' new figures are on screen, so they are in
    the export (the unread one is not: only what was read, as in the history)."""
    from balance_desk.simulator.open_banking.server import BankFault

    gui_app.wait_done(qtbot)
    unread = gui_app.bank_sim.accounts[0]
    gui_app.bank_sim.add_fault(
        BankFault(status=500, path=f"/accounts/{unread.account_id}/balances", times=None)
    )
    gui_app.refresh_and_wait(qtbot, "bank")
    assert gui_app.latest("bank").partly_read
    target = tmp_path / "now.csv"
    gui_app.window.export_to("current", "csv", target)
    qtbot.waitUntil(target.exists, timeout=5000)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    bank = {r["account_id_or_currency"] for r in rows if r["source"] == "bank"}
    others = {a.account_id for a in gui_app.bank_sim.accounts} - {unread.account_id}
    assert bank and bank <= others and unread.account_id not in bank
    gui_app.bank_sim.clear_faults()
    qtbot.waitUntil(lambda: "Exported" in gui_app.window.app_notice.text())


def test_exporting_the_history_writes_every_recorded_refresh(
    qtbot: QtBot, gui_app: App, data_home: Path, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from balance_desk.simulator.demo_history import DEMO_HISTORY_FILE

    gui_app.wait_done(qtbot)
    # The test app is not the demo: its history is the user's file.
    history = History(data_home / HISTORY_FILE)
    history.record("revolut_x", datetime(2026, 11, 1, tzinfo=UTC),
                   [Line("BTC", "total", "BTC", "0.10000000", "0.10000000")])
    history.close()
    assert not (data_home / DEMO_HISTORY_FILE).exists()
    target = tmp_path / "history.json"
    gui_app.window.export_to("history", "json", target)
    qtbot.waitUntil(target.exists, timeout=5000)
    records = json.loads(target.read_text())
    assert records[0]["amount"] == "0.10000000" and records[0]["time"].startswith("2026-11-01")
