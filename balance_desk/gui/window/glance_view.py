"""A page's last figures painted straight from text, for the window's first frame (see
present/glance.py): a few dozen `drawText` calls. A rich-text label did the same in 15 ms a page,
and the tab widget lays out every page's label to size itself; the real table costs far more
(its model, views and PySide6's enums), which is why it follows the first paint.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QVBoxLayout, QWidget

from balance_desk.present.glance import Glance, GlancePage, glance_page, glance_status
from balance_desk.sources.base import now_utc

MARGIN = 6
CELL_GAP = 12
NOTICE_COLOUR = "#dde8f3"  # the info notice's tint (window/notice.py)
HEADLINE_SCALE = 1.6


class GlanceView(QWidget):
    """Paints one `GlancePage`; `show_page` replaces it (privacy toggled)."""

    def __init__(self, page: GlancePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.setAccessibleName("Last figures")

    def show_page(self, page: GlancePage) -> None:
        self.page = page
        self.update()

    def text(self) -> str:
        """Everything painted, as plain text (for tests and screen readers' description)."""
        page = self.page
        lines = [page.notice, page.headline, page.note, page.figures, "\t".join(page.columns)]
        lines += ["\t".join(row) for row in page.rows]
        lines.append(page.more)
        return "\n".join(line for line in lines if line)

    def paintEvent(self, event: QPaintEvent) -> None:
        page = self.page
        painter = QPainter(self)
        try:
            plain = QFont(self.font())
            bold = QFont(plain)
            bold.setBold(True)
            big = QFont(bold)
            big.setPointSizeF(plain.pointSizeF() * HEADLINE_SCALE)
            metrics, bold_metrics = QFontMetrics(plain), QFontMetrics(bold)
            line = metrics.height() + 4
            width = self.width()
            y = 0
            # A filled pixmap, not fillRect: choosing among fillRect's overloads makes PySide6
            # build the whole `Qt` namespace of enums first (15 ms, before the first paint).
            band = QPixmap(max(1, width), line + 4)
            band.fill(QColor(NOTICE_COLOUR))
            painter.drawPixmap(0, 0, band)
            painter.setFont(plain)
            painter.drawText(MARGIN, y + 2 + metrics.ascent() + 2, page.notice)
            y += line + 8
            if page.headline:
                painter.setFont(big)
                big_metrics = QFontMetrics(big)
                painter.drawText(MARGIN, y + big_metrics.ascent(), page.headline)
                y += big_metrics.height() + 6
                painter.setFont(plain)
                for words in (page.note, page.figures):
                    if words:
                        painter.drawText(MARGIN, y + metrics.ascent(), words)
                        y += line
                y += 4
            self._paint_table(painter, (plain, bold), (metrics, bold_metrics), y, line)
        finally:
            painter.end()

    def _paint_table(
        self, painter: QPainter, fonts: tuple[QFont, QFont],
        metrics: tuple[QFontMetrics, QFontMetrics], top: int, line: int,
    ) -> None:
        page = self.page
        plain, bold = fonts
        cell, head = metrics
        widths = [head.horizontalAdvance(title) for title in page.columns]
        for row in page.rows:
            for i, text in enumerate(row):
                widths[i] = max(widths[i], cell.horizontalAdvance(text))
        # Spread the room left over evenly, as the real table's columns fill the window.
        spare = self.width() - 2 * MARGIN - sum(widths) - CELL_GAP * (len(widths) - 1)
        extra = max(0, spare // max(1, len(widths)))
        lefts = []
        x = MARGIN
        for width in widths:
            lefts.append(x)
            x += width + extra + CELL_GAP
        y = top
        for font, used, cells in [(bold, head, page.columns)] + [
            (plain, cell, row) for row in page.rows
        ]:
            if y > self.height():
                break
            painter.setFont(font)
            for i, text in enumerate(cells):
                if page.right[i]:
                    x = lefts[i] + widths[i] + extra - used.horizontalAdvance(text)
                else:
                    x = lefts[i]
                painter.drawText(x, y + used.ascent(), text)
            y += line
        if page.more:
            painter.setFont(plain)
            painter.drawText(MARGIN, y + cell.ascent(), page.more)


class GlancePages:
    """The window's pages that show the last figures from text, and their handover: each one
    shows its `GlanceView` until its real pane, inserted hidden beside it, takes over."""

    def __init__(self, glance: Glance, *, privacy: bool, demo: bool = False) -> None:
        self._glance = glance
        self._privacy = privacy
        self._demo = demo
        self._views: dict[str, GlanceView] = {}

    def view_for(self, name: str, parent: QWidget) -> GlanceView | None:
        """A view for page `name`, or None when the last figures have nothing for it."""
        if not self._glance.covers(name):
            return None
        view = GlanceView(self._page(name), parent)
        view.setObjectName(f"{name}Glance")
        self._views[name] = view
        return view

    def _page(self, name: str) -> GlancePage:
        masked = None
        if self._privacy:  # `money` imports `decimal`: not before the first paint otherwise
            from balance_desk.money import PRIVACY_MASK

            masked = PRIVACY_MASK
        return glance_page(self._glance, name, masked=masked, now=now_utc(), demo=self._demo)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._views)

    def view(self, name: str) -> GlanceView | None:
        return self._views.get(name)

    def status(self) -> str:
        return glance_status(self._glance, now_utc())

    def set_privacy(self, on: bool) -> None:
        self._privacy = on
        for name, view in self._views.items():
            view.show_page(self._page(name))

    def end(self, name: str, layout: QVBoxLayout) -> None:
        """Page `name`'s real pane (the other widget in `layout`) takes over."""
        view = self._views.pop(name, None)
        if view is None:
            return
        layout.removeWidget(view)
        view.hide()  # out of the layout, it would paint where it was until deleted
        view.deleteLater()
        item = layout.itemAt(0)
        pane = item.widget() if item is not None else None
        if pane is not None:
            pane.show()
