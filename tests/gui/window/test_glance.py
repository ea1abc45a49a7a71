"""The window's first frame from the last figures kept as text: each page keeps them until its
real pane has something of its own to show (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.gui.window.main_window import MainWindow
from balance_desk.model import ErrorInfo
from balance_desk.present.glance import Glance, GlanceTable
from balance_desk.present.updates import SourceUpdate
from tests.gui.support import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
TABLE = GlanceTable(("Currency", "Amount"), ("text", "amount"), (("BTC", "0.5"),), 0)


def _glance(*pages: str) -> Glance:
    return Glance({"revolut_x": NOW, "bank": NOW}, "GBP", (("Net worth", "1,234.56", ""),),
                  False, dict.fromkeys(pages, TABLE))


def test_each_page_keeps_the_last_figures_until_its_pane_has_an_answer(qtbot: QtBot) -> None:
    window = MainWindow(light_start=True, glance=_glance("overview", "revolut_x", "bank"))
    qtbot.addWidget(window)
    window.show()
    assert window.glance_pages == ("overview", "revolut_x", "bank")
    window.build_panes()  # the panes exist, still loading: the last figures stay
    assert window.glance_pages == ("overview", "revolut_x", "bank")
    assert not window.overview_pane.isVisibleTo(window)

    window.apply_update(SourceUpdate(source="revolut_x", state="error",
                                     error=ErrorInfo(kind="server", message="Down")))
    assert list(window.glance_pages) == ["overview", "bank"]  # the Crypto tab says why
    window.tabs.setCurrentIndex(1)
    assert window.crypto_pane.isVisibleTo(window)
    window.apply_update(SourceUpdate(source="bank", state="not_configured", configured=False))
    assert not list(window.glance_pages)  # every source answered: the Overview takes over
    window.tabs.setCurrentIndex(0)
    assert window.overview_pane.isVisibleTo(window)


def test_pages_without_figures_of_their_own_say_loading(qtbot: QtBot) -> None:
    """The Bank page had nothing shown last time: it says it is loading, as without a glance."""
    window = MainWindow(light_start=True, glance=_glance("revolut_x"))
    qtbot.addWidget(window)
    assert window.glance_pages == ("revolut_x",)
    view = window.glance_view("revolut_x")
    assert view is not None and "BTC\t0.5" in view.text()
    window.set_privacy(True)
    assert "BTC\t•••••" in view.text()
    assert "Figures from" in window.statusBar().currentMessage()


def test_without_a_glance_the_first_frame_says_loading(qtbot: QtBot) -> None:
    window = MainWindow(light_start=True)
    qtbot.addWidget(window)
    assert window.glance_pages == ()
    assert window.statusBar().currentMessage() == "Loading balances…"
