"""The one way Balance Desk runs blocking work off the GUI thread: the poller's fetches and the
key dialog's connection test both go through `Tasks`.

Each job runs on a daemon thread of its own, because a blocking request cannot be interrupted:
a slow server must never hold a thread that the window (or the poller's timers) needs. Results
come back as `done(key, result)` on the thread the `Tasks` object lives in, through a queued
signal. Cancelling, or closing, abandons a job: its thread runs to its own timeout, and its result
is handed to the `dropped` callback given with it (to close what it opened), never to `done`.

Results cross threads through one relay object that lives as long as the application, so a
`Tasks` destroyed mid-job (a dialog closed during a test) never receives, or crashes on, a late
answer: Qt drops a queued call to a receiver that is gone.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

Dropped = Callable[[Any], None]


class _Relay(QObject):
    finished = Signal(int)


_relay: _Relay | None = None
_tokens = itertools.count(1)


def _the_relay() -> _Relay:
    """Created on first use, which is on the GUI thread (every `Tasks` is made there)."""
    global _relay  # noqa: PLW0603 - one per application
    if _relay is None:
        _relay = _Relay(QCoreApplication.instance())
    return _relay


class JobFailed:
    """A job raised: the exception, for its owner to put into words (it is already logged)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Tasks(QObject):
    """Runs jobs off the GUI thread, one running job per key; results as `done(key, result)`."""

    done = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._current: dict[Hashable, int] = {}  # key -> token of the job whose result counts
        self._finished: dict[int, tuple[Hashable, object, Dropped | None]] = {}
        self._dropped: dict[int, Dropped | None] = {}
        self._closed = False
        _the_relay().finished.connect(self._deliver)

    def running(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._current

    def submit(
        self,
        key: Hashable,
        job: Callable[[], object],
        *,
        dropped: Dropped | None = None,
        name: str = "balance-desk-task",
    ) -> bool:
        """Start `job`; a job already running under `key` is abandoned. False once closed."""
        token = next(_tokens)
        with self._lock:
            if self._closed:
                return False
            self._current[key] = token
            self._dropped[token] = dropped
        relay = _the_relay()

        def work() -> None:
            try:
                result: object = job()
            except Exception as exc:  # a bug must not end the thread silently
                log.exception("A background job (%s) failed unexpectedly", name)
                result = JobFailed(exc)
            with self._lock:
                wanted = self._current.get(key) == token and not self._closed
                on_drop = self._dropped.pop(token, None)
                if wanted:
                    self._finished[token] = (key, result, on_drop)
            if not wanted:
                _drop(on_drop, result)
                return
            with contextlib.suppress(RuntimeError):  # the application is already gone
                relay.finished.emit(token)

        threading.Thread(target=work, name=name, daemon=True).start()
        return True

    def cancel(self, key: Hashable) -> None:
        """Abandon the job running under `key`, if any."""
        with self._lock:
            token = self._current.pop(key, None)
            waiting = self._finished.pop(token, None) if token is not None else None
        if waiting is not None:
            _drop(waiting[2], waiting[1])

    def close(self) -> None:
        """Abandon every job; nothing more is delivered or started."""
        with self._lock:
            self._closed = True
            self._current.clear()
            waiting = list(self._finished.values())
            self._finished.clear()
        for _key, result, on_drop in waiting:
            _drop(on_drop, result)

    def _deliver(self, token: int) -> None:
        with self._lock:
            entry = self._finished.pop(token, None)
            if entry is None:
                return  # another Tasks' job, or abandoned meanwhile
            key = entry[0]
            if self._current.get(key) == token:
                del self._current[key]
        self.done.emit(key, entry[1])


def _drop(on_drop: Dropped | None, result: object) -> None:
    if on_drop is None:
        return
    try:
        on_drop(result)
    except Exception:
        log.exception("Cleaning up after an abandoned job failed")
