"""The poller on its QThread, against the simulators: stale figures, recovery, coalescing, quit,
independent sources, and the backoff schedule."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.errors import KIND_TITLES
from balance_desk.gui.poller import BACKOFF_CAP_S, next_delay
from balance_desk.simulator.demo import DemoEnvironment
from balance_desk.simulator.revolut_x.server import Fault
from tests.gui.support import (
    OFFSCREEN_NOISE,
    App,
    start_app,
)

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def crypto_texts(app: App) -> list[tuple[str, ...]]:
    return [row.texts for row in app.window.crypto_pane.model.rows()]


def test_failure_keeps_old_figures_marked_stale_and_recovery_clears_it(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    gui_app.window.tabs.setCurrentIndex(1)  # Crypto
    before = crypto_texts(gui_app)
    assert before and gui_app.latest("revolut_x").state == "ok"

    gui_app.crypto_sim.fail(503, times=None, message="Down for maintenance")
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    update = gui_app.latest("revolut_x")
    assert update.state == "error" and update.stale
    pane = gui_app.window.crypto_pane
    assert crypto_texts(gui_app) == before  # the old figures stay
    assert pane.model.stale
    notice = pane.notice.text()
    assert pane.notice.isVisible()
    assert "Stale" in notice and "the last refresh failed" in notice
    assert re.search(r"figures are from \d\d:\d\d:\d\d \((just now|\d+ s ago)\)", notice)
    assert "Down for maintenance" in notice
    assert update.error is not None and update.error.error_id
    assert update.error.error_id in notice
    status = gui_app.window.status_labels["revolut_x"].plain
    assert KIND_TITLES["server"] in status and update.error.error_id in status
    assert "showing figures from" in status
    # The bank is independent of the crypto failure.
    assert gui_app.latest("bank").state == "ok"

    gui_app.crypto_sim.clear_faults()
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    update = gui_app.latest("revolut_x")
    assert update.state == "ok" and not update.stale and update.failures == 0
    assert not pane.model.stale and not pane.notice.isVisible()
    assert "updated" in gui_app.window.status_labels["revolut_x"].plain


def test_an_account_that_could_not_be_read_is_marked_and_the_fresh_ones_are_not(
    qtbot: QtBot, gui_app: App
) -> None:
    """A refresh that read some accounts: their new figures show as current, and only the
    unread account's rows are marked (its last figures, in italics with a note), not the
    whole table greyed as stale."""
    from balance_desk.simulator.open_banking.server import BankFault

    gui_app.wait_done(qtbot)
    gui_app.window.tabs.setCurrentIndex(2)  # Bank
    unread = gui_app.bank_sim.accounts[0]
    gui_app.bank_sim.add_fault(
        BankFault(status=500, path=f"/accounts/{unread.account_id}/balances", times=None)
    )
    gui_app.refresh_and_wait(qtbot, "bank")
    update = gui_app.latest("bank")
    assert update.state == "error" and update.partly_read and not update.stale
    pane = gui_app.window.bank_pane
    assert not pane.model.stale  # the table as a whole is this refresh's
    rows = pane.model.rows()
    marked = [row for row in rows if row.stale_note]
    from balance_desk.present.bank_table import BankRowInfo

    infos = [row.payload for row in marked if isinstance(row.payload, BankRowInfo)]
    assert marked and len(infos) == len(marked)
    assert {info.account.account_id for info in infos} == {unread.account_id}
    assert any(not row.stale_note for row in rows)
    # The accounts read are valued as on any refresh (and so are the carried ones).
    from balance_desk.present.bank_table import BANK_COLUMNS

    value = [column.title for column in BANK_COLUMNS].index("Value")
    assert all(row.texts[value] != "—" for row in rows), [row.texts[value] for row in rows]
    notice = pane.notice.text()
    assert pane.notice.isVisible() and "Stale" not in notice
    assert "1 of" in notice and "could not be read" in notice
    status = gui_app.window.status_labels["bank"].plain
    assert "showing figures from" not in status and "1 of" in status
    # The Overview counts the unread account at its last figures, and says so.
    note = gui_app.window.overview_pane.net_worth_note.text()
    assert "Some Bank accounts could not be read and count at their last figures" in note

    gui_app.bank_sim.clear_faults()
    gui_app.refresh_and_wait(qtbot, "bank")
    update = gui_app.latest("bank")
    assert update.state == "ok" and not update.partly_read
    assert not any(row.stale_note for row in pane.model.rows())
    assert not pane.notice.isVisible()


def test_f5_coalesces_with_a_refresh_in_flight(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    sim = gui_app.crypto_sim
    before = len(sim.requests)
    sim.add_fault(Fault(status=None, delay_s=0.8))
    gui_app.window.refresh_action.trigger()
    qtbot.waitUntil(lambda: gui_app.latest("revolut_x").refreshing)
    for _ in range(3):
        gui_app.window.refresh_action.trigger()
    gui_app.wait_done(qtbot, "revolut_x")
    assert len(sim.requests) == before + 1
    assert gui_app.latest("revolut_x").state == "ok"


def test_one_slow_source_does_not_delay_the_other(
    qtbot: QtBot, demo_env: DemoEnvironment
) -> None:
    demo_env.revolut_x.add_fault(Fault(status=None, times=None, delay_s=3.0))
    app = start_app(qtbot, demo_env)
    try:
        app.wait_done(qtbot, "bank", timeout=2_500)
        assert app.latest("revolut_x").refreshing
        assert app.window.bank_pane.model.rowCount() > 0
    finally:
        app.controller.shutdown()


def test_quitting_mid_request_joins_the_thread_within_two_seconds(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    gui_app.crypto_sim.add_fault(Fault(status=None, times=None, delay_s=10.0))
    gui_app.window.refresh_action.trigger()
    qtbot.waitUntil(lambda: gui_app.latest("revolut_x").refreshing)
    started = time.monotonic()
    assert gui_app.poller.stop(timeout_s=2.0)
    assert time.monotonic() - started < 2.0
    assert not gui_app.poller._thread.isRunning()


def test_a_source_that_crashes_becomes_an_error_not_a_dead_poller(
    qtbot: QtBot, gui_app: App
) -> None:
    gui_app.wait_done(qtbot)
    gui_app.crypto_sim.set_balances_document({"not": "a list"})
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    update = gui_app.latest("revolut_x")
    assert update.state == "error" and update.stale
    assert update.error is not None and update.error.kind == "protocol"
    gui_app.crypto_sim.set_balances([{"currency": "BTC", "available": "1", "reserved": "0",
                                      "total": "1"}])
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    assert [r[0] for r in crypto_texts(gui_app)] == ["BTC"]


def test_not_configured_offers_key_setup(qtbot: QtBot, gui_app: App) -> None:
    gui_app.wait_done(qtbot)
    gui_app.env.store.delete_revolut_x()
    gui_app.refresh_and_wait(qtbot, "revolut_x")
    assert gui_app.latest("revolut_x").state == "not_configured"
    assert gui_app.window.crypto_pane.model.rowCount() == 0  # no figures of unreadable keys
    label = gui_app.window.status_labels["revolut_x"]
    assert "not configured" in label.plain
    with qtbot.waitSignal(gui_app.window.set_up_keys_requested) as signal:
        label.linkActivated.emit("setup:revolut_x")
    assert signal.args == ["revolut_x"]


# --- the schedule ------------------------------------------------------------------------------

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_success_polls_at_the_interval() -> None:
    assert next_delay(30, 0, None, NOW, random.Random(1)) == 30


def test_failures_back_off_exponentially_with_jitter_up_to_a_cap() -> None:
    rng = random.Random(7)
    for failures, base in ((1, 30), (2, 60), (3, 120), (4, 240)):
        delays = {next_delay(30, failures, None, NOW, rng) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 40  # jittered, not in step
    assert next_delay(30, 30, None, NOW, rng) <= BACKOFF_CAP_S


def test_retry_after_is_honoured() -> None:
    later = NOW + timedelta(seconds=600)
    assert next_delay(30, 1, later, NOW, random.Random(1)) == pytest.approx(600)
    assert next_delay(30, 0, later, NOW, random.Random(1)) == pytest.approx(600)
