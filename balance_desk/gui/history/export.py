"""Export… from the window: the balances as shown now, or the whole history, as CSV or JSON, the
same files `balance-desk export` writes. The dialog says what the file will hold: every figure in
full (privacy mode hides figures on screen; the file is the user's own)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from balance_desk.history import HistoryRow

WHAT_IT_HOLDS = (
    "The file holds every figure in full, every digit as the servers sent it, whatever privacy "
    "mode shows on screen: it is yours. It is written readable by you alone."
)


def write_export(path: Path, rows: list[HistoryRow], fmt: str) -> int:
    """On a worker thread: the rows as CSV or JSON, written atomically, mode 0600."""
    import os

    from balance_desk.history import render
    from balance_desk.paths import atomic_write_text

    atomic_write_text(path, render(rows, fmt))
    os.chmod(path, 0o600)
    return len(rows)


def history_rows(path: Path) -> list[HistoryRow]:
    from balance_desk.history import History

    if not path.exists():
        return []
    history = History(path)
    try:
        return list(history.rows())
    finally:
        history.close()


class ExportDialog(QDialog):
    """Choose what and how; `chosen()` after `exec()`: (what, format, path) or None."""

    def __init__(
        self, parent: QWidget | None = None, *,
        ask_path: Callable[[QWidget, str, str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export balances")
        self.setObjectName("exportDialog")
        self._ask_path = ask_path or _ask_path
        self.current = QRadioButton("The balances as they are now (Crypto and Bank tabs)", self)
        self.history = QRadioButton("The history: every recorded refresh", self)
        self.current.setChecked(True)
        self.format = QComboBox(self)
        self.format.addItems(["CSV", "JSON"])
        self.format.setAccessibleName("File format")
        note = QLabel(WHAT_IT_HOLDS, self)
        note.setWordWrap(True)
        note.setObjectName("exportNote")
        self.note = note
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Export:", self))
        layout.addWidget(self.current)
        layout.addWidget(self.history)
        layout.addWidget(QLabel("Format:", self))
        layout.addWidget(self.format)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self._chosen: tuple[str, str, Path] | None = None

    def chosen(self) -> tuple[str, str, Path] | None:
        return self._chosen

    def _save(self) -> None:
        fmt = self.format.currentText().lower()
        what = "history" if self.history.isChecked() else "current"
        name = self._ask_path(self, f"balance-desk-{what}.{fmt}", fmt)
        if not name:
            return  # the file dialog was cancelled: stay here
        self._chosen = (what, fmt, Path(name))
        self.accept()


def _ask_path(parent: QWidget, suggested: str, fmt: str) -> str:
    label = "CSV files (*.csv)" if fmt == "csv" else "JSON files (*.json)"
    name, _ = QFileDialog.getSaveFileName(parent, "Export to", str(Path.home() / suggested),
                                          label)
    return name
