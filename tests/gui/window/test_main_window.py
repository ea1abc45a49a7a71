"""The window against the demo simulators: the figures, sorting, filtering, privacy, copying."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTextBrowser
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.gui.tables.model import SORT_ROLE, BreakdownModel
from balance_desk.gui.tables.pane import BreakdownPane
from balance_desk.money import PRIVACY_MASK, readable
from balance_desk.present.bank_table import AMOUNT_COLUMN, BANK_COLUMNS
from balance_desk.present.crypto_table import CRYPTO_COLUMNS
from balance_desk.present.rows import FIGURE_SPACE, PUNCTUATION_SPACE, TableRow
from balance_desk.simulator.demo import DemoEnvironment
from balance_desk.simulator.revolut_x.server import Fault
from tests.gui.support import (
    OFFSCREEN_NOISE,
    App,
    english_grouped,
    signed,
    start_app,
)

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def cells(model: BreakdownModel, column: int) -> list[str]:
    return [str(model.data(model.index(r, column))) for r in range(model.rowCount())]


def shown_rows(pane: BreakdownPane) -> list[list[str]]:
    """The texts as a person reads them (without the figure spaces that line up the decimal
    points)."""
    proxy = pane.proxy
    return [
        [str(proxy.data(proxy.index(r, c))).rstrip(ALIGNING)
         for c in range(proxy.columnCount())]
        for r in range(proxy.rowCount())
    ]


ALIGNING = FIGURE_SPACE + PUNCTUATION_SPACE


def readably(text: str, currency: str) -> str:
    """What a table shows for a wire amount: rounded to be read, grouped in English."""
    return english_grouped(str(readable(Decimal(text), currency)))


def test_window_paints_loading_state_before_any_answer(
    qtbot: QtBot, demo_env: DemoEnvironment
) -> None:
    demo_env.revolut_x.add_fault(Fault(status=None, times=None, delay_s=2.0))
    app = start_app(qtbot, demo_env)
    try:
        qtbot.waitExposed(app.window)
        assert "Loading balances from Revolut X" in app.window.crypto_pane.notice.text()
        assert "loading" in app.window.status_labels["revolut_x"].plain
        assert app.window.crypto_pane.model.rowCount() == 0
    finally:
        app.controller.shutdown()


def test_both_tables_fill_with_the_exact_figures(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    crypto = gui_app.window.crypto_pane
    expected = {
        raw["currency"]: raw for raw in __import__("json").loads(gui_app.crypto_sim.balances_body())
    }
    rows = {row[0]: row for row in shown_rows(crypto)}
    assert set(rows) == set(expected)
    for currency, raw in expected.items():
        row = rows[currency]
        assert row[1] == readably(raw["available"], currency)
        assert row[2] == readably(raw["reserved"], currency)
        assert row[3] == (readably(raw["staked"], currency) if raw.get("staked") else "—")
        assert row[4] == readably(raw["total"], currency)
    assert "Totals: " in crypto.footer.text()
    # Every digit the server sent, one hover and one copy away.
    btc = next(r for r in range(crypto.proxy.rowCount())
               if crypto.proxy.index(r, 0).data() == "BTC")
    tooltip = crypto.proxy.index(btc, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "Exact: " + english_grouped(expected["BTC"]["available"])
    crypto.view.copy_value(crypto.proxy.index(btc, 1))
    assert QGuiApplication.clipboard().text() == expected["BTC"]["available"]

    bank = gui_app.window.bank_pane
    shown = shown_rows(bank)
    wanted = sorted(
        (signed(raw), raw["Type"], raw["Amount"]["Currency"])
        for account in gui_app.bank_sim.accounts
        for raw in account.balances
    )
    got = sorted((row[AMOUNT_COLUMN], row[2], row[5]) for row in shown)
    assert got == sorted(
        (readably(amount, currency), kind, currency) for amount, kind, currency in wanted
    )
    assert len(shown) == len(wanted)
    # Grouping and the currency's places (the exact figure is in the detail pane and on hover).
    assert any(row[AMOUNT_COLUMN] == "12,000,000.50" for row in shown)
    assert any(row[AMOUNT_COLUMN] == "150,000" and row[5] == "JPY" for row in shown)
    assert "GBP totals" in bank.footer.text()
    assert gui_app.latest("bank").state == "ok"


def test_sorting_is_numeric_and_text_case_insensitive(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    gui_app.crypto_sim.set_balances(
        [
            {"currency": c, "available": a, "reserved": "0", "total": a}
            for c, a in (("btc", "9"), ("ETH", "10"), ("Ada", "100.5"), ("dot", "2.25"))
        ]
    )
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    pane = gui_app.window.crypto_pane
    pane.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert [r[1] for r in shown_rows(pane)] == ["2.25", "9", "10", "100.5"]
    pane.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert [r[1] for r in shown_rows(pane)] == ["100.5", "10", "9", "2.25"]
    assert pane.proxy.data(pane.proxy.index(0, 1), SORT_ROLE) == Decimal("100.5")
    pane.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [r[0] for r in shown_rows(pane)] == ["Ada", "btc", "dot", "ETH"]


def test_filter_box_narrows_each_table(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    crypto = gui_app.window.crypto_pane
    QTest.keyClicks(crypto.filter, "eth")
    assert [r[0] for r in shown_rows(crypto)] == ["ETH"]
    assert crypto.count.text().startswith("1 of ")
    crypto.filter.clear()
    assert len(shown_rows(crypto)) == crypto.model.rowCount() > 1

    bank = gui_app.window.bank_pane
    QTest.keyClicks(bank.filter, "savings")
    rows = shown_rows(bank)
    assert rows and all(r[1] == "Savings" for r in rows)
    # Amounts are not searchable: a filter must not reveal a figure hidden by privacy mode.
    bank.filter.setText("12000000")
    assert shown_rows(bank) == []


def test_totals_follow_the_filter(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    crypto = gui_app.window.crypto_pane
    assert "BTC" in crypto.footer.text() and "ETH" in crypto.footer.text()
    QTest.keyClicks(crypto.filter, "eth")
    assert crypto.footer.text().startswith("Totals of the 1 rows shown:")
    assert "ETH" in crypto.footer.text() and "BTC" not in crypto.footer.text()

    bank = gui_app.window.bank_pane
    everything = bank.footer.text()
    assert "CHF totals" in everything and "JPY totals" in everything
    bank.filter.setText("zzz")
    assert bank.count.text().startswith("0 of ")
    assert bank.footer.isHidden()  # no totals for rows that are not shown
    bank.filter.setText("card")
    text = bank.footer.text()
    assert "owed on cards and loans (InterimBooked)" in text
    assert "-250.75" in text and "own money" not in text and "CHF" not in text
    bank.filter.clear()
    assert bank.footer.text() == everything


def visible_texts(app: App) -> list[str]:
    window = app.window
    texts = [window.windowTitle()]
    texts += [label.text() for label in window.findChildren(QLabel)]
    texts += [label.toolTip() for label in window.findChildren(QLabel)]
    texts += [b.toPlainText() for b in window.findChildren(QTextBrowser)]
    texts += [b.text() for b in window.findChildren(QAbstractButton)]
    for pane, columns in ((window.crypto_pane, CRYPTO_COLUMNS), (window.bank_pane, BANK_COLUMNS)):
        for column, spec in enumerate(columns):
            if spec.kind != "percent":  # percentages may stay visible
                texts += cells(pane.model, column)
    return texts


def test_privacy_masks_every_amount_on_every_surface(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    bank = window.bank_pane
    # Select the overdraft balance so that the detail pane lists credit lines and amounts.
    row = next(i for i, r in enumerate(shown_rows(bank)) if r[0] == "Main GBP" and
               r[2] == "InterimAvailable")
    bank.view.setCurrentIndex(bank.proxy.index(row, 0))
    assert "500.00" in window.detail.toPlainText()

    amounts = set()
    for pane, columns in ((window.crypto_pane, CRYPTO_COLUMNS), (bank, BANK_COLUMNS)):
        for column, spec in enumerate(columns):
            if spec.kind == "amount":
                # Single digits ("0") would match any clock time; real figures are longer.
                amounts |= {
                    t for t in cells(pane.model, column) if re.search(r"\d", t) and len(t) > 2
                }
    assert len(amounts) > 20

    QTest.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert window.privacy and window.privacy_action.isChecked()
    texts = visible_texts(gui_app)
    leaks = {a for a in amounts for t in texts if a in t}
    assert leaks == set()
    for pane, columns in ((window.crypto_pane, CRYPTO_COLUMNS), (bank, BANK_COLUMNS)):
        for column, spec in enumerate(columns):
            if spec.kind == "amount":
                assert set(cells(pane.model, column)) <= {PRIVACY_MASK, ""}
    assert PRIVACY_MASK in window.detail.toPlainText()
    assert PRIVACY_MASK in window.crypto_pane.footer.text()
    # Persisted, and a new window starts masked.
    assert Settings.load().privacy_mode is True
    QTest.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert not window.privacy
    assert Settings.load().privacy_mode is False


def test_ctrl_c_copies_selected_cells_as_tsv(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    gui_app.window.tabs.setCurrentIndex(1)  # Crypto
    pane = gui_app.window.crypto_pane
    pane.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    proxy = pane.proxy
    selection = pane.view.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    for row in (0, 1):
        for column in (0, 4):
            selection.select(proxy.index(row, column), QItemSelectionModel.SelectionFlag.Select)
    pane.view.setFocus()
    QTest.keyClick(pane.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    first, second = (pane.model.row_at(proxy.mapToSource(proxy.index(r, 0)).row())
                     for r in (0, 1))
    clip = QGuiApplication.clipboard().text()
    assert clip == "\n".join(  # every digit, whatever the table rounds for reading
        ["Currency\tTotal", *(f"{r.texts[0]}\t{r.values[4]}" for r in (first, second))]
    )
    pane.view.copy_value(proxy.index(0, 4))
    assert QGuiApplication.clipboard().text() == str(first.values[4])


def test_empty_cells_copy_as_empty_not_as_a_dash(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    pane = gui_app.window.crypto_pane
    rows = shown_rows(pane)
    no_stake = next(i for i, r in enumerate(rows) if r[3] == "—")
    from PySide6.QtCore import QItemSelectionModel

    selection = pane.view.selectionModel()
    for column in (0, 3):
        selection.select(pane.proxy.index(no_stake, column),
                         QItemSelectionModel.SelectionFlag.Select)
    pane.view.copy_selection()
    assert QGuiApplication.clipboard().text() == f"Currency\tStaked\n{rows[no_stake][0]}\t"


def test_detail_pane_explains_the_balance_type_and_the_credit_card_caveat(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    bank = gui_app.window.bank_pane
    rows = shown_rows(bank)
    card = next(i for i, r in enumerate(rows) if r[1] == "CreditCard" and
                r[2] == "InterimAvailable")
    bank.view.setCurrentIndex(bank.proxy.index(card, 3))
    text = gui_app.window.detail.toPlainText()
    assert "unused part of your credit limit" in text
    assert "Available now" in text
    assert "included: already counted inside the amount" in text
    booked = next(i for i, r in enumerate(rows) if r[2] == "InterimBooked")
    bank.view.setCurrentIndex(bank.proxy.index(booked, 0))
    assert "settled" in gui_app.window.detail.toPlainText()


def test_the_table_and_the_detail_pane_agree_about_credit(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    bank = gui_app.window.bank_pane
    rows = shown_rows(bank)
    card = next(i for i, r in enumerate(rows) if r[1] == "CreditCard" and
                r[2] == "InterimAvailable")
    assert rows[card][3] == "Credit available"
    bank.view.setCurrentIndex(bank.proxy.index(card, 0))
    text = gui_app.window.detail.toPlainText()
    assert "Credit available: what you can still spend" in text
    assert "money in your favour" not in text
    loan = next(i for i, r in enumerate(rows) if r[1] == "Loan" and r[2] == "InterimAvailable")
    assert rows[loan][3] == "Credit available"
    bank.view.setCurrentIndex(bank.proxy.index(loan, 0))
    text = gui_app.window.detail.toPlainText()
    assert "This is a loan" in text and "This is a credit card" not in text
    current = next(i for i, r in enumerate(rows) if r[0] == "Main GBP" and
                   r[2] == "InterimAvailable")
    assert rows[current][3] == "Credit"
    bank.view.setCurrentIndex(bank.proxy.index(current, 0))
    assert "money in your favour" in gui_app.window.detail.toPlainText()


def test_the_last_good_table_sent_again_after_a_failure_is_not_rebuilt(
    qtbot: QtBot, gui_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetch process sends the last good table again with a failed refresh; sorting and
    comparing 10,000 rows again on the GUI thread would stall it for nothing."""
    import pickle
    from dataclasses import replace

    gui_app.wait_done(qtbot)
    bank = gui_app.window.bank_pane
    bank.view.setCurrentIndex(bank.proxy.index(3, 0))
    shown = gui_app.latest("bank")
    assert shown.table is not None
    rebuilt: list[int] = []
    real_set_rows = bank.model.set_rows

    def counting_set_rows(rows: Sequence[TableRow]) -> None:
        rebuilt.append(len(rows))
        real_set_rows(rows)

    monkeypatch.setattr(bank.model, "set_rows", counting_set_rows)
    copy = pickle.loads(pickle.dumps(shown.table))  # noqa: S301 - our own object
    gui_app.window.apply_update(replace(shown, state="error", table=copy))
    assert rebuilt == []
    assert bank.model.stale and bank.view.currentIndex().row() == 3
    gui_app.refresh_and_wait(qtbot, "bank")  # a new table is shown
    assert rebuilt and not bank.model.stale


