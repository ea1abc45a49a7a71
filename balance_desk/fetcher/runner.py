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

from balance_desk.fetcher.outcome import (
    FetchOutcome,
    RestoredSink,
    SourceResult,
    TableBuilder,
    build_table,
    partly_read,
    result_currencies,
    run_fetch,
)
from balance_desk.sources.factory import failed_result

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import Future
    from datetime import datetime
    from pathlib import Path

    from balance_desk.history import History
    from balance_desk.model import BankAccount, BankBalance, CryptoBalance
    from balance_desk.present.formatting import NumberFormat
    from balance_desk.present.overview import OverviewData
    from balance_desk.present.updates import TableData
    from balance_desk.sources.base import Source, SourceName
    from balance_desk.sources.rates.book import RateBook
    from balance_desk.valuation import Prices

log = logging.getLogger(__name__)


def holdings(
    table: TableData | None,
) -> tuple[list[CryptoBalance], list[tuple[BankAccount, list[BankBalance]]]]:
    """What a table shows, as balances: crypto rows and bank accounts (carried-over ones too),
    so that the valuation values exactly the figures on screen."""
    from balance_desk.model import CryptoBalance
    from balance_desk.present.bank_table import bank_holdings

    if table is None:
        return [], []
    crypto = [row.payload for row in table.rows if isinstance(row.payload, CryptoBalance)]
    return crypto, bank_holdings(table.rows)


def _with(known: Prices | None, fresh: Prices) -> Prices:
    from balance_desk.valuation import Prices, merged

    if known is None or known.base != fresh.base:
        return fresh
    return Prices(fresh.base, merged(known.inputs, fresh.inputs))


