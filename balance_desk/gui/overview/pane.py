"""The Overview tab: net worth in the base currency first, then its parts (crypto, bank, and
credit available, which is never added), one row per currency, and the rates used.

It shows an `OverviewData` built in the fetch process; nothing here computes a figure. Privacy
mode masks every amount (the tables' models do it for their cells).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from balance_desk.gui.tables.pane import BreakdownPane
from balance_desk.gui.window.notice import NoticeBar
from balance_desk.money import PRIVACY_MASK
from balance_desk.present.overview import CURRENCY_COLUMNS, RATE_COLUMNS
from balance_desk.valuation import ECB_CURRENCIES

if TYPE_CHECKING:
    from balance_desk.present.overview import OverviewData

WAITING = "Waiting for the first balances…"


def _selectable(label: QLabel) -> QLabel:
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    return label


class OverviewPane(QWidget):
    # The user picked another base currency (an ISO code).
    base_currency_chosen = Signal(str)

    def __init__(self, base: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overviewPane")
        self._data: OverviewData | None = None
        self._privacy = False
        self._stale_sources: tuple[str, ...] = ()
        self._partly_read: tuple[str, ...] = ()
        head = self._build_head(base)
        self.figures, self.figure_labels = self._build_figures()

        self.bank_note = _selectable(QLabel("", self))
        self.bank_note.setObjectName("bankTotalNote")
        self.bank_note.setWordWrap(True)
        self.problems = NoticeBar("ratesNotice", "Rates message", self)

        self.currencies = BreakdownPane("currencies", "Currencies", CURRENCY_COLUMNS, self)
        self.rates = BreakdownPane("rates", "Rates", RATE_COLUMNS, self)
        self.rates.filter.hide()
        self.rates.count.hide()
        # Largest value first (until the user sorts otherwise); rates by currency.
        self.currencies.default_sort = (4, True)
        self.currencies.view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        self.rates.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("overviewSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.currencies)
        splitter.addWidget(self.rates)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(head)
        layout.addWidget(self.net_worth_note)
        layout.addLayout(self.figures)
        layout.addWidget(self.bank_note)
        layout.addWidget(self.problems)
        layout.addWidget(splitter, 1)

    def _build_head(self, base: str) -> QHBoxLayout:
        self.net_worth = _selectable(QLabel(WAITING, self))
        self.net_worth.setObjectName("netWorth")
        self.net_worth.setAccessibleName("Net worth")
        font = self.net_worth.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.net_worth.setFont(font)
        self.net_worth_note = _selectable(QLabel("", self))
        self.net_worth_note.setObjectName("netWorthNote")
        self.net_worth_note.setWordWrap(True)

        self.base = QComboBox(self)
        self.base.setObjectName("baseCurrency")
        self.base.setAccessibleName("Base currency")
        self.base.setToolTip("The currency every balance is valued in (ECB reference currencies)")
        self.base.addItems(sorted(ECB_CURRENCIES))
        self.base.setCurrentText(base)
        self.base.activated.connect(lambda _=0: self._base_chosen())
        base_label = QLabel("&Base currency:", self)
        base_label.setBuddy(self.base)

        head = QHBoxLayout()
        head.addWidget(self.net_worth, 1)
        head.addWidget(base_label)
        head.addWidget(self.base)
        return head

    def _build_figures(self) -> tuple[QGridLayout, dict[str, tuple[QLabel, QLabel]]]:
        figures = QGridLayout()
        labels: dict[str, tuple[QLabel, QLabel]] = {}
        for column, title in enumerate(("Crypto", "Bank", "Credit available")):
            frame = QFrame(self)
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            inner = QVBoxLayout(frame)
            caption = QLabel(title, frame)
            value = _selectable(QLabel("—", frame))
            value.setObjectName(f"figure{title.replace(' ', '')}")
            value.setAccessibleName(title)
            bold = value.font()
            bold.setPointSizeF(bold.pointSizeF() * 1.25)
            bold.setBold(True)
            value.setFont(bold)
            note = QLabel("", frame)
            note.setWordWrap(True)
            inner.addWidget(caption)
            inner.addWidget(value)
            inner.addWidget(note)
            figures.addWidget(frame, 0, column)
            labels[title] = (value, note)
        return figures, labels

    @property
    def data(self) -> OverviewData | None:
        return self._data

    def show_overview(
        self, data: OverviewData | None, stale_sources: tuple[str, ...],
        partly_read: tuple[str, ...] = (),
    ) -> None:
        """Show `data`; `stale_sources` names the sources whose figures are not current,
        `partly_read` those where some accounts could not be read (counted at their last
        figures)."""
        if data is not self._data:
            self._data = data
            rows = (data.currency_rows, data.rate_rows) if data is not None else ((), ())
            from balance_desk.present.updates import TableData

            self.currencies.show_table(TableData(rows[0], ()), stale=False)
            self.rates.show_table(TableData(rows[1], ()), stale=False)
            if data is not None and self.base.currentText() != data.base:
                self.base.setCurrentText(data.base)
        self._stale_sources = stale_sources
        self._partly_read = partly_read
        self.currencies.model.set_stale(bool(stale_sources))
        self._render()

    def set_privacy(self, on: bool) -> None:
        self._privacy = on
        self.currencies.set_privacy(on)
        self.rates.set_privacy(on)
        self._render()

    def _base_chosen(self) -> None:
        code = self.base.currentText()
        if self._data is None or code != self._data.base:
            self.net_worth.setText(f"Valuing in {code}…")
            self.base_currency_chosen.emit(code)

    def _money(self, text: str) -> str:
        return PRIVACY_MASK if self._privacy else text

    def _render(self) -> None:
        data = self._data
        if data is None:
            self.net_worth.setText(WAITING)
            self.net_worth_note.setText(
                "Net worth appears here in your base currency once balances and rates arrive."
            )
            for value, note in self.figure_labels.values():
                value.setText("—")
                note.setText("")
            self.bank_note.setText("")
            self.problems.hide()
            return
        if not data.has_holdings:
            self.net_worth.setText("No balances yet")
        else:
            figure = data.net_worth
            shown = figure.text if figure.amount is None else self._money(figure.text)
            self.net_worth.setText(f"Net worth  {shown} {data.base}")
        notes = [data.net_worth.note]
        if data.exclusion:
            notes.append(data.exclusion)
        if self._stale_sources:
            notes.append(
                f"{' and '.join(self._stale_sources)} figures are from an earlier refresh "
                "(see their tab)"
            )
        if self._partly_read:
            notes.append(
                f"some {' and '.join(self._partly_read)} accounts could not be read and count "
                "at their last figures (see their tab)"
            )
        self.net_worth_note.setText("; ".join(notes[:1]).capitalize() + (
            ". " + ". ".join(n[:1].upper() + n[1:] for n in notes[1:]) + "." if notes[1:] else "."
        ))
        for figure in data.figures[1:]:
            value, note = self.figure_labels[figure.label]
            value.setText(f"{self._money(figure.text)} {data.base}")
            note.setText(figure.note)
        self.bank_note.setText(data.bank_note)
        if data.problems:
            self.problems.show_message(
                "warning", "<br>".join(escape(p) for p in data.problems),
                copy_text="\n".join(data.problems),
            )
        else:
            self.problems.hide()
