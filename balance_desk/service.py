"""Builds sources from settings and credentials and turns their fetches into one Snapshot.

Used by the CLI and the GUI poller alike, so both see the same behaviour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    # The GUI imports this module for `SourceName` before its first paint; pydantic (through
    # the model) is imported only once a snapshot is really built.
    from balance_desk.model import BankResult, RevolutXResult, Snapshot

SourceName = Literal["revolut_x", "bank"]


class Source(Protocol):
    """One API. `fetch` never raises a SourceError: failures come back inside the result."""

    name: SourceName

    def is_configured(self) -> bool: ...

    def fetch(self, *, user_present: bool) -> RevolutXResult | BankResult: ...

    def close(self) -> None: ...


def now_utc() -> datetime:
    return datetime.now(UTC)


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
