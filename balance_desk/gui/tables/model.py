"""The table model both tabs share: precomputed rows, sorting in the model, filtering in a proxy.

Rows arrive fully formatted from the poller's worker threads, so answering the view only indexes
tuples. What costs time while painting is not that work but each call from C++ into Python:
every one takes the GIL, and while a fetch thread is busy parsing, each can wait for it. So a
painted cell costs two Python calls instead of about twenty: the proxy answers `multiData` (all
the roles the delegate asks for at once) and `flags` itself, reading the model's rows directly,
rather than letting Qt map every role through `mapToSource`, whose `index()` calls `rowCount` and
`columnCount` in Python each time. (`multiData` needs PySide6 != 6.12.0, see pyproject.toml.)
Sorting happens here on precomputed keys rather than in `QSortFilterProxyModel`: the proxy's
C++ sort would call back into Python's `data()` twice per comparison (about 300,000 calls for
10,000 rows), while one `list.sort` over ready keys takes milliseconds. The proxy only filters,
with its own C++ matching on a search role, so that with an empty filter box no row is ever
offered to Python for filtering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from balance_desk.money import PRIVACY_MASK, grouped, plain
from balance_desk.present.formatting import MISSING
from balance_desk.present.rows import Column, TableRow

# What the sort role returns: the Decimal itself for amounts, so "10" sorts after "9".
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
# The row's stable identity (currency, or account + balance type), to keep selections.
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
# The row's casefolded text columns, which the proxy's filter matches.
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3

# Plain ints: `data()` runs once per painted cell and role, and comparing against enum members
# (an attribute lookup each) costs more than the answer.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_SORT = int(SORT_ROLE)
_KEY = int(KEY_ROLE)
_SEARCH = int(SEARCH_ROLE)
# A view asks for about ten roles per cell; these are the only ones answered.
_SERVED_ROLES = frozenset({_DISPLAY, _ACCESSIBLE, _ALIGNMENT, _FOREGROUND, _FONT, _TOOLTIP,
                           _SORT, _KEY, _SEARCH})
# What every cell allows, answered without asking the model (see the module docstring).
_CELL_FLAGS = (
    Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
)

AnyIndex = QModelIndex | QPersistentModelIndex
RoleData = QModelRoleDataSpan | QModelRoleData


class BreakdownModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], parent: QApplication | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        # The titles as defined, before any is renamed (what the column menu's choice is
        # remembered by).
        self.defined_titles = tuple(column.title for column in columns)
        self._rows: list[TableRow] = []
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._privacy = False
        self._stale = False
        self._amount_columns = frozenset(
            i for i, column in enumerate(self.columns) if column.kind == "amount"
        )
        self._alignments = [
            (Qt.AlignmentFlag.AlignRight if c.numeric else Qt.AlignmentFlag.AlignLeft)
            | Qt.AlignmentFlag.AlignVCenter
            for c in self.columns
        ]
        # Plain ints for painting: converting the enum into a QVariant costs more than a cell.
        self._alignment_ints = [int(a.value) for a in self._alignments]
        self._stale_font = QFont()
        self._stale_font.setItalic(True)

    # --- reading ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def row_at(self, row: int) -> TableRow:
        return self._rows[row]

    def rows(self) -> tuple[TableRow, ...]:
        return tuple(self._rows)

    @property
    def privacy(self) -> bool:
        return self._privacy

    @property
    def stale(self) -> bool:
        return self._stale

    def is_amount_column(self, column: int) -> bool:
        return column in self._amount_columns

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> object:
        role = int(role)
        # Most roles a view asks for are not served: answer those before touching the index.
        if role not in _SERVED_ROLES or not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    def multiData(self, index: AnyIndex, roleDataSpan: RoleData) -> None:
        if index.isValid():
            self.fill_roles(index.row(), index.column(), roleDataSpan)

    def fill_roles(self, row: int, column: int, roles: RoleData) -> None:
        """Answer every role a delegate asks for about one cell, in one call from C++.

        Every role is written, answered or cleared: Qt's delegate reuses one set of role data
        for all cells, so a role left alone would keep the previous cell's answer."""
        items: Iterable[QModelRoleData] = (
            (roles,) if isinstance(roles, QModelRoleData) else roles  # type: ignore[assignment]
        )
        entry = self._rows[row]
        plain_row = not (self._stale or entry.stale_note)
        for item in items:
            role = item.role()
            # The four roles a delegate paints with come first, answered inline.
            if role == _DISPLAY:
                item.setData(
                    PRIVACY_MASK if self._privacy and column in self._amount_columns
                    else entry.texts[column]
                )
            elif role == _ALIGNMENT:
                item.setData(self._alignment_ints[column])
            elif role in (_FOREGROUND, _FONT) and plain_row:
                item.clearData()
            elif role in _SERVED_ROLES:
                item.setData(self.cell(row, column, role))
            else:
                item.clearData()

    def cell(  # noqa: PLR0911 - one early return per role keeps the hot path short
        self, row_number: int, column: int, role: int
    ) -> object:
        if role == _ALIGNMENT:
            return self._alignments[column]
        row = self._rows[row_number]
        if role in (_DISPLAY, _ACCESSIBLE):
            if self._privacy and column in self._amount_columns:
                return PRIVACY_MASK
            return row.texts[column]
        if role == _FOREGROUND:
            if self._stale or row.stale_note:
                return self._stale_brush()
            return None
        if role == _FONT:
            return self._stale_font if row.stale_note else None
        if role == _SORT:
            return row.values[column]
        if role == _KEY:
            return row.key
        if role == _SEARCH:
            return row.search
        if role == _TOOLTIP:
            # Why this row is not current, if it is not; else what looks odd about it. Over a
            # figure, the exact one first: the table rounds it to be read.
            note = row.stale_note or row.warning
            value = row.values[column]
            if column in self._amount_columns and not self._privacy and isinstance(
                value, Decimal
            ):
                exact = f"Exact: {grouped(value)}"
                return exact if note is None else f"{exact}\n{note}"
            return note
        return None

    @staticmethod
    def _stale_brush() -> object:
        return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)

    def copy_text(self, row: int, column: int) -> str:
        """A cell as the user would paste it: every digit of an amount, plain (no grouping),
        the mask in privacy mode, and nothing for an empty cell (not the "—" shown)."""
        entry = self._rows[row]
        value = entry.values[column]
        if column in self._amount_columns:
            if self._privacy:
                return PRIVACY_MASK
            if isinstance(value, Decimal):
                return plain(value)
        text = entry.texts[column]
        return "" if text == MISSING else text

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignments[section]
        return None

    # --- changing ----------------------------------------------------------------------------

    def set_column_title(self, section: int, title: str) -> None:
        """Rename a column (the value column names the base currency)."""
        from dataclasses import replace

        if self.columns[section].title == title:
            return
        columns = list(self.columns)
        columns[section] = replace(columns[section], title=title)
        self.columns = tuple(columns)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, section, section)

    def set_rows(self, rows: Sequence[TableRow]) -> None:
        """Show new rows. When only figures changed, rows stay in place (selection and scroll
        position survive a refresh); when rows came or went, the model resets."""
        ordered = self._sorted(list(rows))
        if len(ordered) == len(self._rows) and all(
            new.key == old.key for new, old in zip(ordered, self._rows, strict=True)
        ):
            old_rows, self._rows = self._rows, ordered
            # Only the rows whose figures changed are repainted (often none at all).
            changed = [
                i for i, (new, old) in enumerate(zip(ordered, old_rows, strict=True))
                if new.texts != old.texts or new.stale_note != old.stale_note
            ]
            if changed:
                self.dataChanged.emit(
                    self.index(changed[0], 0), self.index(changed[-1], len(self.columns) - 1)
                )
            return
        self.beginResetModel()
        self._rows = ordered
        self.endResetModel()

    def set_privacy(self, on: bool) -> None:
        if on != self._privacy:
            self._privacy = on
            self._all_changed()

    def set_stale(self, on: bool) -> None:
        if on != self._stale:
            self._stale = on
            self._all_changed()

    def _all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1)
            )

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._sort_order = order
        if not self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        self._rows = self._sorted(old_rows)
        position = {row.key: i for i, row in enumerate(self._rows)}
        # Keep selections and the current cell on the same rows after they move.
        before = self.persistentIndexList()
        after = [self.index(position[old_rows[i.row()].key], i.column()) for i in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[TableRow]) -> list[TableRow]:
        column = self._sort_column
        if column < 0 or column >= len(self.columns):
            return rows
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        # Keys within one column share a type, so the tuples always compare.
        return sorted(
            rows,
            key=lambda row: cast("tuple[int, Decimal]", row.sort_keys[column]),
            reverse=descending,
        )


