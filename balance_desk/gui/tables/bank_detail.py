"""The pane under the bank table; what it says is `present.bank_detail`'s."""

from __future__ import annotations

from PySide6.QtWidgets import QTextBrowser, QWidget

from balance_desk.present.bank_detail import detail_html
from balance_desk.present.bank_table import BankRowInfo
from balance_desk.present.formatting import NumberFormat


class BankDetailPane(QTextBrowser):
    def __init__(self, number: NumberFormat, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._number = number
        self._info: BankRowInfo | None = None
        self._privacy = False
        self.setObjectName("bankDetail")
        self.setAccessibleName("Selected balance details")
        self.setOpenLinks(False)
        self.setMinimumHeight(60)
        self._render()

    def show_row(self, info: BankRowInfo | None) -> None:
        self._info = info
        self._render()

    def set_privacy(self, on: bool) -> None:
        self._privacy = on
        self._render()

    def _render(self) -> None:
        self.setHtml(detail_html(self._info, self._number, self._privacy))
