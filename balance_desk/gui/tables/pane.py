"""One tab's table: a filter box, a message strip, the sortable view and the totals under it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from balance_desk.gui.tables.model import BreakdownModel, BreakdownProxy
from balance_desk.gui.window.notice import NoticeBar
from balance_desk.money import PRIVACY_MASK
from balance_desk.present.rows import Column, TableRow
from balance_desk.present.updates import TableData, TotalLine

# Beyond this many currencies the crypto footer points at the table instead of listing them.
MAX_FOOTER_CURRENCIES = 12


class BreakdownView(QTableView):
    """The table view with copying: Ctrl+C copies the selection as tab-separated text, under a
    header row."""

    resized = Signal()

    def __init__(self, proxy: BreakdownProxy, model: BreakdownModel, parent: QWidget) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._model = model
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
        self.verticalHeader().hide()
        # Fixed, font-derived row heights: no per-row measuring, and right at any scaling.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 1.6))
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        # Spare room is shared among the columns (BreakdownPane.share_spare_width), not given
        # to the last one.
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)
        self.frozen = self._build_frozen_column()

    # --- the first column stays put while the table scrolls sideways --------------------------

    def _build_frozen_column(self) -> QTableView:
        """A second view over the same rows showing only the first column, laid over it. It is
        shown only while the table is scrolled sideways, so painting costs nothing extra the
        rest of the time."""
        frozen = QTableView(self)
        frozen.setObjectName("frozenColumn")
        frozen.setModel(self._proxy)
        frozen.setSelectionModel(self.selectionModel())
        frozen.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        frozen.setAlternatingRowColors(True)
        frozen.setWordWrap(False)
        frozen.verticalHeader().hide()
        frozen.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        frozen.verticalHeader().setDefaultSectionSize(self.verticalHeader().defaultSectionSize())
        frozen.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        frozen.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        frozen.horizontalHeader().setSectionsClickable(True)
        frozen.horizontalHeader().sectionClicked.connect(self._frozen_header_clicked)
        frozen.setStyleSheet("QTableView { border: none; }")
        for column in range(1, self._proxy.columnCount()):
            frozen.setColumnHidden(column, True)
        self.viewport().stackUnder(frozen)
        frozen.hide()
        frozen.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(frozen.verticalScrollBar().setValue)
        self.horizontalScrollBar().valueChanged.connect(self._place_frozen)
        self.horizontalScrollBar().rangeChanged.connect(self._place_frozen)
        self.horizontalHeader().sectionResized.connect(self._place_frozen)
        self.horizontalHeader().sectionMoved.connect(self._place_frozen)
        self.horizontalHeader().sortIndicatorChanged.connect(self._frozen_sort_indicator)
        frozen.horizontalHeader().setSortIndicatorShown(True)
        return frozen

    def _frozen_sort_indicator(self, column: int, order: Qt.SortOrder) -> None:
        self.frozen.horizontalHeader().setSortIndicator(column, order)

    def _frozen_header_clicked(self, column: int) -> None:
        header = self.horizontalHeader()
        ascending = not (
            header.sortIndicatorSection() == column
            and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
        )
        self.sortByColumn(
            column, Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        )

    def _place_frozen(self, *_args: object) -> None:
        frozen = self.frozen
        header = self.horizontalHeader()
        # Only while scrolled sideways, and only while the first column is still the first.
        scrolled = self.horizontalScrollBar().value() > 0 and header.visualIndex(0) == 0
        if not scrolled:
            frozen.hide()
            return
        frozen.setColumnWidth(0, self.columnWidth(0))
        frame = self.frameWidth()
        frozen.setGeometry(
            frame, frame, self.columnWidth(0), self.viewport().height() + header.height()
        )
        frozen.verticalScrollBar().setValue(self.verticalScrollBar().value())
        frozen.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_frozen()
        self.resized.emit()

    def selection_tsv(self) -> str:
        indexes = [self._proxy.mapToSource(i) for i in self.selectionModel().selectedIndexes()]
        if not indexes:
            return ""
        header = self.horizontalHeader()
        columns = sorted({i.column() for i in indexes}, key=header.visualIndex)
        proxy_rows = sorted({i.row() for i in self.selectionModel().selectedIndexes()})
        chosen = {(i.row(), i.column()) for i in indexes}
        # A header row first: pasted into a spreadsheet, the figures keep their meaning.
        lines = ["\t".join(str(self._model.columns[column].title) for column in columns)]
        for proxy_row in proxy_rows:
            row = self._proxy.mapToSource(self._proxy.index(proxy_row, 0)).row()
            lines.append(
                "\t".join(
                    self._model.copy_text(row, column) if (row, column) in chosen else ""
                    for column in columns
                )
            )
        return "\n".join(lines)

    def copy_selection(self) -> None:
        text = self.selection_tsv()
        if text:
            QGuiApplication.clipboard().setText(text)

    def copy_value(self, index: QModelIndex) -> None:
        source = self._proxy.mapToSource(index)
        if source.isValid():
            QGuiApplication.clipboard().setText(
                self._model.copy_text(source.row(), source.column())
            )

    def _context_menu(self, position: QPoint) -> None:
        index = self.indexAt(position)
        menu = QMenu(self)
        value = menu.addAction("Copy value")
        value.setEnabled(index.isValid())
        value.triggered.connect(lambda: self.copy_value(index))
        selection = menu.addAction("Copy selection (tab-separated)")
        selection.setEnabled(self.selectionModel().hasSelection())
        selection.triggered.connect(self.copy_selection)
        menu.exec(self.viewport().mapToGlobal(position))


class BreakdownPane(QWidget):
    current_row_changed = Signal(object)  # TableRow | None
    # The user chose "Show every digit" (True) or readable figures (False) in a header menu.
    every_digit_toggled = Signal(bool)
    # Column widths as measured (or set by the user); spare room is shared out on top.
    _natural: list[int]

    def __init__(
        self,
        name: str,
        title: str,
        columns: Sequence[Column],
        parent: QWidget | None = None,
        *,
        totals_of: Callable[[Sequence[TableRow]], tuple[TotalLine, ...]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Pane")
        # Totals of the rows a filter shows (the table's own totals when nothing is filtered).
        self._totals_of = totals_of
        self._table_totals: tuple[TotalLine, ...] = ()
        self.model = BreakdownModel(columns)
        self.model.setParent(self)
        self.proxy = BreakdownProxy(self.model)
        self._totals: tuple[TotalLine, ...] = ()
        self._sized = False
        self._stale_rows = 0
        # (column, descending) when nothing else was chosen.
        self.default_sort: tuple[int, bool] = (0, False)

        self.filter = QLineEdit(self)
        self.filter.setObjectName(f"{name}Filter")
        self.filter.setPlaceholderText(f"Filter {title}… (Ctrl+F)")
        self.filter.setAccessibleName(f"Filter the {title} table")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.count = QLabel(self)
        self.count.setObjectName(f"{name}Count")
        self.notice = NoticeBar(f"{name}Notice", f"{title} status message", self)
        self.view = BreakdownView(self.proxy, self.model, self)
        self.view.setObjectName(f"{name}Table")
        self._set_up_columns(columns)
        self.view.setAccessibleName(f"{title} balances")
        self.footer = QLabel(self)
        self.footer.setObjectName(f"{name}Totals")
        self.footer.setAccessibleName(f"{title} totals per currency")
        self.footer.setWordWrap(True)
        self.footer.setTextFormat(Qt.TextFormat.PlainText)
        self.footer.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.footer)
        self.setFocusProxy(self.view)
        self.fit_columns(())  # headers readable before the first rows arrive

        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._update_count()

    # --- data ----------------------------------------------------------------------------------

    def show_table(self, table: TableData | None, *, stale: bool) -> None:
        rows = table.rows if table is not None else ()
        self.model.set_rows(rows)
        self.model.set_stale(stale)
        self._table_totals = table.totals if table is not None else ()
        self._stale_rows = table.stale_rows if table is not None else 0
        self._refresh_totals()
        self._update_count()
        if rows and not self._sized:
            self._sized = True
            self.fit_columns(rows)
        self._show_varied(rows)
        self._current_changed(self.view.currentIndex())

    def fit_columns(self, rows: Sequence[TableRow]) -> None:
        """Size columns to their longest text, measured once from the ready strings (asking the
        view to measure would call data() for every cell)."""
        header = self.view.horizontalHeader()
        metrics = self.view.fontMetrics()
        header_metrics = header.fontMetrics()
        padding = metrics.averageCharWidth() * 3
        for column in range(self.model.columnCount()):
            longest = max((row.texts[column] for row in rows), key=len, default="")
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = max(
                metrics.horizontalAdvance(longest),
                metrics.horizontalAdvance(PRIVACY_MASK),
                # Room for the sort arrow next to the title.
                header_metrics.horizontalAdvance(title) + metrics.averageCharWidth() * 3,
            )
            header.resizeSection(column, min(width + padding, metrics.averageCharWidth() * 60))
        self._natural = [header.sectionSize(c) for c in range(self.model.columnCount())]
        self.share_spare_width()

    # --- columns -------------------------------------------------------------------------------

    def _set_up_columns(self, columns: Sequence[Column]) -> None:
        self._auto_shown: set[int] = set()
        self.every_digit = False
        self._natural = []
        self._sharing = False
        header = self.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        header.sectionResized.connect(self._section_resized)
        self.view.resized.connect(self.share_spare_width)
        for column, spec in enumerate(columns):
            self.view.setColumnHidden(column, not spec.shown_by_default)

    def _show_varied(self, rows: Sequence[TableRow]) -> None:
        """Show, once, a column that appears by itself when its rows differ (several banks)."""
        for column, spec in enumerate(self.model.columns):
            if not spec.shown_when_varied or column in self._auto_shown:
                continue
            if len({row.texts[column] for row in rows}) > 1:
                self._auto_shown.add(column)
                self.fit_columns(rows)
                self._show_column(column, True)

    def natural_widths(self) -> tuple[int, ...]:
        return tuple(self._natural)

    def hidden_columns(self) -> list[str]:
        """The hidden columns' titles as defined (the value column is "Value", whatever base
        currency its header names now)."""
        return [
            title for i, title in enumerate(self.model.defined_titles)
            if self.view.isColumnHidden(i)
        ]

    def set_hidden_columns(self, titles: Sequence[str]) -> None:
        """Hide exactly these columns (by title; the first column always stays)."""
        for i, title in enumerate(self.model.defined_titles):
            self.view.setColumnHidden(i, i > 0 and title in titles)
        self.share_spare_width()

    def _header_menu(self, position: QPoint) -> None:
        self.column_menu().exec(self.view.horizontalHeader().mapToGlobal(position))

    def column_menu(self) -> QMenu:
        """The header's menu: every column, to show or hide, and "Show every digit"."""
        menu = QMenu(self)
        menu.setObjectName("columnsMenu")
        for i, column in enumerate(self.model.columns):
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(i))
            action.setEnabled(i > 0)  # the rows need their name
            action.toggled.connect(lambda on, i=i: self._show_column(i, on))
        menu.addSeparator()
        digits = menu.addAction("Show every digit")
        digits.setCheckable(True)
        digits.setChecked(self.every_digit)
        digits.setToolTip("Every digit the server sent, instead of figures rounded to be read")
        digits.toggled.connect(self.every_digit_toggled)
        return menu

    def _show_column(self, column: int, on: bool) -> None:
        self.view.setColumnHidden(column, not on)
        self.share_spare_width()

    def share_spare_width(self) -> None:
        """Columns keep their measured widths; room left over in a wide window is shared out
        among the shown columns in proportion to those widths."""
        if not self._natural or self._sharing:
            return
        header = self.view.horizontalHeader()
        shown = [c for c in range(len(self._natural)) if not self.view.isColumnHidden(c)]
        natural = sum(self._natural[c] for c in shown)
        spare = self.view.viewport().width() - natural
        self._sharing = True
        try:
            given = 0
            for n, c in enumerate(shown):
                extra = 0 if spare <= 0 else (
                    spare - given if n == len(shown) - 1 else spare * self._natural[c] // natural
                )
                given += extra
                header.resizeSection(c, self._natural[c] + extra)
        finally:
            self._sharing = False

    def _section_resized(self, column: int, _old: int, new: int) -> None:
        if not self._sharing and column < len(self._natural):
            self._natural[column] = new  # the user's own width is the new measure

    def set_privacy(self, on: bool) -> None:
        self.model.set_privacy(on)
        self._render_footer()

    def current_row(self) -> TableRow | None:
        source = self.proxy.mapToSource(self.view.currentIndex())
        return self.model.row_at(source.row()) if source.isValid() else None

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    # --- internals -------------------------------------------------------------------------------

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()
        self._refresh_totals()

    def _refresh_totals(self) -> None:
        """Totals follow the filter: "zzz" that matches nothing shows no totals at all."""
        if self._totals_of is None or not self.filter.text():
            self._totals = self._table_totals
        else:
            shown = [
                self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
                for r in range(self.proxy.rowCount())
            ]
            self._totals = self._totals_of(shown)
        self._render_footer()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total} rows" if shown != total else f"{total} rows")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        self.current_row_changed.emit(self.current_row())

    def _render_footer(self) -> None:
        self.footer.setText(self.footer_text())
        self.footer.setVisible(bool(self._totals))

    def footer_text(self) -> str:
        privacy = self.model.privacy
        by_currency: dict[str, list[TotalLine]] = {}
        for line in self._totals:
            by_currency.setdefault(line.currency, []).append(line)
        if not by_currency:
            return ""
        single = all(
            len(lines) == 1 and lines[0].label == "Total" for lines in by_currency.values()
        )
        if single:
            # One total per currency (crypto): a compact line, then a pointer for long lists.
            shown = list(by_currency.items())[:MAX_FOOTER_CURRENCIES]
            # No-break spaces keep a currency and its figure together when the line wraps.
            head = (
                f"Totals of the {self.proxy.rowCount()} rows shown:  " if self.filter.text()
                else "Totals:  "
            )
            text = head + "   ·   ".join(
                f"{currency}\u00a0{PRIVACY_MASK if privacy else lines[0].text}"
                for currency, lines in shown
            )
            if len(by_currency) > len(shown):
                text += f"   … and {len(by_currency) - len(shown)} more currencies in the table"
            return text
        parts = [] if not self.filter.text() else [
            f"Totals of the {self.proxy.rowCount()} rows the filter shows:"
        ]
        for currency, lines in by_currency.items():
            figures = "   ·   ".join(
                f"{line.label}\u00a0{PRIVACY_MASK if privacy else line.text}" for line in lines
            )
            parts.append(f"{currency} totals:  {figures}")
        if self._stale_rows:
            parts.append(f"(includes {self._stale_rows} balances not refreshed this time)")
        return "\n".join(parts)
