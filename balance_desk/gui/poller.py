"""Keeps every source current: a QObject worker on a QThread schedules fetches, per source.

The worker reaches every source the same way, through a `Fetcher` (in the app the fetch process's
`FetchHost`, which does the requests, the parsing and the formatting; in tests a `SourceRunner`),
and runs each blocking call as a job of `tasks.Tasks`, the app's one way to work off the GUI
thread. A blocking request cannot be interrupted, and a slow server would otherwise hold the
poller thread, delay the other source's timer and keep `QThread.wait()` from returning on quit.
With the waiting elsewhere the poller thread only ever runs short bookkeeping, so it stops and
joins within milliseconds; a fetch still in flight at quit is abandoned and its answer dropped.
The GUI thread receives ready immutable objects and does no I/O and no parsing.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from balance_desk.fetcher.outcome import Fetcher, FetchOutcome, startup_error
from balance_desk.gui.tasks import JobFailed, Tasks
from balance_desk.model import BankResult
from balance_desk.present.updates import SourceUpdate
from balance_desk.sources.base import SourceName, now_utc
from balance_desk.sources.factory import bug_result, failed_result

log = logging.getLogger(__name__)

SOURCE_NAMES: tuple[SourceName, ...] = ("revolut_x", "bank")
# Backoff grows from the source's interval up to this (or the interval, if longer).
BACKOFF_CAP_S = 3600.0
CRYPTO_MIN_INTERVAL_S = 5.0
_START = "__start__"

# Makes the fetcher (cheaply: `Fetcher.start()`, run off the GUI thread, does the slow part).
FetcherFactory = Callable[[], Fetcher]


def next_delay(
    interval_s: float,
    failures: int,
    retry_at: datetime | None,
    now: datetime,
    rng: random.Random,
) -> float:
    """Seconds until the next background fetch.

    After `failures` failures in a row the delay doubles each time (capped), with "equal
    jitter" (half fixed, half random) so that many clients do not retry in step; a server's
    Retry-After (`retry_at`) is always honoured. Success (failures == 0) means the interval.
    """
    if failures <= 0:
        delay = interval_s
    else:
        ceiling = max(interval_s, BACKOFF_CAP_S)
        base = min(ceiling, interval_s * 2.0 ** (failures - 1))
        delay = base / 2 + rng.uniform(0, base / 2)
    if retry_at is not None:
        delay = max(delay, (retry_at - now).total_seconds())
    return max(delay, 0.0)


@dataclass
class _Slot:
    name: SourceName
    interval_s: float
    update: SourceUpdate
    ready: bool = False  # the fetcher serves this source
    timer: QTimer | None = None
    in_flight: bool = False
    failures: int = 0
    retry_at: datetime | None = None


class PollWorker(QObject):
    """Lives on the poller thread; all its state is touched only there."""

    updated = Signal(object)
    # The history's last figures, from the thread that starts the fetcher (queued to ours).
    _restored_ready = Signal(object)

    def __init__(
        self,
        factory: FetcherFactory,
        intervals: dict[SourceName, float],
        *,
        first_user_present: bool,
        rng: random.Random,
    ) -> None:
        super().__init__()
        self._factory = factory
        self._first_user_present = first_user_present
        self._rng = rng
        self._stopped = False
        self._fetcher: Fetcher | None = None
        # Guards `_fetcher` and `_closing`: close() runs on the GUI thread.
        self._fetcher_lock = threading.Lock()
        self._closing = False
        self._slots = {
            name: _Slot(name, intervals[name], SourceUpdate(source=name, state="loading"))
            for name in SOURCE_NAMES
        }
        # A child: it moves to the poller thread with the worker, and answers there.
        self.tasks = Tasks(self)
        self.tasks.done.connect(self._on_done)
        self._restored_ready.connect(self._show_restored, Qt.ConnectionType.QueuedConnection)

    # --- slots, run on the poller thread ------------------------------------------------------

    @Slot()
    def start(self) -> None:
        for slot in self._slots.values():
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda name=slot.name: self._on_timer(name))
            slot.timer = timer
            self.updated.emit(slot.update)
        factory = self._factory

        def start_fetcher() -> tuple[Fetcher, tuple[SourceName, ...]]:
            # Building the sources imports httpx and may start the fetch process; the history's
            # last figures come back first, through a queued signal, to show meanwhile.
            fetcher = factory()
            names = fetcher.start(self._restored_ready.emit)
            return fetcher, names

        self.tasks.submit(
            _START, start_fetcher, dropped=_close_started, name="balance-desk-start"
        )

    @Slot(bool)
    def refresh(self, user_present: bool) -> None:
        if self._stopped:
            return
        now = now_utc()
        for slot in self._slots.values():
            if not slot.ready or slot.in_flight:
                continue  # coalesced with the fetch already running (or the first one, pending)
            if slot.retry_at is not None and now < slot.retry_at:
                continue  # the server asked us to wait; the status bar says until when
            self._begin_fetch(slot, user_present)

    @Slot()
    def shutdown(self) -> None:
        self._stopped = True
        for slot in self._slots.values():
            if slot.timer is not None:
                slot.timer.stop()
        # Hand the worker (and its timers) back to the main thread, so that it is destroyed
        # there after this thread has finished, without cross-thread timer warnings.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        QThread.currentThread().quit()

    def close(self) -> None:
        """Quit: drop every answer still to come and stop the fetcher (never blocks). Any
        thread: the worker's state is not touched."""
        with self._fetcher_lock:
            self._closing = True
            fetcher = self._fetcher
        self.tasks.close()
        if fetcher is not None:
            fetcher.close()

    # --- internals ---------------------------------------------------------------------------

    def _on_done(self, key: object, result: object) -> None:
        if self._stopped:
            return
        if key == _START:
            self._on_started(result)
            return
        slot = self._slots[key]  # type: ignore[index]
        if isinstance(result, JobFailed):  # Fetcher.fetch never raises; this is a last resort
            result = FetchOutcome(bug_result(slot.name, result.exc), slot.update.table)
        assert isinstance(result, FetchOutcome)
        self._on_fetched(slot, result)

    def _on_started(self, result: object) -> None:
        if isinstance(result, JobFailed):
            info = startup_error(result.exc)
            for slot in self._slots.values():
                slot.update = replace(
                    slot.update,
                    state="error",
                    error=info,
                    result=failed_result(slot.name, info),
                    last_attempt_at=now_utc(),
                )
                self.updated.emit(slot.update)
            return
        assert isinstance(result, tuple)
        fetcher, names = result
        with self._fetcher_lock:
            closing = self._closing
            if not closing:
                self._fetcher = fetcher
        if closing:
            fetcher.close()
            return
        for name in names:
            slot = self._slots[name]
            slot.ready = True
            self._begin_fetch(slot, self._first_user_present)

    def _show_restored(self, restored: object) -> None:
        """The previous run's figures, shown at once, marked; the first fetch replaces them."""
        if self._stopped or not isinstance(restored, tuple):
            return
        for outcome in restored:
            slot = self._slots[outcome.result_name]
            if slot.update.state == "loading" and outcome.table is not None:
                slot.update = SourceUpdate(
                    source=slot.name, state="ok", result=outcome.result, table=outcome.table,
                    figures_at=outcome.result.fetched_at, from_history=True,
                    refreshing=True,  # its first fetch follows as soon as the sources are up
                    overview=outcome.overview,
                )
                self.updated.emit(slot.update)

    def _on_timer(self, name: SourceName) -> None:
        slot = self._slots[name]
        if not self._stopped and slot.ready and not slot.in_flight:
            self._begin_fetch(slot, user_present=False)

    def _begin_fetch(self, slot: _Slot, user_present: bool) -> None:
        fetcher = self._fetcher
        assert fetcher is not None
        name = slot.name

        def fetch() -> FetchOutcome:
            outcome: FetchOutcome = fetcher.fetch(name, user_present)
            return outcome

        if not self.tasks.submit(name, fetch, name=f"balance-desk-fetch-{name}"):
            return  # quitting
        if slot.timer is not None:
            slot.timer.stop()
        slot.in_flight = True
        slot.update = replace(slot.update, refreshing=True, next_refresh_at=None)
        self.updated.emit(slot.update)

    def _on_fetched(self, slot: _Slot, outcome: FetchOutcome) -> None:
        slot.in_flight = False
        result = outcome.result
        now = now_utc()
        figures_at = slot.update.figures_at
        partly_read = (result.status == "error" and isinstance(result, BankResult)
                       and result.read_any and outcome.table is not None)
        if partly_read:  # the accounts read are this fetch's; the others are marked
            figures_at = result.fetched_at or now
        if result.status in ("ok", "quota"):
            slot.failures = 0
            slot.retry_at = None
            if result.status == "ok":  # quota: nothing was read, the figures keep their time
                figures_at = result.fetched_at or now
        elif result.status == "not_configured":
            slot.failures = 0
            slot.retry_at = None
            figures_at = None
        else:
            slot.failures += 1
            slot.retry_at = result.error.retry_at if result.error else None
        delay = next_delay(slot.interval_s, slot.failures, slot.retry_at, now, self._rng)
        next_at = now + timedelta(seconds=delay)
        if slot.timer is not None:
            slot.timer.start(int(min(delay, 2**31 / 1000 - 1) * 1000))
        slot.update = SourceUpdate(
            source=slot.name,
            state="ok" if result.status == "quota" else result.status,
            refreshing=False,
            result=result,
            table=outcome.table,
            figures_at=figures_at,
            last_attempt_at=now,
            next_refresh_at=next_at,
            error=result.error if result.status == "error" else None,
            failures=slot.failures,
            configured=result.status != "not_configured",
            overview=outcome.overview,
            partly_read=partly_read,
        )
        self.updated.emit(slot.update)


