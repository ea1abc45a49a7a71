"""The Overview tab: net worth first, in the base currency; its parts; a row per currency; the
rates used; masked in privacy mode; the base currency chosen right there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.money import PRIVACY_MASK
from balance_desk.simulator.demo import DemoEnvironment
from tests.gui.support import App, start_app

# The demo's fixed balances and rates, valued in GBP (tests/test_valuation.py checks the rules;
# this is what a user reads).
NET_WORTH_GBP = "92,360.73"


def test_the_overview_is_the_first_tab_and_shows_net_worth_in_the_base_currency(
    qtbot: QtBot, gui_app: App
) -> None:
    window = gui_app.window
    assert window.tabs.tabText(0) == "&Overview" and window.tabs.currentIndex() == 0
    gui_app.wait_done(qtbot)
    pane = window.overview_pane
    qtbot.waitUntil(lambda: pane.net_worth.text() == f"Net worth  {NET_WORTH_GBP} GBP")
    crypto, crypto_note = pane.figure_labels["Crypto"]
    assert crypto_note.text() == "10 assets on Revolut X"
    bank, bank_note = pane.figure_labels["Bank"]
    credit, credit_note = pane.figure_labels["Credit available"]
    assert (crypto.text(), bank.text()) == ("90,311.50 GBP", "2,049.23 GBP")
    assert credit.text() == "3,772.18 GBP" and credit_note.text() == "not added to net worth"
    assert bank_note.text() == "own money in 5 accounts, less 2 cards or loans"
    assert "InterimAvailable" in pane.bank_note.text() and "InterimBooked" in pane.bank_note.text()
    # The status bar and the tray say it too.
    assert window.net_worth_words() == f"Net worth {NET_WORTH_GBP} GBP"
    status = window.statusBar().findChild(type(pane.net_worth), "statusNetWorth")
    assert status is not None and status.text() == f"Net worth {NET_WORTH_GBP} GBP"
    tooltip = gui_app.controller.desktop.tray.tooltip()
    assert tooltip.splitlines()[1] == f"Net worth {NET_WORTH_GBP} GBP"
    # One row per currency, the largest value first; a zero balance is worth zero, not a dash.
    rows = [pane.currencies.model.row_at(pane.currencies.proxy.mapToSource(
        pane.currencies.proxy.index(r, 0)).row()) for r in range(pane.currencies.proxy.rowCount())]
    shown = tuple(text.rstrip("\u2007\u2008") for text in rows[0].texts[:5])  # aligned
    assert shown == ("BTC", "Crypto", "0.5334", "100,000.00", "53,340.00")
    ada = next(row for row in rows if row.key == "ADA")
    assert ada.texts[3:5] == ("—", "0.00")
    gbp = next(row for row in rows if row.key == "GBP")
    assert gbp.texts[1] == "Crypto + Bank" and gbp.texts[3] == "1"
    sources = {row.key: row.texts[2] for row in pane.rates.model.rows()}
    assert sources == {
        "BTC": "Revolut X ticker", "CHF": "ECB reference rate", "DOT": "crossed via USDC, USD",
        "ETH": "crossed via USD", "EUR": "ECB reference rate", "JPY": "ECB reference rate",
        "SOL": "crossed via USD", "USD": "ECB reference rate", "USDC": "crossed via USD",
        "XRP": "crossed via USD",
    }
    # The other tabs carry a value column that names the base currency.
    assert window.crypto_pane.model.columns[-1].title == "Value (GBP)"
    btc = next(r for r in window.crypto_pane.model.rows() if r.key == "BTC")
    assert btc.texts[-1] == "53,340.00"


def test_privacy_mode_masks_net_worth_everywhere(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    pane = window.overview_pane
    qtbot.waitUntil(lambda: NET_WORTH_GBP in pane.net_worth.text())
    window.privacy_action.trigger()
    assert pane.net_worth.text() == f"Net worth  {PRIVACY_MASK} GBP"
    assert all(PRIVACY_MASK in value.text() for value, _ in pane.figure_labels.values())
    assert window.net_worth_words() == f"Net worth {PRIVACY_MASK} GBP"
    tooltip = gui_app.controller.desktop.tray.tooltip()
    assert NET_WORTH_GBP not in tooltip and f"Net worth {PRIVACY_MASK} GBP" in tooltip
    model = pane.currencies.model
    values = {model.data(model.index(r, c)) for r in range(model.rowCount()) for c in (2, 3, 4)}
    assert values == {PRIVACY_MASK}
    window.privacy_action.trigger()
    assert NET_WORTH_GBP in pane.net_worth.text()


def test_choosing_a_base_currency_saves_it_and_values_everything_again(
    qtbot: QtBot, gui_app: App, data_home: Path
) -> None:
    gui_app.wait_done(qtbot)
    window = gui_app.window
    pane = window.overview_pane
    qtbot.waitUntil(lambda: NET_WORTH_GBP in pane.net_worth.text())
    window.bank_pane.set_hidden_columns(["Value"])  # a choice that must survive the renaming
    pane.base.setCurrentText("EUR")
    pane.base.activated.emit(pane.base.currentIndex())
    assert Settings.load().base_currency == "EUR"
    qtbot.waitUntil(lambda: window.overview is not None and window.overview.base == "EUR",
                    timeout=10_000)
    assert pane.net_worth.text().endswith(" EUR")
    assert window.crypto_pane.model.columns[-1].title == "Value (EUR)"
    assert window.bank_pane.hidden_columns() == ["Value"]
    eur = next(r for r in pane.rates.model.rows() if r.key == "GBP")
    assert eur.texts[1] == "1.20171 EUR"  # 1 / 0.83215, six significant digits shown


def test_a_failing_price_source_leaves_the_balances_and_says_what_is_missing(
    qtbot: QtBot, demo_env: DemoEnvironment
) -> None:
    demo_env.revolut_x.fail(503, times=None, endpoint="tickers", message="Prices are down")
    gui_app = start_app(qtbot, demo_env)
    gui_app.wait_done(qtbot)
    window = gui_app.window
    pane = window.overview_pane
    qtbot.waitUntil(lambda: window.overview is not None and bool(window.overview.problems))
    QApplication.processEvents()
    assert gui_app.latest("revolut_x").state == "ok"  # the balances themselves are fine
    btc = next(r for r in window.crypto_pane.model.rows() if r.key == "BTC")
    assert btc.texts[-1] == "—"
    assert pane.problems.isVisible() and "Prices are down" in pane.problems.text()
    assert "without a rate: BTC, DOT, ETH, SOL, USDC, XRP" in pane.net_worth_note.text()
    assert window.net_worth_words().endswith("(incomplete)")
    gui_app.controller.shutdown()
