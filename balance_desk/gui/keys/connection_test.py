"""Test connection: the real source's request (`setup.revolut_x.check_revolut_x`,
`setup.bank.check_bank`), run off the GUI thread as a job of `tasks.Tasks`, cancellable.

A blocking request cannot be interrupted, so cancelling abandons the attempt: its thread runs to
the source's own timeout, closes what it opened, and its result is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from balance_desk.gui.tasks import JobFailed, Tasks
from balance_desk.setup.common import CheckOutcome, unexpected_check_failure

_TEST = "connection-test"


class ConnectionTester(QObject):
    """Runs one check at a time; `finished` fires only for the current, uncancelled run."""

    finished = Signal(object)  # CheckOutcome
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = Tasks(self)
        self._tasks.done.connect(self._done)

    @property
    def running(self) -> bool:
        return self._tasks.running(_TEST)

    def start(self, check: Callable[[], CheckOutcome]) -> None:
        self._tasks.submit(_TEST, check, name="balance-desk-connection-test")
        self.running_changed.emit(True)

    def cancel(self) -> None:
        if self.running:
            self._tasks.cancel(_TEST)
            self.running_changed.emit(False)

    def _done(self, _key: object, outcome: object) -> None:
        if isinstance(outcome, JobFailed):  # a bug in a check: words, never its text
            outcome = unexpected_check_failure(outcome.exc)
        self.running_changed.emit(False)
        self.finished.emit(outcome)
