"""Builds the sources from settings and credentials, and turns their fetches into one Snapshot.

Used by the CLI, the fetch process and the connection checks alike, so all see the same
behaviour.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.sources.base import Source, now_utc

if TYPE_CHECKING:
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.model import Snapshot


def build_sources(
    store: CredentialStore,
    settings: Settings,
    which: str = "all",
    directory: Path | None = None,
) -> list[Source]:
    """The sources `which` names ("revolut-x", "bank" or "all"); `directory` holds the bank's
    quota ledger and account cache (default: the data directory)."""
    from balance_desk.paths import data_dir
    from balance_desk.sources.open_banking.source import OpenBankingSource
    from balance_desk.sources.revolut_x.source import RevolutXSource

    sources: list[Source] = []
    if which in ("revolut-x", "all"):
        sources.append(RevolutXSource(store, settings.revolut_x))
    if which in ("bank", "all"):
        sources.append(OpenBankingSource(store, settings.bank, directory or data_dir()))
    return sources


def fetch_snapshot(sources: list[Source], *, user_present: bool = True) -> Snapshot:
    """Fetch every source at once; one slow source never delays the other's request."""
    from concurrent.futures import ThreadPoolExecutor

    from balance_desk.model import BankResult, RevolutXResult, Snapshot

    with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
        futures = {s.name: pool.submit(s.fetch, user_present=user_present) for s in sources}
        results = {name: future.result() for name, future in futures.items()}
    crypto = results.get("revolut_x")
    bank = results.get("bank")
    return Snapshot(
        fetched_at=now_utc(),
        revolut_x=crypto if isinstance(crypto, RevolutXResult) else None,
        bank=bank if isinstance(bank, BankResult) else None,
    )
