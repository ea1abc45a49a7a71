"""Test connection: the real source's request, run off the GUI thread, cancellable.

A blocking httpx call cannot be interrupted, so cancelling abandons the attempt: its thread runs
to the source's own timeout, closes what it opened and its result is dropped. Results reach the
GUI thread through a queued signal on a relay that lives as long as the application, so a
dialog closed mid-test never receives (or crashes on) a late answer.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from balance_desk.config import BankSettings, RevolutXSettings
from balance_desk.credentials import (
    BankCredentials,
    CredentialStore,
    MemoryKeyring,
    RevolutXCredentials,
)
from balance_desk.model import ErrorInfo
from balance_desk.sources.errors import KIND_TITLES, SourceError

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class CheckOutcome:
    """What a connection test found. Never holds a secret except refreshed bank tokens, which
    go straight back into the (masked) fields so that a rotated refresh token is not lost."""

    ok: bool
    summary: str
    error: ErrorInfo | None = None
    refreshed_bank: BankCredentials | None = None

    def describe(self) -> str:
        """The words shown under the Test connection button."""
        if self.ok:
            return f"Connected: {self.summary}."
        if self.error is None:
            return self.summary
        return describe_error(self.error)


def describe_error(error: ErrorInfo) -> str:
    lines = [f"{KIND_TITLES.get(error.kind, 'Error')}: {error.message}"]
    if error.server_message and error.server_message not in error.message:
        lines.append(f"The server said: {error.server_message}")
    details = []
    if error.http_status is not None:
        details.append(f"HTTP {error.http_status}")
    if error.error_id:
        details.append(f"error id {error.error_id}")
    if details:
        lines.append(" · ".join(details))
    return "\n".join(lines)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def check_revolut_x(creds: RevolutXCredentials, settings: RevolutXSettings) -> CheckOutcome:
    """One real GET /balances with these (unsaved) credentials, through RevolutXSource."""
    from balance_desk.sources.revolut_x import RetryPolicy, RevolutXSource

    # A throwaway in-memory store: testing never writes the real keyring.
    store = CredentialStore(MemoryKeyring())
    store.set_revolut_x(creds)
    try:
        # One attempt: the user is waiting, and a failure is the answer they asked for.
        source = RevolutXSource(store, settings, policy=RetryPolicy(retries=0, rate_limit_waits=0))
    except SourceError as exc:
        return CheckOutcome(False, exc.message, exc.to_info())
    try:
        result = source.fetch(user_present=True)
    finally:
        source.close()
    if result.status == "ok":
        return CheckOutcome(True, _plural(len(result.balances), "currency", "currencies"))
    error = result.error or ErrorInfo(kind="server", message="The test failed.")
    return CheckOutcome(False, error.message, error)


def check_bank(
    creds: BankCredentials, settings: BankSettings, directory: Path
) -> CheckOutcome:
    """The real account list and balances with these (unsaved) credentials, user present (so
    the 4-a-day unattended quota is not spent)."""
    from balance_desk.sources.open_banking import OpenBankingSource

    store = CredentialStore(MemoryKeyring())
    store.set_bank(creds)
    try:
        source = OpenBankingSource(store, settings, directory)
    except SourceError as exc:
        return CheckOutcome(False, exc.message, exc.to_info())
    try:
        result = source.fetch(user_present=True)
    finally:
        source.close()
    after = store.get_bank()
    refreshed = after if after is not None and after != creds else None
    if result.status == "ok":
        summary = _plural(len(result.accounts), "account", "accounts")
        unreadable = sum(1 for a in result.accounts if a.status == "error")
        if unreadable:
            summary += f" ({unreadable} could not be read)"
        return CheckOutcome(True, summary, refreshed_bank=refreshed)
    error = result.error or ErrorInfo(kind="server", message="The test failed.")
    return CheckOutcome(False, error.message, error, refreshed_bank=refreshed)


class _Relay(QObject):
    done = Signal(int, object)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    global _relay  # noqa: PLW0603 (one per application, created on the GUI thread)
    if _relay is None:
        _relay = _Relay(QCoreApplication.instance())
    return _relay


_tokens = itertools.count(1)


class ConnectionTester(QObject):
    """Runs one check at a time in a daemon thread; `finished` fires only for the current,
    uncancelled run."""

    finished = Signal(object)  # CheckOutcome
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: int | None = None
        _the_relay().done.connect(self._done)

    @property
    def running(self) -> bool:
        return self._current is not None

    def start(self, check: Callable[[], CheckOutcome]) -> None:
        token = next(_tokens)
        self._current = token
        relay = _the_relay()

        def work() -> None:
            try:
                outcome = check()
            except Exception as exc:  # a bug must not kill the thread silently or leak a secret
                log.exception("Connection test failed unexpectedly")
                outcome = CheckOutcome(
                    False,
                    f"The test stopped unexpectedly ({type(exc).__name__}).",
                    ErrorInfo(
                        kind="protocol",
                        message=f"The test stopped unexpectedly ({type(exc).__name__}).",
                    ),
                )
            with contextlib.suppress(RuntimeError):  # the application is already gone
                relay.done.emit(token, outcome)

        threading.Thread(target=work, name=f"connection-test-{token}", daemon=True).start()
        self.running_changed.emit(True)

    def cancel(self) -> None:
        if self._current is not None:
            self._current = None
            self.running_changed.emit(False)

    def _done(self, token: int, outcome: object) -> None:
        if token != self._current or not isinstance(outcome, CheckOutcome):
            return  # abandoned by Cancel (or another tester's run)
        self._current = None
        self.running_changed.emit(False)
        self.finished.emit(outcome)