class BreakdownProxy(QSortFilterProxyModel):
    """Filters rows by words typed in the filter box; sorting is delegated to the model.

    The proxy never sorts, so with an empty filter its rows are the model's rows, in order."""

    def __init__(self, model: BreakdownModel) -> None:
        super().__init__(model)
        self._model = model
        self._terms: tuple[str, ...] = ()
        self.setFilterRole(_SEARCH)
        self.setFilterKeyColumn(0)
        self.setSourceModel(model)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)

    def multiData(self, index: AnyIndex, roleDataSpan: RoleData) -> None:
        if not index.isValid():
            return
        if self._terms:
            source = self.mapToSource(index)
            self._model.fill_roles(source.row(), source.column(), roleDataSpan)
        else:
            self._model.fill_roles(index.row(), index.column(), roleDataSpan)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    @property
    def filter_text(self) -> str:
        return " ".join(self._terms)

    def set_filter_text(self, text: str) -> None:
        terms = tuple(text.casefold().split())
        if terms == self._terms:
            return
        self._terms = terms
        # Every word, anywhere in the row's (casefolded) text columns, in any order.
        pattern = "".join(f"(?=.*{QRegularExpression.escape(term)})" for term in terms)
        self.setFilterRegularExpression(
            QRegularExpression(
                f"^{pattern}" if pattern else "",
                QRegularExpression.PatternOption.DotMatchesEverythingOption,
            )
        )
