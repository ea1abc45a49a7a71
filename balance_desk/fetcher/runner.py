"""Runs sources in this process and keeps each one's last good table: the fetch process's
engine (`child.py`), and the poller's fetcher in tests that bring their own sources.

The last good table lives here and only here: a failed refresh answers with it (shown marked
stale), and the bank's next table is built on it (accounts the bank did not refresh this time
keep their figures, marked as such).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from balance_desk.fetcher.outcome import FetchOutcome, TableBuilder, build_table, run_fetch
from balance_desk.sources.factory import failed_result

if TYPE_CHECKING:
    from collections.abc import Callable

    from balance_desk.present.formatting import NumberFormat
    from balance_desk.present.updates import TableData
    from balance_desk.sources.base import Source, SourceName

log = logging.getLogger(__name__)


def kept_table(previous: TableData | None, outcome: FetchOutcome) -> TableData | None:
    """The table to show (and to build the next one on) after `outcome`: the new one on
    success, none once the keys are gone (figures of an account we can no longer read must go),
    else the last good one, which stays on screen marked stale."""
    status = outcome.result.status
    if status == "ok":
        return outcome.table
    if status == "not_configured":
        return None
    return previous


class SourceRunner:
    """A `Fetcher` over sources in this process. Each source fetches on its caller's thread, so
    the two sources never wait for each other; `close()` closes idle sources at once and busy
    ones when their fetch ends, then runs `cleanup` (stopping the demo servers)."""

    def __init__(
        self,
        sources: list[Source],
        number: NumberFormat,
        cleanup: Callable[[], None] | None = None,
        builder: TableBuilder = build_table,
    ) -> None:
        self._sources: dict[SourceName, Source] = {s.name: s for s in sources}
        self._number = number
        self._cleanup = cleanup
        self._builder = builder
        self._lock = threading.Lock()
        self._tables: dict[SourceName, TableData | None] = {}
        self._busy: set[SourceName] = set()
        self._open = set(self._sources)
        self._closed = False

    @property
    def names(self) -> tuple[SourceName, ...]:
        return tuple(self._sources)

    def start(self) -> tuple[SourceName, ...]:
        return self.names

    def configured(self) -> tuple[tuple[SourceName, bool], ...]:
        return tuple((name, s.is_configured()) for name, s in self._sources.items())

    def fetch(self, name: SourceName, user_present: bool) -> FetchOutcome:
        from balance_desk.model import ErrorInfo

        with self._lock:
            if self._closed:
                info = ErrorInfo(kind="protocol", message="Balance Desk is quitting.")
                return FetchOutcome(failed_result(name, info), None)
            self._busy.add(name)
            previous = self._tables.get(name)
        source = self._sources[name]
        outcome = run_fetch(source, user_present, self._number, previous, self._builder)
        with self._lock:
            table = self._tables[name] = kept_table(previous, outcome)
            self._busy.discard(name)
            retire = self._closed
        if retire:
            self._retire(name)
        return FetchOutcome(outcome.result, table)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            idle = [name for name in self._sources if name not in self._busy]
        for name in idle:
            self._retire(name)
        if not self._sources:
            self._run_cleanup()

    def _retire(self, name: SourceName) -> None:
        source = self._sources[name]
        try:
            source.close()
        except Exception:
            log.exception("Closing the %s source failed", name)
        with self._lock:
            self._open.discard(name)
            last = not self._open
        if last:
            self._run_cleanup()

    def _run_cleanup(self) -> None:
        if self._cleanup is not None:
            cleanup, self._cleanup = self._cleanup, None
            try:
                cleanup()
            except Exception:
                log.exception("Cleaning up after the sources failed")
