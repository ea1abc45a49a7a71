"""The status bar's bank entry offers "Renew…" for a connection that lapses soon (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot

from balance_desk.gui.tray.balance_tray import BalanceTray
from balance_desk.gui.window.status import SourceStatusLabel
from balance_desk.model import BankResult, ConnectionResult
from balance_desk.present.updates import SourceUpdate


def _lapsing() -> BankResult:
    now = datetime.now(UTC)
    line = ConnectionResult(name="Everyday", status="ok",
                            refresh_expires_at=now + timedelta(days=3))
    return BankResult(status="ok", fetched_at=now, connections=(line,))


def test_the_renew_link_asks_for_that_connection(qtbot: QtBot) -> None:
    entry = SourceStatusLabel("bank")
    qtbot.addWidget(entry)
    entry.resize(2000, 30)
    now = datetime.now(UTC)
    entry.show_update(SourceUpdate(source="bank", state="ok", result=_lapsing(),
                                   figures_at=now), now)
    assert "Renew…" in entry.text() and "renew:Everyday" in entry.text()
    with qtbot.waitSignal(entry.set_up_keys_requested) as asked:
        entry.linkActivated.emit("renew:Everyday")
    assert asked.args == ["renew:Everyday"]


def test_the_tray_menu_offers_renewing(qtbot: QtBot) -> None:
    tray = BalanceTray(use_tray=False)
    assert not tray.renew_action.isVisible()
    tray.record("bank", _lapsing())
    assert tray.renew_action.isVisible() and "Everyday" in tray.renew_action.text()
    with qtbot.waitSignal(tray.renew_requested) as asked:
        tray.renew_action.trigger()
    assert asked.args == ["Everyday"]
