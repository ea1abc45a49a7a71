"""The History tab: net worth over time in the base currency, crypto and bank and each currency
to switch on, ranges from a day to everything, the exact figure under the pointer, gaps where
nothing was fetched. Privacy mode hides the axis values and the read-out.

The plotting library (pyqtgraph, chosen over Qt Charts: 2 MB against a 175 MB PySide6-Addons
wheel, and a 100,000-point redraw in 10-20 ms) is imported when the tab is first shown, and the
history is read and summed on a worker thread (`Tasks`), never on the GUI thread.

pyqtgraph itself is imported on the GUI thread, never on a worker: its import touches every Qt
class, which PySide6 creates on first use, and creating them on a worker while the GUI thread
runs crashed the app (a segmentation fault seen in the test suite). What can move off the GUI
thread does: numpy and the standard modules pyqtgraph needs (no Qt in them) are imported on a
worker, and the Qt classes are created a few at a time between frames (`_QtClasses`), so the
import that remains on the GUI thread is pyqtgraph's own modules; between them the event loop
gets a turn every few milliseconds (`_frames_between_imports`), so the window keeps painting.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from balance_desk.gui.tasks import JobFailed, Tasks
from balance_desk.money import PRIVACY_MASK
from balance_desk.present.history_chart import RANGES, ChartData

if TYPE_CHECKING:
    from pathlib import Path

EMPTY = ("No history yet: every refresh is recorded from now on, and how your money moved "
         "appears here.")
FIXED_SERIES = ("Net worth", "Crypto", "Bank")
COLOURS = {"Net worth": "#2e7d32", "Crypto": "#ef6c00", "Bank": "#1565c0"}


# The Tasks key of numpy's import.
PLOTTING = "plotting"
# How long each turn of the event loop may spend creating Qt classes (well within a frame).
WARM_SLICE_S = 0.006
# How long pyqtgraph's import may hold the GUI thread before the event loop gets a turn.
IMPORT_SLICE_S = 0.006


# Besides numpy, what pyqtgraph's import loads that has no Qt in it (standard modules, and
# colorama when installed), safe to import on a worker: about 80 ms fewer on the GUI thread.
PLAIN_DEPENDENCIES = ("xml.etree.ElementTree", "subprocess", "multiprocessing",
                      "multiprocessing.connection", "pydoc", "importlib.resources", "cProfile",
                      "colorama")


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """While a library is imported: its thousands of new objects live as long as the app, and
    the full collections they would set off (20-50 ms each, holding every thread, the GUI
    thread included) would find nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_numpy() -> None:
    """On a worker thread: numpy and the rest of the plotting library's plain dependencies."""
    import importlib

    with _no_collection():
        import numpy  # noqa: F401 - a missing numpy is the library's failure to say
        for name in PLAIN_DEPENDENCIES:
            with contextlib.suppress(ImportError):  # none is essential (colorama is optional)
                importlib.import_module(name)


@contextlib.contextmanager
def _frames_between_imports() -> Iterator[None]:
    """While the GUI thread imports a library: after each import statement that ends more
    than `IMPORT_SLICE_S` after the last pause, the event loop paints and runs its timers (user
    input waits until the import is done). Imports on other threads pass straight through."""
    import builtins
    import threading

    from PySide6.QtCore import QCoreApplication, QEventLoop

    original = builtins.__import__
    gui_thread = threading.get_ident()
    flags = QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
    last = time.perf_counter()

    def importing(*args: Any, **kwargs: Any) -> Any:
        nonlocal last
        module = original(*args, **kwargs)
        if threading.get_ident() == gui_thread and time.perf_counter() - last > IMPORT_SLICE_S:
            QCoreApplication.processEvents(flags)
            last = time.perf_counter()
        return module

    builtins.__import__ = importing
    try:
        yield
    finally:
        builtins.__import__ = original


