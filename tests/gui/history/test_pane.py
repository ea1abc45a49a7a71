"""The History tab with a real history file: the chart draws net worth (and what is switched on)
with gaps, ranges reload it, and privacy mode hides the axis values and the read-out."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.gui.window.main_window import MainWindow
from balance_desk.history import HISTORY_FILE, History
from balance_desk.simulator.demo_history import seed


def _window(qtbot: QtBot, data_home: Path) -> MainWindow:
    history = History(data_home / HISTORY_FILE)
    seed(history, "GBP", Decimal(1), datetime.now(UTC))
    history.close()
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_base_currency("GBP")
    window.resize(1000, 700)
    window.show()
    return window


def test_the_history_tab_draws_net_worth_with_its_gaps(qtbot: QtBot, data_home: Path) -> None:
    window = _window(qtbot, data_home)
    window.tabs.setCurrentIndex(3)
    pane = window.history_pane
    # The plot is made once the library is in, and drawn on the next turn of the event loop.
    qtbot.waitUntil(lambda: pane.data is not None and bool(pane._curves), timeout=10_000)
    assert pane.data is not None and not pane.data.empty
    assert list(pane._curves) == ["Net worth"]
    xs, ys = pane._curves["Net worth"].getData()
    assert len(xs) == len(ys) > 100
    # All: the fortnight without the app is a break in the line.
    pane.range.setCurrentText("All")
    qtbot.waitUntil(lambda: pane.data is not None and pane.data.range_name == "All",
                    timeout=10_000)
    _, ys = pane._curves["Net worth"].getData()
    assert sum(1 for y in ys if math.isnan(y)) >= 1
    pane.toggles["Crypto"].setChecked(True)
    pane.currency.setCurrentText("BTC")
    assert list(pane._curves) == ["Net worth", "Crypto", "BTC"]


def test_privacy_mode_hides_the_axis_values_and_masks_the_read_out(
    qtbot: QtBot, data_home: Path
) -> None:
    window = _window(qtbot, data_home)
    window.tabs.setCurrentIndex(3)
    pane = window.history_pane
    qtbot.waitUntil(lambda: pane.data is not None and pane.plot is not None, timeout=10_000)
    series = pane.data.named("Net worth") if pane.data else None
    assert series is not None
    view = pane.plot.getPlotItem().vb
    point = view.mapViewToScene(view.mapToView(view.rect().center()))
    pane._hovered(point)
    assert "Net worth" in pane.readout.text() and "GBP" in pane.readout.text()
    window.set_privacy(True)
    assert pane.plot.getAxis("left").style["showValues"] is False
    pane._hovered(point)
    assert "•••••" in pane.readout.text()
    assert not any(ch.isdigit() for ch in pane.readout.text().split("·")[1])


def test_a_plotting_library_that_will_not_load_is_said_in_words(
    qtbot: QtBot, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library is imported when the tab first opens; when that fails, the tab says so
    instead of staying on "Loading…" (and the rest of the window carries on)."""
    from balance_desk.gui.history import pane as pane_module

    def broken() -> None:
        raise ImportError("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(pane_module, "_import_plotting", broken)
    window = _window(qtbot, data_home)
    window.tabs.setCurrentIndex(3)
    pane = window.history_pane
    qtbot.waitUntil(lambda: "plotting library" in pane.message.text(), timeout=10_000)
    assert "libGL.so.1" in pane.message.text() and pane.message.isVisible()
    assert pane.plot is None
    qtbot.waitUntil(lambda: pane.data is not None, timeout=10_000)  # read all the same
    assert pane.plot is None and "plotting library" in pane.message.text()


def test_a_slow_library_import_lets_the_window_paint_between_its_modules(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plotting library is imported on the GUI thread; between its modules the event loop
    gets its turns (a timer fires mid-import), and an import on another thread never runs the
    GUI thread's event loop."""
    import builtins
    import sys
    import threading

    from PySide6.QtCore import QTimer

    from balance_desk.gui.history.pane import _frames_between_imports

    original = builtins.__import__
    package = tmp_path / "slowlib"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from . import part0, part1, part2, part3\n", encoding="utf-8")
    for i in range(4):
        (package / f"part{i}.py").write_text("import time\ntime.sleep(0.01)\n",
                                             encoding="utf-8")
    (tmp_path / "otherlib.py").write_text("import time\ntime.sleep(0.02)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    state = {"importing": False, "ticks_inside": 0}

    def tick() -> None:
        if state["importing"]:
            state["ticks_inside"] += 1

    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(tick)
    timer.start()
    elsewhere: list[int] = []
    try:
        with _frames_between_imports():
            def other_import() -> None:
                __import__("otherlib")
                elsewhere.append(state["ticks_inside"])

            worker = threading.Thread(target=other_import)
            worker.start()
            worker.join()
            assert elsewhere == [0]  # the worker's import ran no event loop
            state["importing"] = True
            __import__("slowlib")
            state["importing"] = False
    finally:
        timer.stop()
        for name in ("slowlib", "slowlib.part0", "slowlib.part1", "slowlib.part2",
                     "slowlib.part3", "otherlib"):
            sys.modules.pop(name, None)
    assert state["ticks_inside"] >= 2
    assert builtins.__import__ is original  # put back afterwards