def test_sort_tab_and_geometry_persist_between_runs(
    qtbot: QtBot, demo_env: DemoEnvironment
) -> None:
    first = start_app(qtbot, demo_env)
    first.wait_done(qtbot)
    first.window.crypto_pane.view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    first.window.tabs.setCurrentIndex(1)
    first.window.resize(700, 455)  # within the offscreen 800x600 screen
    first.window.close()
    first.controller.shutdown()

    second = start_app(qtbot, demo_env)
    try:
        second.wait_done(qtbot)
        assert second.window.tabs.currentIndex() == 1
        model = second.window.crypto_pane.model
        assert (model.sort_column, model.sort_order) == (4, Qt.SortOrder.DescendingOrder)
        totals = [
            Decimal(str(model.data(model.index(r, 4), SORT_ROLE)))
            for r in range(model.rowCount())
        ]
        assert totals == sorted(totals, reverse=True)
        assert (second.window.width(), second.window.height()) == (700, 455)
    finally:
        second.controller.shutdown()


def test_every_control_has_an_accessible_name(qtbot: QtBot, gui_app: App) -> None:
    window = gui_app.window
    for widget in (
        window.crypto_pane.filter, window.bank_pane.filter, window.crypto_pane.view,
        window.bank_pane.view, window.detail, window.tabs, window.toolbar,
    ):
        assert widget.accessibleName(), widget
    assert window.refresh_action.shortcut().toString() == "F5"
    assert window.privacy_action.shortcut().toString() == "Ctrl+Shift+H"
    assert QApplication.instance() is not None


