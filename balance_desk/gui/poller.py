"""Keeps every source current: a QObject worker on a QThread schedules fetches, per source.

Why each fetch runs on its own short-lived daemon thread rather than on the poller thread: a
blocking httpx request cannot be interrupted, and a slow server (or one that never answers
until the timeout) would otherwise hold the poller thread, delay the other source's timer and
keep `QThread.wait()` from returning on quit. With the I/O elsewhere the poller thread only
ever runs short bookkeeping, so it stops and joins within milliseconds; a fetch still in flight
at quit is abandoned, its result is dropped by the closed mailbox, and the fetch thread closes
its own source when the request ends. Rows are formatted on the fetch thread too, so the GUI
thread receives ready immutable objects and does no I/O and no parsing.

In the app the sources are `HostedSource`s (hosted.py): the fetch thread only waits for the fetch
process, which does the requests, the parsing and the formatting, and unpickles its answer.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from balance_desk.gui.fetching import (
    FetchOutcome,
    TableBuilder,
    build_table,
    failed_result,
    kept_table,
    run_fetch,
    startup_error,
)
from balance_desk.gui.formatting import NumberFormat
from balance_desk.gui.hosted import HostedSource
from balance_desk.gui.snapshots import SourceUpdate, TableData
from balance_desk.service import Source, SourceName, now_utc

log = logging.getLogger(__name__)

SOURCE_NAMES: tuple[SourceName, ...] = ("revolut_x", "bank")
# Backoff grows from the source's interval up to this (or the interval, if longer).
BACKOFF_CAP_S = 3600.0
CRYPTO_MIN_INTERVAL_S = 5.0
_START = "__start__"

Cleanup = Callable[[], None]
SourceFactory = Callable[[], "tuple[list[Source], Cleanup | None]"]


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


class _Mailbox:
    """Hands results from fetch threads to the worker; once closed, nothing more gets through.

    It also tracks which fetches are running, so that on quit the poller knows which sources
    are idle (closed at once) and which are mid-request (closed by their own fetch thread)."""

    def __init__(self, deliver: Callable[[str, object], None]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self._closed = False
        self._running: set[str] = set()
        self.sources: list[Source] = []
        self.cleanup: Cleanup | None = None
        self.retirement: _Retirement | None = None

    def begin(self, name: str) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._running.add(name)
            return True

    def finish(self, name: str, payload: object) -> bool:
        with self._lock:
            self._running.discard(name)
            if self._closed:
                return False
            self._deliver(name, payload)
            return True

    def started(self, sources: list[Source], cleanup: Cleanup | None) -> bool:
        with self._lock:
            if self._closed:
                return False
            self.sources = sources
            self.cleanup = cleanup
            self._deliver(_START, sources)
            return True

    def close(self) -> set[str]:
        """Returns the names of the sources whose fetch is still running."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.retirement = _Retirement(len(self.sources), self.cleanup)
            return set(self._running)

    def retire_late(self, source: Source) -> None:
        """A fetch thread finished after quit: close its source (it was not closed at quit)."""
        assert self.retirement is not None  # set under the lock before finish() returned False
        self.retirement.retire(source)


class _Retirement:
    """Closes sources as they become idle, then runs the cleanup (stopping the demo servers)."""

    def __init__(self, count: int, cleanup: Cleanup | None) -> None:
        self._lock = threading.Lock()
        self._left = count
        self._cleanup = cleanup
        if count == 0:
            self._run_cleanup()

    def retire(self, source: Source) -> None:
        try:
            source.close()
        except Exception:
            log.exception("Closing the %s source failed", source.name)
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self._run_cleanup()

    def _run_cleanup(self) -> None:
        if self._cleanup is not None:
            try:
                self._cleanup()
            except Exception:
                log.exception("Cleaning up after the sources failed")


@dataclass(frozen=True, slots=True)
class _FetchJob:
    mailbox: _Mailbox
    source: Source
    user_present: bool
    previous: TableData | None
    number: NumberFormat
    builder: TableBuilder


def _fetch_job(job: _FetchJob) -> None:
    source = job.source
    if isinstance(source, HostedSource):  # fetched and formatted in the fetch process
        outcome = source.fetch_outcome(job.user_present)
    else:
        outcome = run_fetch(source, job.user_present, job.number, job.previous, job.builder)
    if not job.mailbox.finish(source.name, outcome):
        job.mailbox.retire_late(source)


@dataclass
class _Slot:
    name: SourceName
    interval_s: float
    update: SourceUpdate
    source: Source | None = None
    timer: QTimer | None = None
    in_flight: bool = False
    failures: int = 0
    retry_at: datetime | None = None
    good_table: TableData | None = None