def _import_plotting() -> None:
    """On the GUI thread (see the module's docstring): pyqtgraph, letting frames through
    between its modules."""
    if "pyqtgraph" in sys.modules:
        return
    with _no_collection(), _frames_between_imports():
        import pyqtgraph  # noqa: F401 - imported for its side effect: loaded and cached
    # Out of the collector's sight for good, as the app does with its own start-up objects.
    gc.freeze()


class _QtClasses(QObject):
    """Creates the Qt classes pyqtgraph's import copies, a slice per turn of the event loop,
    then calls `done` (PySide6 creates a class, with its enums, the first time it is used: up
    to 17 ms for one, 0.12 s for all of QtCore, QtGui and QtWidgets). The Qt modules it
    imports besides those three are imported here too, one per slice (about 6 ms fewer in
    the import that holds the GUI thread)."""

    MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtOpenGL",
               "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "PySide6.QtTest")

    def __init__(self, parent: QObject, done: Callable[[], None]) -> None:
        super().__init__(parent)
        self._modules = list(reversed(self.MODULES))
        self._todo: list[tuple[object, str]] = []
        self._done = done
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)
        self._timer.start()

    def _slice(self) -> None:
        import importlib

        until = time.perf_counter() + WARM_SLICE_S
        while time.perf_counter() < until:
            if self._todo:
                module, name = self._todo.pop()
                getattr(module, name, None)
                continue
            if not self._modules:
                break
            try:  # one that is missing is the plotting library's import to report
                module = importlib.import_module(self._modules.pop())
            except ImportError:
                continue
            self._todo = [(module, name) for name in reversed(dir(module))]
        if not self._todo and not self._modules:
            self._timer.stop()
            self._done()


def load_chart(path: Path, base: str, range_name: str) -> ChartData:
    """On a worker thread: the history's counted values for the range, summed per fetch."""
    import sqlite3

    from balance_desk.history import History
    from balance_desk.present.history_chart import bucket_seconds, build_chart

    if not path.exists():
        return build_chart([], base, range_name)
    now = datetime.now(UTC)
    span = RANGES[range_name]
    since = None if span is None else (now - span).isoformat()
    try:
        history = History(path)
    except (sqlite3.Error, OSError):
        return build_chart([], base, range_name)
    try:
        rows = history.counted_values(since=since, bucket_s=bucket_seconds(range_name, now, None))
    finally:
        history.close()
    return build_chart(rows, base, range_name)


