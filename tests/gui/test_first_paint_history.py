"""Figures at first paint: the last figures shown, kept as text, paint with the window's first
frame; the previous run's figures, from the history, follow in the real tables before any answer
arrives, marked as such; the first fetch replaces them (issue 13)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from balance_desk.simulator.demo import DemoEnvironment
from balance_desk.simulator.revolut_x.server import Fault
from tests.gui.support import QUIET, start_app


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


def test_the_first_frame_paints_the_last_figures_before_the_tables_exist(
    qtbot: QtBot, demo_env: DemoEnvironment, data_home: Path
) -> None:
    first = start_app(qtbot, demo_env, history=True)  # a previous run: it keeps its figures
    first.wait_done(qtbot)
    qtbot.waitUntil(lambda: first.window.overview is not None)
    overview = first.window.overview
    assert overview is not None
    net_worth = overview.net_worth.text
    crypto_rows = first.window.crypto_pane.model.rows()
    first.controller.shutdown()
    assert demo_env.bank is not None
    crypto_requests = len(demo_env.revolut_x.requests)

    demo_env.revolut_x.add_fault(Fault(status=None, delay_s=3.0, times=None))
    demo_env.bank.fail(None, times=None, delay_s=3.0)
    second = start_app(qtbot, demo_env, history=True, defer_setup=True)
    window = second.window
    # Built, not yet painted: no table exists, the last figures are there as text.
    assert window.glance_pages == ("overview", "revolut_x", "bank")
    assert window._panes is None
    overview_view = window.glance_view("overview")
    crypto_view = window.glance_view("revolut_x")
    assert overview_view is not None and crypto_view is not None
    shown = overview_view.text()
    assert f"Net worth  {net_worth} {overview.base}" in shown
    assert "from your history; refreshing…" in shown
    assert all(row.texts[0] in crypto_view.text() for row in crypto_rows)
    assert "Figures from" in window.statusBar().currentMessage()

    # The real tables take over once they have figures of their own (the history's, here:
    # the servers have not answered yet).
    qtbot.waitUntil(lambda: not window.glance_pages, timeout=5000)
    assert len(demo_env.revolut_x.requests) - crypto_requests <= 1  # asked, not answered
    assert second.latest("revolut_x").from_history
    assert window.overview_pane.isVisibleTo(window)
    assert window.crypto_pane.model.rows()
    demo_env.revolut_x.clear_faults()
    demo_env.bank.clear_faults()
    second.controller.shutdown()


def test_in_privacy_mode_the_first_frame_hides_every_amount(
    qtbot: QtBot, demo_env: DemoEnvironment, data_home: Path
) -> None:
    first = start_app(qtbot, demo_env, history=True)
    first.wait_done(qtbot)
    qtbot.waitUntil(lambda: first.window.overview is not None)
    overview = first.window.overview
    assert overview is not None
    first.controller.shutdown()
    demo_env.revolut_x.add_fault(Fault(status=None, delay_s=3.0, times=None))
    hidden = QUIET.model_copy(update={"privacy_mode": True})
    second = start_app(qtbot, demo_env, history=True, defer_setup=True, settings=hidden)
    window = second.window
    assert window.glance_pages
    for name in window.glance_pages:
        view = window.glance_view(name)
        assert view is not None
        text = view.text()
        assert "•••••" in text
        assert overview.net_worth.text not in text
        assert all(figure.text not in text for figure in overview.figures)
    window.set_privacy(False)  # switched off: the amounts show
    view = window.glance_view("overview")
    assert view is not None and overview.net_worth.text in view.text()
    demo_env.revolut_x.clear_faults()
    second.controller.shutdown()