class PollWorker(QObject):
    """Lives on the poller thread; all its state is touched only there."""

    updated = Signal(object)
    _delivered = Signal(str, object)

    def __init__(
        self,
        factory: SourceFactory,
        intervals: dict[SourceName, float],
        *,
        first_user_present: bool,
        number: NumberFormat,
        rng: random.Random,
        builder: TableBuilder = build_table,
    ) -> None:
        super().__init__()
        self._factory = factory
        self._first_user_present = first_user_present
        self._number = number
        self._rng = rng
        self._builder = builder
        self._stopped = False
        self._slots = {
            name: _Slot(name, intervals[name], SourceUpdate(source=name, state="loading"))
            for name in SOURCE_NAMES
        }
        self.mailbox = _Mailbox(self._delivered.emit)
        self._delivered.connect(self._on_delivered)

    # --- slots, run on the poller thread ------------------------------------------------------

    @Slot()
    def start(self) -> None:
        for slot in self._slots.values():
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda name=slot.name: self._on_timer(name))
            slot.timer = timer
            self.updated.emit(slot.update)
        threading.Thread(target=self._start_sources, name="balance-desk-start", daemon=True).start()

    @Slot(bool)
    def refresh(self, user_present: bool) -> None:
        if self._stopped:
            return
        now = now_utc()
        for slot in self._slots.values():
            if slot.source is None or slot.in_flight:
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

    # --- internals ---------------------------------------------------------------------------

    def _start_sources(self) -> None:
        """On a daemon thread: building sources imports httpx and may start the demo servers."""
        try:
            sources, cleanup = self._factory()
        except Exception as exc:
            log.exception("Could not set up the sources")
            self.mailbox.finish(_START, exc)
            return
        if not self.mailbox.started(sources, cleanup):
            retirement = _Retirement(len(sources), cleanup)
            for source in sources:
                retirement.retire(source)

    def _on_delivered(self, name: str, payload: object) -> None:
        if self._stopped:
            return
        if name == _START:
            self._on_started(payload)
            return
        slot = self._slots[name]  # type: ignore[index]
        assert isinstance(payload, FetchOutcome)
        self._on_fetched(slot, payload)

    def _on_started(self, payload: object) -> None:
        if isinstance(payload, BaseException):
            info = startup_error(payload)
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
        assert isinstance(payload, list)
        for source in payload:
            slot = self._slots[source.name]
            slot.source = source
            self._begin_fetch(slot, self._first_user_present)

    def _on_timer(self, name: SourceName) -> None:
        slot = self._slots[name]
        if not self._stopped and slot.source is not None and not slot.in_flight:
            self._begin_fetch(slot, user_present=False)

    def _begin_fetch(self, slot: _Slot, user_present: bool) -> None:
        source = slot.source
        assert source is not None
        if not self.mailbox.begin(slot.name):
            return  # quitting
        if slot.timer is not None:
            slot.timer.stop()
        slot.in_flight = True
        slot.update = replace(slot.update, refreshing=True, next_refresh_at=None)
        self.updated.emit(slot.update)
        threading.Thread(
            target=_fetch_job,
            args=(
                _FetchJob(
                    self.mailbox,
                    source,
                    user_present,
                    slot.good_table,
                    self._number,
                    self._builder,
                ),
            ),
            name=f"balance-desk-fetch-{slot.name}",
            daemon=True,
        ).start()

    def _on_fetched(self, slot: _Slot, outcome: FetchOutcome) -> None:
        slot.in_flight = False
        result = outcome.result
        now = now_utc()
        table = slot.good_table = kept_table(slot.good_table, outcome)
        figures_at = slot.update.figures_at
        if result.status == "ok":
            slot.failures = 0
            slot.retry_at = None
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
            state=result.status,
            refreshing=False,
            result=result,
            table=table,
            figures_at=figures_at,
            last_attempt_at=now,
            next_refresh_at=next_at,
            error=result.error if result.status == "error" else None,
            failures=slot.failures,
            configured=result.status != "not_configured",
        )
        self.updated.emit(slot.update)

    def retire_idle_sources(self, running: Iterable[str]) -> None:
        """After quit: close the sources that were idle; busy ones close when they finish."""
        busy = set(running)
        retirement = self.mailbox.retirement
        assert retirement is not None
        for source in self.mailbox.sources:
            if source.name not in busy:
                retirement.retire(source)
            elif isinstance(source, HostedSource):
                # Its fetch process stops now, which ends the waiting fetch thread at once; that
                # thread then retires the source as usual.
                source.close()


class Poller(QObject):
    """The GUI thread's handle on the worker: start, refresh, stop, and the latest updates."""

    updated = Signal(object)
    _start_requested = Signal()
    _refresh_requested = Signal(bool)
    _shutdown_requested = Signal()

    def __init__(
        self,
        factory: SourceFactory,
        *,
        crypto_interval_s: float = 30,
        bank_interval_s: float = 6 * 3600,
        first_user_present: bool = True,
        number: NumberFormat | None = None,
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
            number=number or NumberFormat.system(),
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
        running = self._worker.mailbox.close()
        if not self._started:
            return True
        self._shutdown_requested.emit()
        joined = self._thread.wait(int(timeout_s * 1000))
        if not joined:  # pragma: no cover - the worker never blocks; kept as a last resort
            log.error("The poller thread did not stop within %.1f s", timeout_s)
            self._thread.terminate()
            self._thread.wait()
        self._worker.retire_idle_sources(running)
        return joined

    def _on_updated(self, update: SourceUpdate) -> None:
        if self._stopped:
            return
        self._latest[update.source] = update
        self.updated.emit(update)
