"""The immutable objects that cross from the fetch side to the GUI thread (and the tray): a
source's table, ready to show, and everything the window shows about a source at one moment."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from balance_desk.present.rows import TableRow
from balance_desk.sources.base import SourceName

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import BankResult, ErrorInfo, RevolutXResult
    from balance_desk.present.overview import OverviewData

SourceState = Literal["loading", "ok", "error", "not_configured"]

SOURCE_TITLES: dict[SourceName, str] = {"revolut_x": "Revolut X", "bank": "Bank"}


@dataclass(frozen=True, slots=True)
class TotalLine:
    currency: str
    label: str
    amount: Decimal
    text: str


_serials = itertools.count(1)


def _next_serial() -> tuple[int, int]:
    return os.getpid(), next(_serials)


@dataclass(frozen=True, slots=True)
class TableData:
    """Rows and totals ready to show, built where the fetch runs (the fetch process)."""

    rows: tuple[TableRow, ...]
    totals: tuple[TotalLine, ...]
    # Accounts whose figures are carried over from an earlier refresh (bank only).
    stale_rows: int = 0
    # Which table this is, kept across the fetch process's pipe (where identity is lost): the
    # window shows a table again only when the serial changes, not when a failed refresh
    # brings back the same last good table.
    serial: tuple[int, int] = field(default_factory=_next_serial, compare=False)


@dataclass(frozen=True, slots=True)
class SourceUpdate:
    """Everything the window shows about one source at one moment."""

    source: SourceName
    state: SourceState
    refreshing: bool = False
    # The latest finished fetch (successful or not).
    result: RevolutXResult | BankResult | None = None
    # The figures to show: from the latest success, which may be older than `result`.
    table: TableData | None = None
    figures_at: datetime | None = None
    last_attempt_at: datetime | None = None
    next_refresh_at: datetime | None = None
    error: ErrorInfo | None = None
    failures: int = 0
    configured: bool = True
    # Every balance valued in the base currency, as of this source's latest fetch.
    overview: OverviewData | None = None
    # The figures are the previous run's, from the history, until the first fetch answers.
    from_history: bool = False
    # The latest fetch failed for some accounts only (one bank of several, one account): the
    # table is that fetch's, the unread accounts' rows carry their last figures, each marked.
    partly_read: bool = False

    @property
    def title(self) -> str:
        return SOURCE_TITLES[self.source]

    @property
    def stale(self) -> bool:
        """Figures are on screen but the latest attempt to refresh them failed (wholly: a
        partly read table marks its unread rows itself)."""
        shown = self.table is not None and bool(self.table.rows)
        return shown and ((self.state == "error" and not self.partly_read) or self.from_history)

    @property
    def unread_accounts(self) -> tuple[int, int]:
        """(accounts not read, accounts in all) of a partly read bank; (0, 0) otherwise."""
        from balance_desk.model import BankResult

        result = self.result
        if not self.partly_read or not isinstance(result, BankResult):
            return 0, 0
        return sum(a.status != "ok" for a in result.accounts), len(result.accounts)

    @property
    def done(self) -> bool:
        """At least one fetch has finished (whatever its outcome)."""
        return self.state != "loading"
