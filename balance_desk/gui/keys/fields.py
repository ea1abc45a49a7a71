"""Small widgets for the key setup dialog: a masked field with a show toggle, a file picker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)


class SecretLineEdit(QLineEdit):
    """A line edit whose content never leaves through copy or cut, even while shown.

    Qt already refuses to copy from a password field; once the user presses Show the echo is
    normal, so copying is blocked here too. Pasting in stays possible.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) or event.matches(
            QKeySequence.StandardKey.Cut
        ):
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        paste = QAction("Paste", menu)
        paste.triggered.connect(self.paste)
        paste.setEnabled(not self.isReadOnly())
        clear = QAction("Clear", menu)
        clear.triggered.connect(self.clear)
        menu.addActions([paste, clear])
        menu.exec(event.globalPos())


class SecretField(QWidget):
    """A masked entry plus a Show/Hide toggle."""

    textChanged = Signal(str)

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = SecretLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.edit.textChanged.connect(self.textChanged.emit)
        self.toggle = QToolButton()
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.toggle.toggled.connect(self._show)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)
        self.toggle.setAccessibleName(f"Show {name.lower()}")

    def _show(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def clear(self) -> None:
        self.edit.clear()

    def __repr__(self) -> str:
        return f"<SecretField {self.accessibleName()!r} ({'set' if self.text() else 'empty'})>"


class FilePicker(QWidget):
    """A path field with a Browse… button; the path is what gets saved in the settings."""

    pathChanged = Signal(str)

    def __init__(
        self, title: str, file_filter: str, parent: QWidget | None = None, *, optional: bool
    ) -> None:
        super().__init__(parent)
        self._title = title
        self._filter = file_filter
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("optional" if optional else "choose a file")
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self.pathChanged.emit)
        self.button = QPushButton("Browse…")
        self.button.setAccessibleName(f"Browse for {title.lower()}")
        self.button.clicked.connect(self._browse)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)

    def _browse(self) -> None:
        start = str(Path(self.path()).expanduser().parent) if self.path() else str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, self._title, start, self._filter)
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> str:
        return self.edit.text().strip()

    def setPath(self, path: str | None) -> None:
        self.edit.setText(path or "")


def message_label(object_name: str) -> QLabel:
    """A wrapped, selectable label for inline validation and test results."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.hide()
    return label