def _close_started(result: object) -> None:
    """The fetcher came up after quit: stop it again."""
    if isinstance(result, tuple):
        result[0].close()


class Poller(QObject):
    """The GUI thread's handle on the worker: start, refresh, stop, and the latest updates."""

    updated = Signal(object)
    _start_requested = Signal()
    _refresh_requested = Signal(bool)
    _shutdown_requested = Signal()

    def __init__(
        self,
        factory: FetcherFactory,
        *,
        crypto_interval_s: float = 30,
        bank_interval_s: float = 6 * 3600,
        first_user_present: bool = True,
        rng: random.Random | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("balance-desk-poller")
        self._worker = PollWorker(
            factory,
            {
                "revolut_x": max(float(crypto_interval_s), CRYPTO_MIN_INTERVAL_S),
                "bank": float(bank_interval_s),
            },
            first_user_present=first_user_present,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not secrecy
        )
        self._worker.moveToThread(self._thread)
        self._start_requested.connect(self._worker.start)
        self._refresh_requested.connect(self._worker.refresh)
        self._shutdown_requested.connect(self._worker.shutdown)
        self._worker.updated.connect(self._on_updated)
        self._latest: dict[SourceName, SourceUpdate] = {}
        self._started = False
        self._stopped = False

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._thread.start()
        self._start_requested.emit()

    def refresh(self, user_present: bool = True) -> None:
        """Fetch every source now, unless a fetch is already running (then that one counts)."""
        if self._started and not self._stopped:
            self._refresh_requested.emit(user_present)

    def latest(self, name: SourceName) -> SourceUpdate | None:
        return self._latest.get(name)

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop polling and join the thread; True when it finished within `timeout_s`."""
        if self._stopped:
            return True
        self._stopped = True
        # From here no answer reaches the worker, and the fetcher stops: in the app, the fetch
        # process is told to leave at once, which also ends a fetch waiting on it.
        self._worker.close()
        if not self._started:
            return True
        self._shutdown_requested.emit()
        joined = self._thread.wait(int(timeout_s * 1000))
        if not joined:  # pragma: no cover - the worker never blocks; kept as a last resort
            log.error("The poller thread did not stop within %.1f s", timeout_s)
            self._thread.terminate()
            self._thread.wait()
        return joined

    def _on_updated(self, update: SourceUpdate) -> None:
        if self._stopped:
            return
        self._latest[update.source] = update
        self.updated.emit(update)
