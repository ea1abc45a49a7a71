"""What the window remembers between runs, in gui.ini: geometry and tab, then (once the panes
exist) the bank splitter, each table's sort order and column widths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget

    from balance_desk.gui.tables.pane import BreakdownPane

# The window's default size, in average characters and lines of its font.
DEFAULT_COLUMNS = 150
DEFAULT_LINES = 40
# The smallest size in which the toolbar, the tabs and a few rows still make sense.
MINIMUM_COLUMNS = 80
MINIMUM_LINES = 22


def restore_frame(window: QMainWindow, tabs: QTabWidget, state: QSettings | None) -> None:
    """Geometry and tab, before the window first shows. Qt's restoreGeometry() brings a window
    saved on a screen that is gone (or larger) back onto an available one; the minimum size
    keeps one saved tiny usable (tests/gui/window/test_state.py holds both)."""
    metrics = window.fontMetrics()
    window.setMinimumSize(metrics.averageCharWidth() * MINIMUM_COLUMNS,
                          metrics.height() * MINIMUM_LINES)
    geometry = state.value("window/geometry") if state is not None else None
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    else:
        window.resize(metrics.averageCharWidth() * DEFAULT_COLUMNS,
                      metrics.height() * DEFAULT_LINES)
    if state is not None:
        tab = str(state.value("window/tab", 0))
        tabs.setCurrentIndex(int(tab) if tab.isdigit() else 0)


def restore_panes(
    panes: dict[str, BreakdownPane], splitter: QSplitter, state: QSettings | None
) -> None:
    """Splitter, sort orders and column widths, once the panes exist (each pane's default sort,
    the first column ascending unless it says otherwise, when nothing was saved)."""
    from PySide6.QtCore import Qt

    for pane in panes.values():
        column, descending = pane.default_sort
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        pane.view.sortByColumn(column, order)
    if state is None:
        return
    saved_splitter = state.value("bank/splitter")
    if isinstance(saved_splitter, QByteArray):
        splitter.restoreState(saved_splitter)
    for key, pane in panes.items():
        column = state.value(f"{key}/sort_column")
        order = state.value(f"{key}/sort_order")
        if str(column).lstrip("-").isdigit() and str(order).isdigit():
            count = pane.model.columnCount()
            col = int(str(column))
            if 0 <= col < count:
                pane.view.sortByColumn(col, Qt.SortOrder(int(str(order))))
        hidden = state.value(f"{key}/hidden_columns")
        if isinstance(hidden, str):  # "" too: every column shown, by choice
            pane.set_hidden_columns([title for title in hidden.split("\t") if title])
        widths = state.value(f"{key}/widths")
        if isinstance(widths, list) and len(widths) == pane.model.columnCount():
            pane.fit_columns(())  # a floor; the saved widths follow
            for i, width in enumerate(widths):
                if str(width).isdigit() and int(str(width)) > 0:
                    pane.view.horizontalHeader().resizeSection(i, int(str(width)))
            pane._sized = True


def save_state(
    window: QMainWindow,
    tabs: QTabWidget,
    panes: dict[str, BreakdownPane] | None,
    splitter: QSplitter | None,
    state: QSettings | None,
) -> None:
    """Everything above; `panes` is None when the window closed before they were built (they
    have nothing to keep then)."""
    if state is None:
        return
    state.setValue("window/geometry", window.saveGeometry())
    state.setValue("window/tab", tabs.currentIndex())
    if panes is not None and splitter is not None:
        state.setValue("bank/splitter", splitter.saveState())
        for key, pane in panes.items():
            state.setValue(f"{key}/sort_column", pane.model.sort_column)
            state.setValue(f"{key}/sort_order", pane.model.sort_order.value)
            state.setValue(f"{key}/hidden_columns", "\t".join(pane.hidden_columns()))
            if pane._sized:
                # The measured widths, not the ones stretched to this window's spare room.
                state.setValue(f"{key}/widths", list(pane.natural_widths()))
    state.sync()