class HistoryPane(QWidget):
    def __init__(
        self, history_path: Callable[[], Path], base: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyPane")
        self._history_path = history_path
        self._base = base
        self._privacy = False
        self.data: ChartData | None = None
        self.plot: Any = None  # pyqtgraph's PlotWidget, made when first shown
        self._importing = False
        self._curves: dict[str, Any] = {}
        self.tasks = Tasks(self)
        self.tasks.done.connect(self._loaded)

        self.range = QComboBox(self)
        self.range.setObjectName("historyRange")
        self.range.setAccessibleName("Range")
        self.range.addItems(list(RANGES))
        self.range.setCurrentText("Month")
        self.range.currentTextChanged.connect(lambda _text: self.reload())
        self.toggles: dict[str, QCheckBox] = {}
        top = QHBoxLayout()
        top.addWidget(QLabel("Range:", self))
        top.addWidget(self.range)
        for name in FIXED_SERIES:
            box = QCheckBox(name, self)
            box.setChecked(name == "Net worth")
            box.toggled.connect(lambda _on: self._draw())
            self.toggles[name] = box
            top.addWidget(box)
        self.currency = QComboBox(self)
        self.currency.setObjectName("historyCurrency")
        self.currency.setAccessibleName("One currency's value")
        self.currency.addItem("No currency")
        self.currency.currentTextChanged.connect(lambda _text: self._draw())
        top.addWidget(self.currency)
        top.addStretch(1)
        self.readout = QLabel("", self)
        self.readout.setObjectName("historyReadout")
        self.message = QLabel("Loading the history…", self)
        self.message.setObjectName("historyMessage")
        self.message.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(top)
        self._layout.addWidget(self.readout)
        self._layout.addWidget(self.message)
        self._layout.addStretch(1)
        # Reload at most once a minute while shown (refreshes keep adding points).
        self._again = QTimer(self)
        self._again.setInterval(60_000)
        self._again.timeout.connect(self.reload)

    # --- loading ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.plot is None and not self._importing:
            # numpy is imported on a worker and the Qt classes made between frames, so the tab
            # paints and stays live meanwhile; the history is read at the same time, and the
            # plot is made once pyqtgraph is imported.
            self._importing = True
            self.tasks.submit(PLOTTING, _import_numpy, name="balance-desk-plotting")
            self.reload()
        self._again.start()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._again.stop()

    def _plotting_ready(self) -> None:
        try:
            _import_plotting()
        except Exception as exc:  # a missing system library (libGL) or a broken install
            self._plotting_failed(exc)
            return
        # The plot is made, and then drawn, on later turns of the event loop: a frame can be
        # painted between the import and each of them.
        QTimer.singleShot(0, self, self._make_plot)

    def _plotting_failed(self, exc: BaseException) -> None:
        self.message.setText(f"The chart cannot be drawn: the plotting library could not be "
                             f"loaded ({exc}).")
        self.message.show()

    def _make_plot(self) -> None:
        if self.plot is not None:
            return
        import pyqtgraph as pg  # imported by now (see _plotting_ready): this binds the name

        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setObjectName("historyPlot")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend()
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        self._layout.insertWidget(2, self.plot, 1)
        self._layout.takeAt(self._layout.count() - 1)  # the stretch: the plot takes the room
        self.set_privacy(self._privacy)
        QTimer.singleShot(0, self, self._draw)

    def reload(self) -> None:
        base, path, range_name = self._base(), self._history_path(), self.range.currentText()
        self.tasks.submit("load", lambda: load_chart(path, base, range_name),
                          name="balance-desk-history")

    def _loaded(self, key: object, result: object) -> None:
        if key == PLOTTING:
            if isinstance(result, JobFailed):
                self._plotting_failed(result.exc)
                return
            _QtClasses(self, self._plotting_ready)
            return
        if isinstance(result, JobFailed):
            self.message.setText(f"The history could not be read ({result.exc}).")
            self.message.show()
            return
        assert isinstance(result, ChartData)
        self.data = result
        chosen = self.currency.currentText()
        currencies = [s.name for s in result.series if s.name not in FIXED_SERIES]
        self.currency.blockSignals(True)
        self.currency.clear()
        self.currency.addItems(["No currency", *currencies])
        self.currency.setCurrentText(chosen if chosen in currencies else "No currency")
        self.currency.blockSignals(False)
        self._draw()

    # --- drawing ------------------------------------------------------------------------------

    def shown_series(self) -> list[str]:
        names = [name for name, box in self.toggles.items() if box.isChecked()]
        if self.currency.currentText() != "No currency":
            names.append(self.currency.currentText())
        return names

    def _draw(self) -> None:
        data = self.data
        if self.plot is None or data is None:
            return
        self.message.setVisible(data.empty)
        self.message.setText(EMPTY if data.empty else "")
        self.plot.clear()
        self._curves.clear()
        for name in self.shown_series():
            series = data.named(name)
            if series is None:
                continue
            values = [float("nan") if v is None else float(v) for v in series.values]
            self._curves[name] = self.plot.plot(
                list(series.times), values, name=name, connect="finite",
                pen={"color": COLOURS.get(name, "#6a1b9a"), "width": 2},
            )
        self.plot.setLabel("left", data.base)

    def set_privacy(self, on: bool) -> None:
        self._privacy = on
        if self.plot is not None:
            self.plot.getAxis("left").setStyle(showValues=not on)
        self.readout.setText("")

    def _hovered(self, position: Any) -> None:
        from balance_desk.present.history_chart import readout

        data = self.data
        if self.plot is None or data is None or data.empty:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(position)
        names = self.shown_series()
        if not names:
            return
        text = readout(data, names[0], point.x(), masked=PRIVACY_MASK if self._privacy else None)
        self.readout.setText(text or "")
