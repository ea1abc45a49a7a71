"""Figures at first paint: the previous run's figures, from the history, are shown before any
answer arrives, marked as such; the first fetch replaces them (issue 13)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from balance_desk.simulator.demo import DemoEnvironment
from balance_desk.simulator.revolut_x.server import Fault
from tests.gui.support import start_app


def test_the_last_figures_show_before_any_answer_and_give_way_to_fresh_ones(
    qtbot: QtBot, demo_env: DemoEnvironment, data_home: Path
) -> None:
    first = start_app(qtbot, demo_env, history=True)  # a previous run: it records
    first.wait_done(qtbot)
    shown_before = [row.values for row in first.window.crypto_pane.model.rows()]
    qtbot.waitUntil(lambda: first.window.overview is not None)
    overview = first.window.overview
    assert overview is not None
    net_worth_before = overview.net_worth.text
    first.controller.shutdown()
    assert demo_env.bank is not None
    crypto_requests = len(demo_env.revolut_x.requests)

    # This start, the servers are slow to answer.
    demo_env.revolut_x.add_fault(Fault(status=None, delay_s=3.0, times=None))
    demo_env.bank.fail(None, times=None, delay_s=3.0)
    second = start_app(qtbot, demo_env, history=True)
    window = second.window
    qtbot.waitUntil(lambda: bool(window.crypto_pane.model.rows()), timeout=2500)
    assert len(demo_env.revolut_x.requests) == crypto_requests  # nothing answered yet
    # The same figures, valued with the last run's rates (kept in the history too), and the
    # Overview with them, before any request has been answered.
    assert [row.values for row in window.crypto_pane.model.rows()] == shown_before
    assert window.overview is not None
    assert window.overview.net_worth.text == net_worth_before
    assert "from an earlier refresh" in window.overview_pane.net_worth_note.text()
    update = second.latest("revolut_x")
    assert update.from_history and update.refreshing and window.crypto_pane.model.stale
    label = window.status_labels["revolut_x"].plain
    assert "figures from" in label and "refreshing…" in label
    assert second.latest("bank").from_history and window.bank_pane.model.rows()

    demo_env.revolut_x.clear_faults()
    demo_env.bank.clear_faults()
    second.wait_done(qtbot, timeout=15_000)
    fresh = second.latest("revolut_x")
    assert fresh.state == "ok" and not fresh.from_history and not window.crypto_pane.model.stale
    second.controller.shutdown()
