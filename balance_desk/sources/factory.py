"""Builds the sources from settings and credentials, and turns their fetches into one Snapshot.

Used by the CLI, the fetch process and the connection checks alike, so all see the same
behaviour.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.sources.base import Source, SourceName, now_utc

if TYPE_CHECKING:
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.model import BankResult, ErrorInfo, RevolutXResult, Snapshot


def build_sources(
    store: CredentialStore,
    settings: Settings,
    which: str = "all",
    directory: Path | None = None,
) -> list[Source]:
    """The sources `which` names ("revolut-x", "bank" or "all"); `directory` holds the bank's
    quota ledger and account cache (default: the data directory)."""
    from balance_desk.paths import data_dir
    from balance_desk.sources.http import Deadlines
    from balance_desk.sources.open_banking.source import OpenBankingSource
    from balance_desk.sources.revolut_x.source import RevolutXSource

    deadlines = Deadlines(settings.request_deadline_s, settings.fetch_deadline_s)
    sources: list[Source] = []
    if which in ("revolut-x", "all"):
        sources.append(RevolutXSource(store, settings.revolut_x, deadlines=deadlines))
    if which in ("bank", "all"):
        from balance_desk.sources.open_banking.connections import BankConnections

        folder = directory or data_dir()
        # Without any connection, the first bank's place still answers "not set up" (or says
        # which file is missing when tokens are stored without them).
        connections = settings.connections() or [settings.bank]
        sources.append(BankConnections([
            OpenBankingSource(store, connection, folder, deadlines=deadlines)
            for connection in connections
        ]))
    return sources


def fetch_snapshot(sources: list[Source], *, user_present: bool = True) -> Snapshot:
    """Fetch every source at once; one slow source never delays the other's request."""
    from concurrent.futures import ThreadPoolExecutor

    from balance_desk.model import BankResult, RevolutXResult, Snapshot

    with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
        futures = {s.name: pool.submit(s.fetch, user_present=user_present) for s in sources}
        results = {name: _result(name, future) for name, future in futures.items()}
    crypto = results.get("revolut_x")
    bank = results.get("bank")
    return Snapshot(
        fetched_at=now_utc(),
        revolut_x=crypto if isinstance(crypto, RevolutXResult) else None,
        bank=bank if isinstance(bank, BankResult) else None,
    )


def failed_result(name: SourceName, error: ErrorInfo) -> RevolutXResult | BankResult:
    """A failed result for source `name`, as that source would report it."""
    from balance_desk.model import BankResult, RevolutXResult

    if name == "revolut_x":
        return RevolutXResult(status="error", error=error, fetched_at=now_utc())
    return BankResult(status="error", error=error, fetched_at=now_utc())


def bug_result(name: SourceName, exc: BaseException) -> RevolutXResult | BankResult:
    """A bug that escaped source `name` (or the work around it): that source's failure alone,
    in words; the traceback goes to the log."""
    from balance_desk.errors import InternalError

    logging.getLogger(__name__).error(
        "The %s source failed unexpectedly", name, exc_info=(type(exc), exc, exc.__traceback__)
    )
    service = "Revolut X" if name == "revolut_x" else "the bank"
    return failed_result(name, InternalError.from_bug(exc, service).to_info())


def _result(name: SourceName, future: Future[RevolutXResult | BankResult]) -> object:
    """The source's result; a bug that escaped it fails that source alone."""
    try:
        return future.result()
    except Exception as exc:
        return bug_result(name, exc)
