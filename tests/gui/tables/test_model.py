"""What a table view paints: the proxy answers the delegate's roles itself (multiData), so these
tests read cells the way the view does, through a delegate, not only through `data()`."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from balance_desk.gui.tables.model import BreakdownModel, BreakdownProxy
from balance_desk.money import PRIVACY_MASK
from balance_desk.present.rows import Column, make_row

COLUMNS = (Column("Name", "text"), Column("Amount", "amount"), Column("Share", "percent"))


class Painter(QStyledItemDelegate):
    """Fills a style option exactly as the delegate does before painting a cell."""

    def option(self, index: QModelIndex | QPersistentModelIndex) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initStyleOption(option, index)
        return option


def painted(proxy: BreakdownProxy) -> list[list[str]]:
    painter = Painter()
    return [
        [painter.option(proxy.index(r, c)).text for c in range(proxy.columnCount())]
        for r in range(proxy.rowCount())
    ]


def model_with_rows() -> tuple[BreakdownModel, BreakdownProxy]:
    model = BreakdownModel(COLUMNS)
    proxy = BreakdownProxy(model)
    model.set_rows(
        [
            make_row(COLUMNS, "a", ("Alpha (main)", None, None), ("Alpha (main)", "1.50", "5%")),
            make_row(COLUMNS, "b", ("Beta.card", None, None), ("Beta.card", "20", "10%")),
            make_row(COLUMNS, "c", ("Gamma main", None, None), ("Gamma main", "300", "15%"),
                     stale_note="Not refreshed"),
        ]
    )
    return model, proxy


def test_painted_cells_show_the_rows_texts_and_alignment(qtbot: QtBot) -> None:
    _model, proxy = model_with_rows()
    assert painted(proxy) == [
        ["Alpha (main)", "1.50", "5%"],
        ["Beta.card", "20", "10%"],
        ["Gamma main", "300", "15%"],
    ]
    painter = Painter()
    amount = painter.option(proxy.index(0, 1))
    assert amount.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert painter.option(proxy.index(0, 0)).displayAlignment & Qt.AlignmentFlag.AlignLeft
    # A row the bank did not refresh is painted in italics; a current one is not.
    assert painter.option(proxy.index(2, 0)).font.italic()
    assert not painter.option(proxy.index(0, 0)).font.italic()
    assert proxy.flags(proxy.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert proxy.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


def test_privacy_masks_every_painted_amount_but_not_percentages(qtbot: QtBot) -> None:
    model, proxy = model_with_rows()
    model.set_privacy(True)
    assert [row[1] for row in painted(proxy)] == [PRIVACY_MASK] * 3
    assert [row[2] for row in painted(proxy)] == ["5%", "10%", "15%"]


def test_filter_words_match_in_any_order_literally_and_map_painted_rows(qtbot: QtBot) -> None:
    _model, proxy = model_with_rows()
    proxy.set_filter_text("MAIN")
    assert painted(proxy) == [["Alpha (main)", "1.50", "5%"], ["Gamma main", "300", "15%"]]
    proxy.set_filter_text("main gamma")
    assert painted(proxy) == [["Gamma main", "300", "15%"]]
    # Punctuation is matched as typed, not as a pattern.
    proxy.set_filter_text("(main)")
    assert [row[0] for row in painted(proxy)] == ["Alpha (main)"]
    proxy.set_filter_text(".card")
    assert [row[0] for row in painted(proxy)] == ["Beta.card"]
    proxy.set_filter_text("l.h")  # a pattern would match "alpha"
    assert painted(proxy) == []
    # Amounts are not searchable: filtering must not reveal a masked figure.
    proxy.set_filter_text("300")
    assert painted(proxy) == []
    proxy.set_filter_text("")
    assert proxy.rowCount() == 3


def test_filtered_rows_follow_new_figures(qtbot: QtBot) -> None:
    model, proxy = model_with_rows()
    proxy.set_filter_text("beta")
    model.set_rows(
        [
            make_row(COLUMNS, "a", ("Alpha (main)", None, None), ("Alpha (main)", "2", "5%")),
            make_row(COLUMNS, "b", ("Beta.card", None, None), ("Beta.card", "21", "10%")),
            make_row(COLUMNS, "c", ("Gamma main", None, None), ("Gamma main", "301", "15%")),
        ]
    )
    assert painted(proxy) == [["Beta.card", "21", "10%"]]


def test_a_rows_warning_is_its_tooltip_unless_it_is_stale(qtbot: QtBot) -> None:
    model = BreakdownModel(COLUMNS)
    model.set_rows([
        make_row(COLUMNS, "odd", ("Odd", None, None), ("Odd", "2", "1%"),
                 warning="the total is shown as sent"),
        make_row(COLUMNS, "old", ("Old", None, None), ("Old", "1", "1%"),
                 stale_note="Not refreshed.", warning="ignored while stale"),
    ])
    tooltip = Qt.ItemDataRole.ToolTipRole
    assert model.data(model.index(0, 1), tooltip) == "the total is shown as sent"
    assert model.data(model.index(1, 1), tooltip) == "Not refreshed."
