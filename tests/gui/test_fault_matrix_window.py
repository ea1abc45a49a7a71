"""The fault matrix through the poller with the window open: for each fault the status bar says
what went wrong, the last good figures stay marked stale, the other source is unaffected, and
the next good answer recovers (the same faults against the clients: tests/test_fault_matrix.py)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.support import App
from tests.test_fault_matrix import FAULTS, Fault

# The quick ones: slow faults (timeouts, trickles) are proven against the clients.
WINDOW_FAULTS = [f for f in FAULTS if f.name in (
    "503", "401", "429 long wait", "HTML with 200", "empty 200", "truncated", "deep",
    "wrong types",
)]


def _apply(app: App, source: str, fault: Fault) -> None:
    options = dict(fault.options)
    status = options.pop("status")
    wait = options.pop("retry_after", None)
    if source == "revolut_x":
        if wait is not None:
            options["retry_after_ms"] = int(wait * 1000)
        app.crypto_sim.fail(status, times=None, **options)
    else:
        if wait is not None:
            options["retry_after_s"] = int(wait)
        app.bank_sim.fail(status, times=None, path="/balances", **options)


@pytest.mark.parametrize("source", ["revolut_x", "bank"])
@pytest.mark.parametrize("fault", WINDOW_FAULTS, ids=lambda f: f.name.replace(" ", "-"))
def test_a_fault_in_one_source_shows_in_words_keeps_its_figures_and_spares_the_other(
    qtbot: QtBot, gui_app: App, source: str, fault: Fault
) -> None:
    gui_app.wait_done(qtbot)
    other = "bank" if source == "revolut_x" else "revolut_x"
    window = gui_app.window
    pane = window.pane(source)  # type: ignore[arg-type]
    before = [row.values for row in pane.model.rows()]
    other_before = [row.values for row in window.pane(other).model.rows()]  # type: ignore[arg-type]
    assert before and other_before

    _apply(gui_app, source, fault)
    gui_app.refresh_and_wait(qtbot)
    update = gui_app.latest(source)  # type: ignore[arg-type]
    assert update.state == "error" and update.stale
    assert update.error is not None and update.error.kind == fault.kind[source]
    assert [row.values for row in pane.model.rows()] == before
    assert pane.model.stale
    label = window.status_labels[source]  # type: ignore[index]
    assert fault.words[source] in label.plain or fault.words[source] in label.toolTip()
    # The other source refreshed as usual.
    assert gui_app.latest(other).state == "ok"  # type: ignore[arg-type]
    assert not gui_app.latest(other).stale  # type: ignore[arg-type]

    (gui_app.crypto_sim if source == "revolut_x" else gui_app.bank_sim).clear_faults()
    if update.error.kind == "rate_limited":
        # The server asked us to wait an hour: F5 does not ask again before then, and says so.
        assert update.error.retry_at is not None
        return
    gui_app.refresh_and_wait(qtbot)
    recovered = gui_app.latest(source)  # type: ignore[arg-type]
    assert recovered.state == "ok" and not recovered.stale and not pane.model.stale