def test_a_long_status_is_cut_at_a_word_with_the_whole_text_on_hover(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    message = "Down for maintenance " + "while the exchange upgrades its matching engine " * 4
    gui_app.crypto_sim.fail(503, times=None, message=message.strip())
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    label = gui_app.window.status_labels["revolut_x"]
    label.resize(300, label.height())
    shown = label.text()
    assert shown.endswith("…")
    assert len(shown) < len(label.plain)
    cut = shown.removesuffix("…")
    assert label.plain.startswith(cut)
    assert label.plain[len(cut)] in " ·;,"  # at a word's end, never inside one
    assert label.toolTip() == label.plain and message.strip() in label.toolTip()
    label.resize(5000, label.height())
    assert not label.text().endswith("…")  # room again: the whole text


@pytest.mark.parametrize("size", [(1280, 800), (1024, 700)])
def test_both_tables_fit_without_scrolling_sideways(
    qtbot: QtBot, gui_app: App, size: tuple[int, int]
) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    window.resize(*size)
    for tab, pane in ((1, window.crypto_pane), (2, window.bank_pane)):  # after the Overview
        window.tabs.setCurrentIndex(tab)
        QApplication.processEvents()
        assert pane.view.horizontalScrollBar().maximum() == 0, pane.objectName()
        # Spare room is shared out: the columns reach the right edge.
        header = pane.view.horizontalHeader()
        shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        assert sum(header.sectionSize(c) for c in shown) >= pane.view.viewport().width() - 2


def test_the_column_menu_hides_and_shows_columns_and_they_are_remembered(
    qtbot: QtBot, demo_env: DemoEnvironment, data_home: Path
) -> None:
    first = start_app(qtbot, demo_env)
    first.wait_done(qtbot)
    bank = first.window.bank_pane
    # One bank connected: the Bank column stays hidden until there are several.
    assert bank.hidden_columns() == [
        "Subtype", "Included credit", "Unused credit", "With unused credit", "Bank"
    ]
    menu = bank.column_menu()
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert not actions["Account"].isEnabled()  # the rows need their name
    actions["Unused credit"].trigger()
    actions["Subtype"].trigger()
    assert bank.hidden_columns() == ["Included credit", "With unused credit", "Bank"]
    first.controller.shutdown()

    second = start_app(qtbot, demo_env)
    second.wait_done(qtbot)
    assert second.window.bank_pane.hidden_columns() == [
        "Included credit", "With unused credit", "Bank"
    ]
    second.controller.shutdown()


def test_show_every_digit_is_a_setting_and_rebuilds_the_tables(
    qtbot: QtBot, gui_app: App, data_home: Path
) -> None:
    gui_app.wait_done(qtbot)
    bank = gui_app.window.bank_pane
    assert any(row[AMOUNT_COLUMN] == "812.35" for row in shown_rows(bank))
    digits = next(a for a in bank.column_menu().actions() if a.text() == "Show every digit")
    assert not digits.isChecked()
    digits.trigger()
    assert Settings.load().show_every_digit is True
    qtbot.waitUntil(
        lambda: any(row[AMOUNT_COLUMN] == "812.34567" for row in shown_rows(bank)),
        timeout=10_000,
    )
    assert next(
        a for a in bank.column_menu().actions() if a.text() == "Show every digit"
    ).isChecked()


def test_the_account_column_stays_put_when_the_table_scrolls_sideways(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    window.tabs.setCurrentIndex(2)  # Bank
    bank = window.bank_pane
    bank.set_hidden_columns([])  # every column: wider than the window
    window.resize(700, 600)
    QApplication.processEvents()
    view = bank.view
    bar = view.horizontalScrollBar()
    assert bar.maximum() > 0
    assert not view.frozen.isVisible()  # nothing to keep in place yet
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    frozen = view.frozen
    assert frozen.isVisible() and frozen.x() <= view.frameWidth()
    assert frozen.width() == view.columnWidth(0)
    names = [frozen.model().index(r, 0).data() for r in range(3)]
    assert names == [r[0] for r in shown_rows(bank)[:3]]
    # The same selection: choosing a name in the frozen column selects that row's cell.
    frozen.selectionModel().setCurrentIndex(
        frozen.model().index(2, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    assert view.currentIndex().row() == 2
    bar.setValue(0)
    QApplication.processEvents()
    assert not frozen.isVisible()


def test_in_privacy_mode_what_is_copied_is_what_is_seen(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    window.set_privacy(True)
    for pane in (window.crypto_pane, window.bank_pane):
        pane.view.selectAll()
        pane.view.setFocus()
        QTest.keyClick(pane.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        copied = QGuiApplication.clipboard().text()
        rows = [line.split("\t") for line in copied.splitlines()[1:]]
        amounts = [
            i for i, column in enumerate(pane.model.columns) if column.kind == "amount"
            and not pane.view.isColumnHidden(i)
        ]
        shown = [i for i in range(len(pane.model.columns)) if not pane.view.isColumnHidden(i)]
        for row in rows:
            for i in amounts:
                assert row[shown.index(i)] in (PRIVACY_MASK, ""), row
        amount = pane.proxy.index(0, amounts[0])
        pane.view.copy_value(amount)
        assert QGuiApplication.clipboard().text() == PRIVACY_MASK
