"""The welcome page shown while no credentials are stored, and the switch into demo mode.

Try the demo starts a fresh `balance-desk --demo` process and closes this one, rather than
swapping sources inside the running app: the demo then never shares a process (or a keyring
handle) with real credentials, and it works the same whatever state the keyring is in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from balance_desk.errors import ConfigError

if TYPE_CHECKING:
    from balance_desk.credentials import CredentialStore


@dataclass(frozen=True)
class CredentialsStatus:
    revolut_x: bool
    bank: bool
    # A sentence saying what to do when the keyring cannot be used; None when it works.
    keyring_problem: str | None = None

    @property
    def anything_configured(self) -> bool:
        return self.revolut_x or self.bank


def credentials_status(store: CredentialStore) -> CredentialsStatus:
    """Which sources have credentials. A keyring failure is a status, never an exception."""
    try:
        return CredentialsStatus(
            revolut_x=store.get_revolut_x() is not None, bank=store.get_bank() is not None
        )
    except ConfigError as exc:
        return CredentialsStatus(revolut_x=False, bank=False, keyring_problem=str(exc))


def demo_command() -> tuple[str, list[str]]:
    """How to start this same app in demo mode, frozen (PyInstaller) or from Python."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--demo"]
    return sys.executable, ["-m", "balance_desk", "--demo"]


def start_demo_process(launch: Callable[[str, list[str]], bool] | None = None) -> bool:
    """Start the demo as its own process; False when it could not be started."""
    program, args = demo_command()
    if launch is not None:
        return launch(program, args)
    started, _pid = QProcess.startDetached(program, args)
    return bool(started)


WELCOME = (
    "Balance Desk shows your Revolut X crypto balances and your bank accounts side by side, "
    "and keeps them current while it runs."
)
HOW = (
    "It reads balances only: it cannot trade or move money. Your keys stay in this "
    "computer's keyring and go nowhere but to Revolut and your bank."
)
DEMO_NOTE = "Not ready to connect yet? The demo shows made-up balances, with no keys needed."


class FirstRunPage(QWidget):
    """The empty state: what the app does, Set up keys…, Try the demo, and keyring trouble."""

    setup_keys_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunPage")
        self.setAccessibleName("Welcome to Balance Desk")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(14)

        title = QLabel("Welcome to Balance Desk")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        column.addWidget(title)
        for text in (WELCOME, HOW):
            label = QLabel(text)
            label.setWordWrap(True)
            column.addWidget(label)

        self.problem = QLabel()
        self.problem.setObjectName("keyringProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setFrameShape(QFrame.Shape.StyledPanel)
        self.problem.setMargin(10)
        self.problem.setStyleSheet(
            "QLabel#keyringProblem { background: rgba(217, 154, 30, 40); "
            "border: 1px solid rgba(217, 154, 30, 160); border-radius: 4px; }"
        )
        self.problem.hide()
        column.addWidget(self.problem)

        column.addLayout(self._buttons())
        self.demo_note = QLabel(DEMO_NOTE)
        self.demo_note.setWordWrap(True)
        self.demo_note.setEnabled(False)  # greyed: a side note
        column.addWidget(self.demo_note)

        holder = QWidget()
        holder.setLayout(column)
        holder.setMaximumWidth(560)
        holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(holder, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.setup_button = QPushButton("Set up keys…")
        self.setup_button.setDefault(True)
        self.setup_button.setAccessibleName("Set up keys")
        self.setup_button.clicked.connect(self.setup_keys_requested.emit)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.setAccessibleName("Try the demo")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        buttons.addWidget(self.setup_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        return buttons

    def set_keyring_problem(self, problem: str | None) -> None:
        """Show why keys cannot be stored and what to do; the demo stays one click away."""
        if problem:
            self.problem.setText(
                f"<b>The system keyring cannot be used.</b><br>{_escape(problem)}<br><br>"
                "You can still try the demo now, and set up your keys once the keyring works."
            )
            self.problem.show()
            self.demo_button.setDefault(True)
            self.setup_button.setDefault(False)
        else:
            self.problem.hide()
            self.setup_button.setDefault(True)
            self.demo_button.setDefault(False)

    def apply(self, status: CredentialsStatus) -> None:
        self.set_keyring_problem(status.keyring_problem)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
