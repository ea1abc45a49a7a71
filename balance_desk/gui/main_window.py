"""The main window: Crypto and Bank tabs, the toolbar, per-source status, privacy mode.

It only shows what the poller sends (`apply_update`) and asks for things through signals, so
the tray and the key set-up dialog can hook in without knowing its insides:
`refresh_requested`, `set_up_keys_requested(source)` ("" = let the user choose),
`privacy_changed(bool)`, `source_updated(SourceUpdate)` and `latest(source)`.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from balance_desk.gui.bank_detail import BankDetailPane
from balance_desk.gui.bank_table import BANK_COLUMNS, BankRowInfo
from balance_desk.gui.crypto_table import CRYPTO_COLUMNS
from balance_desk.gui.formatting import NumberFormat
from balance_desk.gui.glyphs import glyph
from balance_desk.gui.notice import NoticeBar
from balance_desk.gui.snapshots import SourceUpdate, TableData
from balance_desk.gui.status import SETUP_LINK, SourceStatusLabel, tab_notice
from balance_desk.gui.table_model import TableRow
from balance_desk.gui.table_pane import BreakdownPane
from balance_desk.service import SourceName, now_utc

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


class MainWindow(QMainWindow):
    refresh_requested = Signal()
    set_up_keys_requested = Signal(str)
    privacy_changed = Signal(bool)
    source_updated = Signal(object)

    def __init__(
        self,
        *,
        demo: bool = False,
        privacy: bool = False,
        state: QSettings | None = None,
        number: NumberFormat | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_TITLE} — Demo data" if demo else APP_TITLE)
        self._state = state
        self._number = number or NumberFormat.system()
        self._latest: dict[SourceName, SourceUpdate] = {}
        self._shown_tables: dict[SourceName, TableData | None] = {}
        self._privacy = privacy

        self._build_actions()
        self._build_central(demo)
        self._build_status_bar()
        for name in ("revolut_x", "bank"):
            self.apply_update(SourceUpdate(source=name, state="loading"))
        self.set_privacy(privacy, announce=False)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._rerender)
        self._tick.start()
        self.restore_state()

    # --- building ----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.refresh_action = QAction(glyph("refresh"), "Refresh", self)
        self.refresh_action.setShortcuts([QKeySequence(Qt.Key.Key_F5), QKeySequence("Ctrl+R")])
        self.refresh_action.setToolTip("Fetch all balances now (F5)")
        self.refresh_action.triggered.connect(self.refresh_requested)
        self.privacy_action = QAction(glyph("privacy-off"), "Privacy", self)
        self.privacy_action.setCheckable(True)
        self.privacy_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.privacy_action.setToolTip("Hide every amount (Ctrl+Shift+H)")
        self.privacy_action.toggled.connect(self.set_privacy)
        self.keys_action = QAction(glyph("keys"), "Keys…", self)
        self.keys_action.setToolTip("Set up or change your API keys")
        self.keys_action.triggered.connect(lambda: self.set_up_keys_requested.emit(""))
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.filter_action = QAction("Filter", self)
        self.filter_action.setShortcut(QKeySequence.StandardKey.Find)
        self.filter_action.triggered.connect(lambda: self.current_pane().focus_filter())
        self.addActions([self.quit_action, self.filter_action])

        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setAccessibleName("Main toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.refresh_action, self.privacy_action, self.keys_action])
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_central(self, demo: bool) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.app_notice = NoticeBar("appNotice", "Application message", central)
        self.demo_banner = NoticeBar("demoBanner", "Demo data", central)
        if demo:
            self.demo_banner.show_message(
                "demo",
                "<b>Demo data</b> — these balances come from Balance Desk's built-in simulator, "
                f"not from your accounts. <a href='{SETUP_LINK}'>Set up your own keys…</a>",
            )
        self.demo_banner.link_activated.connect(self._link)
        self.app_notice.link_activated.connect(self._link)
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("sourceTabs")
        self.tabs.setAccessibleName("Sources")
        self.tabs.setDocumentMode(True)
        self.crypto_pane = BreakdownPane("crypto", "Crypto", CRYPTO_COLUMNS, self.tabs)
        self.bank_pane = BreakdownPane("bank", "Bank", BANK_COLUMNS, self.tabs)
        self.detail = BankDetailPane(self._number, self.tabs)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self.tabs)
        self.splitter.setObjectName("bankSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.bank_pane)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.tabs.addTab(self.crypto_pane, "&Crypto")
        self.tabs.addTab(self.splitter, "&Bank")
        self.bank_pane.current_row_changed.connect(self._bank_row_changed)
        for name, pane in (("revolut_x", self.crypto_pane), ("bank", self.bank_pane)):
            pane.notice.link_activated.connect(self._link)
            pane.notice.action_button.clicked.connect(
                lambda _=False, n=name: self._notice_action(n)
            )
        layout.addWidget(self.app_notice)
        layout.addWidget(self.demo_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.status_labels: dict[SourceName, SourceStatusLabel] = {}
        for name in ("revolut_x", "bank"):
            label = SourceStatusLabel(name, bar)
            label.set_up_keys_requested.connect(self.set_up_keys_requested)
            bar.addWidget(label, 1)
            self.status_labels[name] = label

    # --- what the poller sends ----------------------------------------------------------------

    def apply_update(self, update: SourceUpdate) -> None:
        name = update.source
        self._latest[name] = update
        pane = self.pane(name)
        if name not in self._shown_tables or self._shown_tables[name] is not update.table:
            self._shown_tables[name] = update.table
            pane.show_table(update.table, stale=update.stale)
        else:
            pane.model.set_stale(update.stale)
        self._render_source(name, now_utc())
        self.source_updated.emit(update)

    def latest(self, name: SourceName) -> SourceUpdate | None:
        return self._latest.get(name)

    def pane(self, name: SourceName) -> BreakdownPane:
        return self.crypto_pane if name == "revolut_x" else self.bank_pane

    def current_pane(self) -> BreakdownPane:
        return self.bank_pane if self.tabs.currentIndex() == 1 else self.crypto_pane

    def _render_source(self, name: SourceName, now: datetime) -> None:
        update = self._latest[name]
        self.status_labels[name].show_update(update, now)
        pane = self.pane(name)
        notice = tab_notice(update, now)
        if notice is None:
            pane.notice.hide()
        else:
            pane.notice.show_message(notice.kind, notice.html, copy_text=notice.copy_text)
            pane.notice.set_action(notice.action)
        icon = QIcon()
        if update.state == "error":
            # Imported here: QStyle's Python enums take milliseconds to build at start-up.
            from PySide6.QtWidgets import QStyle

            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.tabs.setTabIcon(0 if name == "revolut_x" else 1, icon)

    def _rerender(self) -> None:
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
        if self.privacy_action.isChecked() != on:
            self.privacy_action.setChecked(on)  # re-enters here once, with nothing to change
        self.privacy_action.setIcon(glyph("privacy-on" if on else "privacy-off"))
        self.privacy_action.setToolTip(
            "Show amounts again (Ctrl+Shift+H)" if on else "Hide every amount (Ctrl+Shift+H)"
        )
        self.crypto_pane.set_privacy(on)
        self.bank_pane.set_privacy(on)
        self.detail.set_privacy(on)
        if changed and announce:
            self.privacy_changed.emit(on)

    def _bank_row_changed(self, row: TableRow | None) -> None:
        info = row.payload if row is not None else None
        self.detail.show_row(info if isinstance(info, BankRowInfo) else None)

    def _link(self, link: str) -> None:
        if link.startswith(SETUP_LINK):
            self.set_up_keys_requested.emit(link.removeprefix(SETUP_LINK))

    def _notice_action(self, name: SourceName) -> None:
        update = self._latest.get(name)
        if update is not None and update.state == "not_configured":
            self.set_up_keys_requested.emit(name)
        else:
            self.refresh_requested.emit()

    def show_keys_help(self, source: str = "") -> None:
        """Until the key set-up dialog is wired in: how to store keys from a terminal."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "Set up keys", KEYS_HELP, parent=self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_app_problem(self, text: str) -> None:
        self.app_notice.show_message("warning", escape(text), copy_text=text)

    # --- remembered between runs ----------------------------------------------------------------

    def restore_state(self) -> None:
        state = self._state
        if state is None:
            self.resize(self.fontMetrics().averageCharWidth() * 150,
                        self.fontMetrics().height() * 40)
            self._default_sort()
            return
        geometry = state.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self.fontMetrics().averageCharWidth() * 150,
                        self.fontMetrics().height() * 40)
        tab = str(state.value("window/tab", 0))
        self.tabs.setCurrentIndex(int(tab) if tab.isdigit() else 0)
        splitter = state.value("bank/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        self._default_sort()
        for key, pane in (("crypto", self.crypto_pane), ("bank", self.bank_pane)):
            column = state.value(f"{key}/sort_column")
            order = state.value(f"{key}/sort_order")
            if str(column).lstrip("-").isdigit() and str(order).isdigit():
                count = pane.model.columnCount()
                col = int(str(column))
                if 0 <= col < count:
                    pane.view.sortByColumn(col, Qt.SortOrder(int(str(order))))
            widths = state.value(f"{key}/widths")
            if isinstance(widths, list) and len(widths) == pane.model.columnCount():
                pane.fit_columns(())  # a floor; the saved widths follow
                for i, width in enumerate(widths):
                    if str(width).isdigit() and int(str(width)) > 0:
                        pane.view.horizontalHeader().resizeSection(i, int(str(width)))
                pane._sized = True

    def _default_sort(self) -> None:
        self.crypto_pane.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.bank_pane.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)

    def save_state(self) -> None:
        state = self._state
        if state is None:
            return
        state.setValue("window/geometry", self.saveGeometry())
        state.setValue("window/tab", self.tabs.currentIndex())
        state.setValue("bank/splitter", self.splitter.saveState())
        for key, pane in (("crypto", self.crypto_pane), ("bank", self.bank_pane)):
            state.setValue(f"{key}/sort_column", pane.model.sort_column)
            state.setValue(f"{key}/sort_order", pane.model.sort_order.value)
            if pane._sized:
                header = pane.view.horizontalHeader()
                state.setValue(
                    f"{key}/widths",
                    [header.sectionSize(i) for i in range(pane.model.columnCount())],
                )
        state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