def kept_table(previous: TableData | None, outcome: FetchOutcome) -> TableData | None:
    """The table to show (and to build the next one on) after `outcome`: the new one on
    success, none once the keys are gone (figures of an account we can no longer read must go),
    else the last good one, which stays on screen marked stale."""
    status = outcome.result.status
    if status in ("ok", "quota"):  # quota: the accounts keep their figures, marked as such
        return outcome.table
    if partly_read(outcome):  # the fresh figures show beside the unread accounts' last ones
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
        *,
        rates: RateBook | None = None,
        prefetched: Mapping[str, Future[object]] | None = None,
        history: History | None = None,
        glance: Path | None = None,
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
        # Values every balance in one currency; without it there is no Overview.
        self._rates = rates
        self._last_prices: Prices | None = None
        self._value_lock = threading.Lock()
        # First fetches started before the window asked (the process was started early): each
        # answers the first user-present fetch of its source.
        self._prefetched = dict(prefetched or {})
        self._history = history
        # The last figures as text, for the next start's first paint (present/glance.py).
        self._glance_path = glance
        self._glance_text = ""
        self._glance_failed = False
        self._glance_lock = threading.Lock()
        self._figures_at: dict[SourceName, datetime] = {}

    @property
    def names(self) -> tuple[SourceName, ...]:
        return tuple(self._sources)

    def start(self, restored: RestoredSink | None = None) -> tuple[SourceName, ...]:
        if restored is not None:
            restored(self.restored())
        return self.names

    def restored(self) -> tuple[FetchOutcome, ...]:
        """Each source's last figures from the history (the previous run's), as tables to
        paint before any request; they are also the last good tables until a fetch succeeds.
        Nothing when there is no history or it cannot be read."""
        if self._history is None:
            return ()
        from balance_desk.model import BankResult, RevolutXResult
        from balance_desk.valuation import Prices, RateInputs

        try:
            documents = self._history.last_documents()
            rates = self._history.last_rates()
        except Exception:
            log.exception("Reading the last figures from the history failed")
            return ()
        prices = None
        if rates is not None and self._rates is not None:
            try:  # the last run's rates value the last figures until this run's arrive
                prices = Prices(self._rates.base, RateInputs.from_json(rates))
            except (ValueError, KeyError, TypeError, ArithmeticError):
                log.warning("The rates kept in the history are unreadable")
        outcomes = []
        for name, document in documents.items():
            if name not in self._sources:
                continue
            kind = RevolutXResult if name == "revolut_x" else BankResult
            try:
                result = kind.model_validate_json(document)
                table = self._builder(result, self._number, None, prices)
            except Exception:  # a damaged or older document: that source waits for a fetch
                log.warning("The last %s figures in the history are unreadable", name)
                continue
            with self._lock:
                if self._tables.get(name) is None:
                    self._tables[name] = table
                    if result.fetched_at is not None:
                        self._figures_at[name] = result.fetched_at
            outcomes.append(FetchOutcome(result, table))
        if prices is not None and outcomes:
            with self._lock:
                self._last_prices = prices
            overview = self._overview()
            outcomes = [FetchOutcome(o.result, o.table, overview) for o in outcomes]
        return tuple(outcomes)

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
        lookup = None if self._rates is None else self._price_lookup(name)
        with self._lock:
            early = self._prefetched.pop(name, None) if user_present else None
        outcome, prices = run_fetch(
            source, user_present, self._number, previous, self._builder, prices=lookup,
            fetched=None if early is None else early.result,
        )
        self._record(name, outcome.result, prices)
        with self._lock:
            table = self._tables[name] = kept_table(previous, outcome)
            self._busy.discard(name)
            retire = self._closed
            self._note_figures_at(name, outcome)
        overview = self._overview()
        self._keep_glance(overview)
        if retire:
            self._retire(name)
        return FetchOutcome(outcome.result, table, overview)

    def _note_figures_at(self, name: SourceName, outcome: FetchOutcome) -> None:
        """When the figures shown for `name` were fetched (under the lock)."""
        result = outcome.result
        if result.status == "not_configured":
            self._figures_at.pop(name, None)
        elif result.fetched_at is not None and (result.status == "ok" or partly_read(outcome)):
            self._figures_at[name] = result.fetched_at

    def _keep_glance(self, overview: OverviewData | None) -> None:
        """The figures on screen now, as text for the next start's first paint; written only
        when they changed, and never a reason for a fetch to fail."""
        if self._glance_path is None:
            return
        from balance_desk.paths import atomic_write_text
        from balance_desk.present.glance import glance_json, make_glance

        with self._glance_lock:
            try:
                with self._lock:
                    tables, times = dict(self._tables), dict(self._figures_at)
                glance = make_glance(tables, overview, times)
                text = "" if glance is None else glance_json(glance)
                if text and text != self._glance_text:
                    atomic_write_text(self._glance_path, text)
                    self._glance_text = text
            except OSError as exc:  # a read-only data folder: said once, not every refresh
                if not self._glance_failed:
                    log.warning("The last figures cannot be kept for the next start (%s); the "
                                "next start shows them a moment later, from the history.", exc)
                self._glance_failed = True
            except Exception:
                log.exception("Keeping the last figures for the next start failed")
            else:
                self._glance_failed = False

    def _record(self, name: SourceName, result: SourceResult, prices: Prices | None) -> None:
        """A successful fetch (or the part of a bank fetch that was read) into the history; a
        history that fails is logged, never more."""
        if self._history is None or result.fetched_at is None:
            return
        from balance_desk.history import result_lines, unread_keys

        unread = unread_keys(result)
        if unread is None:
            return
        # The next start paints the last document: only a whole answer replaces it.
        document = result.model_dump_json() if result.status == "ok" else None
        try:
            self._history.record(name, result.fetched_at, result_lines(result, prices),
                                 document=document, carried=unread)
            if prices is not None:
                self._history.keep_rates(prices.inputs.to_json())
        except Exception:
            log.exception("Recording the %s refresh in the history failed", name)

    # --- valuation ------------------------------------------------------------------------------

    def _price_lookup(self, name: SourceName) -> Callable[[SourceResult], Prices]:
        """Prices for a fresh result of `name` and for what the other source holds."""
        rates = self._rates
        assert rates is not None

        def lookup(result: SourceResult) -> Prices:
            with self._lock:
                # A bank that read only some accounts carries the others' last rows: their
                # currencies need rates too.
                others = [t for n, t in self._tables.items()
                          if n != name or result.status == "error"]
            held = result_currencies(result)
            for table in others:
                crypto, bank = holdings(table)
                held += [b.currency for b in crypto if b.total != 0]
                held += [b.currency for _, balances in bank for b in balances]
            fresh = rates.prices(held)
            with self._lock:
                # What earlier refreshes learned stays (the other source's pairs, the last
                # prices of a source failing now), so the table and the Overview agree.
                self._last_prices = _with(self._last_prices, fresh)
                return self._last_prices

        return lookup

    def _overview(self) -> OverviewData | None:
        """Every table shown right now, valued. One at a time, on the newest tables: a later
        overview (the window keeps the newest) never comes from older tables."""
        if self._rates is None:
            return None
        with self._value_lock, self._lock:
            tables = dict(self._tables)
            prices = self._last_prices
            return self._value(tables, prices)

    def _value(
        self, tables: Mapping[SourceName, TableData | None], prices: Prices | None
    ) -> OverviewData | None:
        assert self._rates is not None
        from balance_desk.present.overview import build_overview
        from balance_desk.sources.base import now_utc
        from balance_desk.valuation import Prices, RateInputs, value_balances

        try:
            crypto: list[CryptoBalance] = []
            bank: list[tuple[BankAccount, list[BankBalance]]] = []
            for table in tables.values():
                more_crypto, more_bank = holdings(table)
                crypto += more_crypto
                bank += more_bank
            if prices is None:
                prices = Prices(self._rates.base, RateInputs())
            now = now_utc()
            valuation = value_balances(prices, crypto, bank, computed_at=now)
            return build_overview(valuation, self._number, now)
        except Exception:
            log.exception("Valuing the balances failed")
            return None

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
        if self._history is not None:
            history, self._history = self._history, None
            try:
                history.close()
            except Exception:
                log.exception("Closing the history failed")
        if self._rates is not None:
            try:
                self._rates.close()
            except Exception:
                log.exception("Closing the rate sources failed")
        if self._cleanup is not None:
            cleanup, self._cleanup = self._cleanup, None
            try:
                cleanup()
            except Exception:
                log.exception("Cleaning up after the sources failed")
