"""What both pages of the key setup dialog share: problems in words, the connection test area,
and the Save / Remove buttons (whose work the dialog does, through `setup/`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from balance_desk.errors import ConfigError
from balance_desk.gui.keys.connection_test import ConnectionTester
from balance_desk.gui.keys.fields import message_label
from balance_desk.setup.common import CheckOutcome, SourceSetup, save_setup

if TYPE_CHECKING:
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore

ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: #2e7d32;"
HINT_STYLE = ""  # the normal text colour: information, neither good nor bad
WARN_STYLE = "color: #a15c00;"


def show_message(label: QLabel, text: str | None, style: str = ERROR_STYLE) -> None:
    if text:
        label.setText(text)
        label.setStyleSheet(style)
        label.show()
    else:
        label.clear()
        label.hide()


class SourcePage(QWidget):
    """One source's page. Subclasses fill `form` and implement the four hooks below."""

    save_requested = Signal()
    remove_requested = Signal()

    # Where this source's set-up is stored (`setup.revolut_x.REVOLUT_X`, `setup.bank.BANK`).
    kind: SourceSetup[Any]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._validated_once = False
        outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.form)
        self.body = QVBoxLayout()  # extra sections below the form (advanced, files)
        outer.addLayout(self.body)
        outer.addStretch(1)

        self.problems = message_label("problems")
        self.problems.setAccessibleName("Problems to fix before saving")
        outer.addWidget(self.problems)

        # The connection test: busy bar, result text, Test / Cancel.
        self.tester = ConnectionTester(self)
        self.tester.running_changed.connect(self._running_changed)
        self.tester.finished.connect(self._tested)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: we cannot know how long a server takes
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.setAccessibleName("Testing the connection")
        self.busy.hide()
        outer.addWidget(self.busy)
        self.result = message_label("testResult")
        self.result.setAccessibleName("Connection test result")
        outer.addWidget(self.result)

        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.run_test)
        self.cancel_button = QPushButton("Cancel test")
        self.cancel_button.clicked.connect(self.cancel_test)
        self.cancel_button.hide()
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setToolTip(f"Delete the stored {self.kind.title} keys")
        self.remove_button.clicked.connect(self.remove_requested.emit)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self._save_clicked)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)

    # --- hooks ---------------------------------------------------------------------------------

    def find_problems(self) -> list[str]:
        """Everything that stops a save or a test, each as a sentence."""
        raise NotImplementedError

    def make_check(self) -> Callable[[], CheckOutcome]:
        """A callable for the worker thread; it must capture values, never widgets."""
        raise NotImplementedError

    def load(self, creds: Any, settings: Any) -> None:
        """Show these credentials (None: none stored) and this source's settings section."""
        raise NotImplementedError

    def credentials(self) -> Any:
        """The credentials the page shows (after validate())."""
        raise NotImplementedError

    def settings_section(self) -> Any:
        """The settings section the page shows."""
        raise NotImplementedError

    # --- what the dialog asks of every page (through setup/) ------------------------------------

    def load_from(self, store: CredentialStore, settings: Settings) -> str | None:
        """Show the stored set-up; the keyring's problem in words, if it could not be read."""
        section = getattr(settings, self.kind.name)
        try:
            creds = self.kind.stored(store)
        except ConfigError as exc:
            self.load(None, section)
            return str(exc)
        self.load(creds, section)
        return None

    def save_to(
        self, store: CredentialStore, directory: Path | None, settings: Settings
    ) -> Settings:
        """Save what the page shows, all or nothing; the settings saved. Raises ConfigError
        with the words to show."""
        return save_setup(
            self.kind, store, self.credentials(), self.settings_section(),
            directory=directory, fallback=settings,
        )

    def remove_from(self, store: CredentialStore, directory: Path | None) -> None:
        """Delete the stored secrets (raises ConfigError in words)."""
        self.kind.remove(store, directory)

    def clear(self, settings: Settings) -> None:
        """Show the page as after a removal: no secrets, the settings kept."""
        self.load(None, getattr(settings, self.kind.name))

    def unsaved_warning(self) -> str | None:
        """What would be lost by closing now without saving, if that matters; else None."""
        return None

    def mark_saved(self) -> None:
        """The page's set-up was just saved."""

    def apply_refreshed(self, outcome: CheckOutcome) -> None:
        """Take tokens a test refreshed (bank only)."""

    # --- behaviour -----------------------------------------------------------------------------

    def validate(self) -> bool:
        """Show the problems (or none); True when there are none."""
        self._validated_once = True
        problems = self.find_problems()
        show_message(self.problems, "\n".join(f"• {p}" for p in problems) or None)
        return not problems

    def revalidate(self) -> None:
        """After the first Save/Test attempt, problems update as the user fixes them."""
        if self._validated_once:
            self.validate()
        self.result.hide()

    def _save_clicked(self) -> None:
        if self.validate():
            self.save_requested.emit()

    def run_test(self) -> None:
        if self.tester.running or not self.validate():
            return
        show_message(self.result, "Testing the connection…", HINT_STYLE)
        self.tester.start(self.make_check())

    def cancel_test(self) -> None:
        self.tester.cancel()
        show_message(
            self.result,
            "Test cancelled. (A request already sent finishes in the background and is ignored.)",
            HINT_STYLE,
        )

    def _running_changed(self, running: bool) -> None:
        self.busy.setVisible(running)
        self.test_button.setVisible(not running)
        self.cancel_button.setVisible(running)
        if running:
            self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.test_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _tested(self, outcome: object) -> None:
        if not isinstance(outcome, CheckOutcome):
            return
        self.apply_refreshed(outcome)
        show_message(self.result, outcome.describe(), OK_STYLE if outcome.ok else ERROR_STYLE)

    def show_status(self, text: str, *, error: bool = False) -> None:
        show_message(self.result, text, ERROR_STYLE if error else OK_STYLE)

    def set_stored(self, stored: bool) -> None:
        self.remove_button.setEnabled(stored)


class Advanced(QWidget):
    """A collapsed section: a toggle button that shows or hides its form."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self.set_open)
        self.content = QWidget()
        self.form = QFormLayout(self.content)
        self.form.setContentsMargins(18, 0, 0, 0)
        self.content.hide()
        layout.addWidget(self.toggle)
        layout.addWidget(self.content)

    def set_open(self, open_: bool) -> None:
        self.toggle.setChecked(open_)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.content.setVisible(open_)
