"""The main window: Overview, Crypto and Bank tabs, the toolbar, per-source status, privacy mode.

It only shows what the poller sends (`apply_update`) and asks for things through signals, so
the tray and the key set-up dialog can hook in without knowing its insides:
`refresh_requested`, `set_up_keys_requested(source)` ("" = let the user choose),
`privacy_changed(bool)`, `source_updated(SourceUpdate)` and `latest(source)`.

With `light_start` the window is built in two steps, so that it paints at once: first the frame a
user sees while nothing has arrived yet (toolbar with its shortcuts, the tabs, a plain "Loading…"
line per source), then, once that has painted, `build_panes()` puts in the tables, filter boxes,
totals, the detail pane, the banners and the status bar entries. Those touch many Qt classes
whose Python enum types PySide6 builds on first use (the `Qt` namespace alone takes ~15 ms), and
rich text. Anything that reaches for a pane builds them first, so no caller has to wait for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QToolBar, QVBoxLayout, QWidget

from balance_desk.gui.window.glyphs import glyph

if TYPE_CHECKING:
    # Loaded by build_panes(), after the first paint: none of them is needed to show the frame.
    from datetime import datetime
    from pathlib import Path

    from PySide6.QtWidgets import QSplitter

    from balance_desk.gui.history.pane import HistoryPane
    from balance_desk.gui.overview.pane import OverviewPane
    from balance_desk.gui.tables.bank_detail import BankDetailPane
    from balance_desk.gui.tables.pane import BreakdownPane
    from balance_desk.gui.tasks import Tasks
    from balance_desk.gui.window.glance_view import GlancePages, GlanceView
    from balance_desk.gui.window.notice import NoticeBar
    from balance_desk.gui.window.status import SourceStatusLabel
    from balance_desk.present.formatting import NumberFormat
    from balance_desk.present.glance import Glance
    from balance_desk.present.overview import OverviewData
    from balance_desk.present.rows import TableRow
    from balance_desk.present.updates import SourceUpdate, TableData
    from balance_desk.sources.base import SourceName

APP_TITLE = "Balance Desk"
# How often ages ("3 min ago") and countdowns are re-rendered.
TICK_MS = 5_000
KEYS_HELP = (
    "To show your own balances, store your keys in the system keyring from a terminal:\n\n"
    "  balance-desk keys set revolut-x --api-key-file KEYFILE --private-key private.pem\n"
    "  balance-desk keys set bank --access-token-file TOKENFILE --cert transport.pem "
    "--key transport.key\n\n"
    "Then refresh (F5)."
)
SOURCES: tuple[SourceName, ...] = ("revolut_x", "bank")
TAB_TITLES = {
    "overview": ("Overview", "&Overview"),
    "revolut_x": ("Revolut X", "&Crypto"),
    "bank": ("Bank", "&Bank"),
    "history": ("History", "&History"),
}
# The tabs, in order: the Overview first.
TABS = ("overview", "revolut_x", "bank", "history")
# QToolBar's toolButtonStyle property takes Qt::ToolButtonTextBesideIcon by number here: naming
# it would build the whole `Qt` namespace of Python enums before the first paint.
TOOL_BUTTON_TEXT_BESIDE_ICON = 2


class MainWindow(QMainWindow):
    refresh_requested = Signal()
    set_up_keys_requested = Signal(str)
    privacy_changed = Signal(bool)
    every_digit_changed = Signal(bool)
    source_updated = Signal(object)
    # The user chose another base currency on the Overview (an ISO code).
    base_currency_changed = Signal(str)

    def __init__(
        self,
        *,
        demo: bool = False,
        privacy: bool = False,
        state: QSettings | None = None,
        number: NumberFormat | None = None,
        light_start: bool = False,
        glance: Glance | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_TITLE} — Demo data" if demo else APP_TITLE)
        self._state = state
        self._demo = demo
        self._number = number
        self._latest: dict[SourceName, SourceUpdate] = {}
        self._shown_tables: dict[SourceName, TableData | None] = {}
        # Which tabs show the warning icon: setting a tab's icon, even to the same one, lays the
        # whole window out again, so it is set only when it changes.
        self._warned_tabs: set[SourceName] = set()
        self._privacy = privacy
        self._every_digit = False
        self._panes: _Panes | None = None
        self._overview: OverviewData | None = None
        self._base = ""
        self._tasks: Tasks | None = None
        # The last figures, painted from text until the real panes have figures to show.
        self._glances: GlancePages | None = None
        if glance is not None:
            from balance_desk.gui.window.glance_view import GlancePages

            self._glances = GlancePages(glance, privacy=privacy, demo=demo)

        self._build_actions()
        self._show_privacy_action(privacy)
        self._build_frame()
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._rerender)
        self._tick.start()
        self._restore_frame()
        if not light_start:
            self.build_panes()

    # --- building ----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.refresh_action = QAction(glyph("refresh"), "Refresh", self)
        self.refresh_action.setShortcuts([QKeySequence("F5"), QKeySequence("Ctrl+R")])
        self.refresh_action.setToolTip("Fetch all balances now (F5)")
        self.refresh_action.triggered.connect(self.refresh_requested)
        self.privacy_action = QAction(glyph("privacy-off"), "Privacy", self)
        self.privacy_action.setCheckable(True)
        self.privacy_action.setShortcuts([QKeySequence("Ctrl+Shift+H")])
        self.privacy_action.setToolTip("Hide every amount (Ctrl+Shift+H)")
        self.privacy_action.toggled.connect(self.set_privacy)
        self.export_action = QAction("Export…", self)
        self.export_action.setToolTip(
            "Save the balances or the history as CSV or JSON (every digit)"
        )
        self.export_action.triggered.connect(self._ask_export)
        self.keys_action = QAction(glyph("keys"), "Keys…", self)
        self.keys_action.setToolTip("Set up or change your API keys")
        self.keys_action.triggered.connect(lambda: self.set_up_keys_requested.emit(""))
        self.quit_action = QAction("Quit", self)
        # setShortcuts with a list: setShortcut's overloads build the `Qt` enums (see above).
        self.quit_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Quit)])
        self.quit_action.triggered.connect(self.close)
        self.filter_action = QAction("Filter", self)
        self.filter_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Find)])
        self.filter_action.triggered.connect(lambda: self.current_pane().focus_filter())
        self.addActions([self.quit_action, self.filter_action])

        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setAccessibleName("Main toolbar")
        toolbar.setMovable(False)
        toolbar.setProperty("toolButtonStyle", TOOL_BUTTON_TEXT_BESIDE_ICON)
        toolbar.addActions([self.refresh_action, self.privacy_action, self.keys_action,
                            self.export_action])
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_frame(self) -> None:
        """The tabs, each with a plain "Loading…" line until its pane is built, and the status
        bar saying the same."""
        central = QWidget(self)
        self._central_layout = QVBoxLayout(central)
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("sourceTabs")
        self.tabs.setAccessibleName("Sources")
        self.tabs.setDocumentMode(True)
        self._pages: list[tuple[QVBoxLayout, QWidget]] = []
        for name in TABS:
            title, tab = TAB_TITLES[name]
            page = QWidget(self.tabs)
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            placeholder: QWidget | None = None
            if self._glances is not None:
                placeholder = self._glances.view_for(name, page)
            if placeholder is not None:
                layout.addWidget(placeholder, 1)
            else:
                placeholder = QLabel(
                    f"Loading balances from {title}…" if name in SOURCES else "Loading…", page
                )
                placeholder.setObjectName(f"{name}Loading")
                layout.addWidget(placeholder)
                layout.addStretch(1)
            self._pages.append((layout, placeholder))
            self.tabs.addTab(page, tab)
        self._central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        if self.glance_pages:
            assert self._glances is not None
            self.statusBar().showMessage(self._glances.status())
        else:
            self.statusBar().showMessage("Loading balances…")

    @property
    def glance_pages(self) -> tuple[str, ...]:
        """The pages still showing the last figures from text (none once each real pane has
        figures, or an answer, of its own)."""
        return self._glances.names if self._glances is not None else ()

    def glance_view(self, name: str) -> GlanceView | None:
        return self._glances.view(name) if self._glances is not None else None

    def _end_glance(self, name: str) -> None:
        """`name`'s real pane takes over from its glance."""
        if self._glances is not None:
            self._glances.end(name, self._pages[TABS.index(name)][0])

    def build_panes(self) -> None:
        """The tables, their filters and totals, the detail pane, the banners and the status
        bar entries, in place of the "Loading…" lines. Runs once."""
        if self._panes is not None:
            return
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QSplitter

        from balance_desk.gui.history.pane import HistoryPane
        from balance_desk.gui.number_format import system_number_format
        from balance_desk.gui.overview.pane import OverviewPane
        from balance_desk.gui.tables.bank_detail import BankDetailPane
        from balance_desk.gui.tables.pane import BreakdownPane
        from balance_desk.gui.window.notice import NoticeBar
        from balance_desk.present.bank_table import BANK_COLUMNS, bank_totals
        from balance_desk.present.crypto_table import CRYPTO_COLUMNS, crypto_totals
        from balance_desk.present.status_text import SETUP_LINK
        from balance_desk.present.updates import SourceUpdate

        number = self._number or system_number_format()
        app_notice, demo_banner = self._make_banners(NoticeBar, SETUP_LINK)
        crypto_pane = BreakdownPane(
            "crypto", "Crypto", CRYPTO_COLUMNS, self.tabs,
            totals_of=lambda rows: crypto_totals(rows, number),
        )
        bank_pane = BreakdownPane(
            "bank", "Bank", BANK_COLUMNS, self.tabs,
            totals_of=lambda rows: bank_totals(rows, number),
        )
        detail = BankDetailPane(number, self.tabs)
        splitter = QSplitter(Qt.Orientation.Vertical, self.tabs)
        splitter.setObjectName("bankSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(bank_pane)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        overview = OverviewPane(self._base or "EUR", self.tabs)
        overview.base_currency_chosen.connect(self.base_currency_changed)
        history = HistoryPane(lambda: _history_path(self._demo), self._chart_base, self.tabs)
        for name, (layout, placeholder), widget in zip(
            TABS, self._pages, (overview, crypto_pane, splitter, history), strict=True
        ):
            if name in self.glance_pages:  # it shows until this pane has figures
                widget.hide()
                layout.insertWidget(0, widget, 1)
                continue
            layout.takeAt(layout.count() - 1)  # the stretch under the placeholder
            layout.replaceWidget(placeholder, widget)
            placeholder.hide()  # out of the layout, it would paint where it was until deleted
            placeholder.deleteLater()
        labels, net_worth = self._build_status_labels()
        self._panes = _Panes(crypto_pane, bank_pane, detail, splitter, labels, app_notice,
                             demo_banner, overview, net_worth, history)
        bank_pane.current_row_changed.connect(self._bank_row_changed)
        for pane in (crypto_pane, bank_pane):
            pane.every_digit = self._every_digit
            pane.every_digit_toggled.connect(self.every_digit_changed)
        for name, pane in (("revolut_x", crypto_pane), ("bank", bank_pane)):
            pane.notice.link_activated.connect(self._link)
            pane.notice.action_button.clicked.connect(
                lambda _=False, n=name: self._notice_action(n)
            )
        for name in SOURCES:
            update = self._latest.get(name) or SourceUpdate(source=name, state="loading")
            self._shown_tables.pop(name, None)
            self.apply_update(update)
        self.set_privacy(self._privacy, announce=False)
        self._restore_panes()

    def _make_banners(self, bar: type[NoticeBar], setup_link: str) -> tuple[NoticeBar, NoticeBar]:
        central = self.tabs.parentWidget()
        app_notice = bar("appNotice", "Application message", central)
        demo_banner = bar("demoBanner", "Demo data", central)
        if self._demo:
            demo_banner.show_message(
                "demo",
                "<b>Demo data</b> — these balances come from Balance Desk's built-in simulator, "
                f"not from your accounts. <a href='{setup_link}'>Set up your own keys…</a>",
            )
        demo_banner.link_activated.connect(self._link)
        app_notice.link_activated.connect(self._link)
        self._central_layout.insertWidget(0, app_notice)
        self._central_layout.insertWidget(1, demo_banner)
        return app_notice, demo_banner

    def _build_status_labels(self) -> tuple[dict[SourceName, SourceStatusLabel], QLabel]:
        from balance_desk.gui.window.status import SourceStatusLabel

        bar = self.statusBar()
        bar.clearMessage()
        labels: dict[SourceName, SourceStatusLabel] = {}
        for name in SOURCES:
            label = SourceStatusLabel(name, bar)
            label.set_up_keys_requested.connect(self.set_up_keys_requested)
            bar.addWidget(label, 1)
            labels[name] = label
        net_worth = QLabel("", bar)
        net_worth.setObjectName("statusNetWorth")
        net_worth.setAccessibleName("Net worth")
        bar.addPermanentWidget(net_worth)
        return labels, net_worth

    # The parts build_panes() makes; reaching for one builds them.

    def _built(self) -> _Panes:
        self.build_panes()
        assert self._panes is not None
        return self._panes

    @property
    def crypto_pane(self) -> BreakdownPane:
        return self._built().crypto_pane

    @property
    def bank_pane(self) -> BreakdownPane:
        return self._built().bank_pane

    @property
    def detail(self) -> BankDetailPane:
        return self._built().detail

    @property
    def splitter(self) -> QSplitter:
        return self._built().splitter

    @property
    def status_labels(self) -> dict[SourceName, SourceStatusLabel]:
        return self._built().status_labels

    @property
    def overview_pane(self) -> OverviewPane:
        return self._built().overview

    @property
    def history_pane(self) -> HistoryPane:
        return self._built().history

    def _chart_base(self) -> str:
        """The currency the chart sums: the Overview's, else the one in force."""
        return self._overview.base if self._overview is not None else (self._base or "EUR")

    @property
    def app_notice(self) -> NoticeBar:
        return self._built().app_notice

    @property
    def demo_banner(self) -> NoticeBar:
        return self._built().demo_banner

    # --- what the poller sends ----------------------------------------------------------------

    def apply_update(self, update: SourceUpdate) -> None:
        name = update.source
        self._latest[name] = update
        overview = update.overview
        if overview is not None and (
            self._overview is None or overview.computed_at >= self._overview.computed_at
        ):
            self._overview = overview
        self._show_overview()
        pane = self.pane(name)
        if name not in self._shown_tables or not _same_table(self._shown_tables[name],
                                                             update.table):
            self._shown_tables[name] = update.table
            pane.show_table(update.table, stale=update.stale)
        else:
            pane.model.set_stale(update.stale)
        from balance_desk.sources.base import now_utc

        self._render_source(name, now_utc())
        if self.glance_pages:
            self._end_glances()
        self.source_updated.emit(update)

    def _end_glances(self) -> None:
        """Each page whose real pane has something of its own to show: a source's first answer
        (its figures from the history, fresh ones, or why there are none); the Overview's
        first valuation, or every source's first answer."""
        for name in SOURCES:
            update = self._latest.get(name)
            if update is not None and update.state != "loading":
                self._end_glance(name)
        answered = all(
            (u := self._latest.get(name)) is not None and u.state != "loading" for name in SOURCES
        )
        if self._overview is not None or answered:
            self._end_glance("overview")

    def latest(self, name: SourceName) -> SourceUpdate | None:
        return self._latest.get(name)

    @property
    def overview(self) -> OverviewData | None:
        """The newest valuation of every balance (None until rates and balances arrived)."""
        return self._overview

    def set_base_currency(self, code: str) -> None:
        """The base currency in force (shown on the Overview until values arrive in it)."""
        self._base = code
        if self._panes is not None and self._overview is None:
            self._panes.overview.base.setCurrentText(code)

    def net_worth_words(self) -> str:
        """"Net worth 12,345.67 GBP" for the status bar and the tray (masked in privacy mode),
        or "" before there is one."""
        from balance_desk.money import PRIVACY_MASK

        data = self._overview
        if data is None or not data.has_holdings:
            return ""
        return data.headline(PRIVACY_MASK if self._privacy else None)

    def _show_overview(self) -> None:
        panes = self._panes
        if panes is None:
            return
        stale = tuple(
            TAB_TITLES[name][0] for name, update in self._latest.items() if update.stale
        )
        partly = tuple(
            TAB_TITLES[name][0] for name, update in self._latest.items() if update.partly_read
        )
        panes.overview.show_overview(self._overview, stale, partly)
        panes.net_worth.setText(self.net_worth_words())
        if self._overview is not None:
            title = f"Value ({self._overview.base})"
            for pane in (panes.crypto_pane, panes.bank_pane):
                pane.model.set_column_title(pane.model.columnCount() - 1, title)

    def pane(self, name: SourceName) -> BreakdownPane:
        return self.crypto_pane if name == "revolut_x" else self.bank_pane

    def current_pane(self) -> BreakdownPane:
        tab = TABS[self.tabs.currentIndex()] if 0 <= self.tabs.currentIndex() < len(TABS) else ""
        if tab in ("overview", "history"):
            return self.overview_pane.currencies
        return self.bank_pane if tab == "bank" else self.crypto_pane

    def _render_source(self, name: SourceName, now: datetime) -> None:
        from PySide6.QtGui import QIcon

        from balance_desk.present.status_text import tab_notice

        update = self._latest[name]
        self.status_labels[name].show_update(update, now)
        pane = self.pane(name)
        notice = tab_notice(update, now)
        if notice is None:
            pane.notice.hide()
        else:
            pane.notice.show_message(notice.kind, notice.html, copy_text=notice.copy_text)
            pane.notice.set_action(notice.action)
        warned = update.state == "error"
        if warned == (name in self._warned_tabs):
            return
        icon = QIcon()
        if warned:
            # Imported here: QStyle's Python enums take milliseconds to build at start-up.
            from PySide6.QtWidgets import QStyle

            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self._warned_tabs.add(name)
        else:
            self._warned_tabs.discard(name)
        self.tabs.setTabIcon(TABS.index(name), icon)

    def _rerender(self) -> None:
        if self._panes is None:
            return  # nothing shown yet that could age
        from balance_desk.sources.base import now_utc

        now = now_utc()
        for name in self._latest:
            self._render_source(name, now)

    # --- user actions -------------------------------------------------------------------------

    @property
    def privacy(self) -> bool:
        return self._privacy

    def set_privacy(self, on: bool, *, announce: bool = True) -> None:
        changed = on != self._privacy
        self._privacy = on
        self._show_privacy_action(on)
        if changed and self._glances is not None:
            self._glances.set_privacy(on)
        if self._panes is not None:  # else they take it on when they are built
            self.crypto_pane.set_privacy(on)
            self.bank_pane.set_privacy(on)
            self.detail.set_privacy(on)
            self.overview_pane.set_privacy(on)
            self.history_pane.set_privacy(on)
            self._panes.net_worth.setText(self.net_worth_words())
        if changed and announce:
            self.privacy_changed.emit(on)

    def set_every_digit(self, on: bool) -> None:
        """Whether the tables show every digit (the figures themselves come from the fetch
        process, built with the matching number format)."""
        self._every_digit = on
        if self._panes is not None:
            self.crypto_pane.every_digit = on
            self.bank_pane.every_digit = on

    def _show_privacy_action(self, on: bool) -> None:
        if self.privacy_action.isChecked() != on:
            self.privacy_action.setChecked(on)  # re-enters set_privacy, with nothing to change
        self.privacy_action.setIcon(glyph("privacy-on" if on else "privacy-off"))
        self.privacy_action.setToolTip(
            "Show amounts again (Ctrl+Shift+H)" if on else "Hide every amount (Ctrl+Shift+H)"
        )

    def _bank_row_changed(self, row: TableRow | None) -> None:
        from balance_desk.present.bank_table import BankRowInfo

        info = row.payload if row is not None else None
        self.detail.show_row(info if isinstance(info, BankRowInfo) else None)

    def _link(self, link: str) -> None:
        from balance_desk.present.status_text import SETUP_LINK

        if link.startswith(SETUP_LINK):
            self.set_up_keys_requested.emit(link.removeprefix(SETUP_LINK))

    def _notice_action(self, name: SourceName) -> None:
        update = self._latest.get(name)
        if update is not None and update.state == "not_configured":
            self.set_up_keys_requested.emit(name)
        else:
            self.refresh_requested.emit()

    def _ask_export(self) -> None:
        from balance_desk.gui.history.export import ExportDialog

        dialog = ExportDialog(self)
        dialog.finished.connect(lambda _code: self._exported_chosen(dialog))
        dialog.open()

    def _exported_chosen(self, dialog: object) -> None:
        chosen = dialog.chosen()  # type: ignore[attr-defined]
        dialog.deleteLater()  # type: ignore[attr-defined]
        if chosen is not None:
            self.export_to(*chosen)

    def current_rows(self) -> list[object]:
        """The figures on screen now, shaped like history rows, valued with the rates the
        Overview shows."""
        from balance_desk.fetcher.outcome import read_something
        from balance_desk.history import HistoryRow, result_lines

        prices = self._overview.valuation.price_source() if (
            self._overview is not None and self._overview.valuation is not None) else None
        rows: list[object] = []
        for name in SOURCES:
            update = self._latest.get(name)
            result = update.result if update is not None else None
            # A bank that read only some accounts: the ones read (result_lines skips the
            # others, whose rows on screen are their last figures).
            if result is None or not read_something(result) or result.fetched_at is None:
                continue
            when = result.fetched_at.isoformat()
            for line in result_lines(result, prices):
                rows.append(HistoryRow(when, name, line.key, line.balance_type, line.amount,
                                       line.signed_amount, line.currency, line.base, line.value,
                                       line.rate_source))
        return rows

    def export_to(self, what: str, fmt: str, path: Path) -> None:
        """Write the export on a worker thread; the banner says where it went, or why not."""
        from balance_desk.gui.history.export import history_rows, write_export
        from balance_desk.gui.tasks import Tasks

        if self._tasks is None:
            self._tasks = Tasks(self)
            self._tasks.done.connect(self._exported)
        current = self.current_rows() if what == "current" else None
        source = _history_path(self._demo)

        def job() -> tuple[int, Path]:
            rows = current if current is not None else history_rows(source)
            return write_export(path, rows, fmt), path  # type: ignore[arg-type]

        self._tasks.submit(("export", str(path)), job, name="balance-desk-export")

    def _exported(self, _key: object, result: object) -> None:
        from html import escape

        from balance_desk.gui.tasks import JobFailed

        if isinstance(result, JobFailed):
            text = f"The export could not be written: {result.exc}"
            self.app_notice.show_message("warning", escape(text), copy_text=text)
            return
        assert isinstance(result, tuple)
        count, where = result
        text = f"Exported {count} rows to {where}."
        self.app_notice.show_message("info", escape(text), copy_text=text)

    def show_keys_help(self, source: str = "") -> None:
        """Until the key set-up dialog is wired in: how to store keys from a terminal."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "Set up keys", KEYS_HELP, parent=self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_app_problem(self, text: str) -> None:
        from html import escape

        self.app_notice.show_message("warning", escape(text), copy_text=text)

    # --- remembered between runs (gui/window/state.py) ----------------------------------------

    def restore_state(self) -> None:
        self._restore_frame()
        if self._panes is not None:
            self._restore_panes()

    def _restore_frame(self) -> None:
        from balance_desk.gui.window.state import restore_frame

        restore_frame(self, self.tabs, self._state)

    def _restore_panes(self) -> None:
        from balance_desk.gui.window.state import restore_panes

        restore_panes(self._pane_keys(), self.splitter, self._state)

    def _pane_keys(self) -> dict[str, BreakdownPane]:
        return {
            "crypto": self.crypto_pane,
            "bank": self.bank_pane,
            "currencies": self.overview_pane.currencies,
        }

    def save_state(self) -> None:
        from balance_desk.gui.window.state import save_state

        panes = self._pane_keys() if self._panes is not None else None
        save_state(self, self.tabs, panes, self._splitter_or_none(), self._state)

    def _splitter_or_none(self) -> QSplitter | None:
        return self._panes.splitter if self._panes is not None else None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)


def _history_path(demo: bool) -> Path:
    """The user's history; the demo keeps its own (made-up past, never mixed with yours)."""
    from balance_desk.history import HISTORY_FILE
    from balance_desk.paths import data_dir
    from balance_desk.simulator.demo_history import DEMO_HISTORY_FILE

    return data_dir() / (DEMO_HISTORY_FILE if demo else HISTORY_FILE)


def _same_table(shown: TableData | None, new: TableData | None) -> bool:
    """The same table, even after it crossed the fetch process's pipe again (a failed refresh
    brings back the last good table; showing it anew would sort and compare every row on the GUI
    thread for nothing)."""
    if shown is None or new is None:
        return shown is new
    return shown.serial == new.serial


class _Panes(NamedTuple):
    crypto_pane: BreakdownPane
    bank_pane: BreakdownPane
    detail: BankDetailPane
    splitter: QSplitter
    status_labels: dict[SourceName, SourceStatusLabel]
    app_notice: NoticeBar
    demo_banner: NoticeBar
    overview: OverviewPane
    net_worth: QLabel
    history: HistoryPane
