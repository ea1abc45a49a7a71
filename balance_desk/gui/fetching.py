"""What one fetch yields: the result and its rows, ready to show.

Qt-free, because it runs wherever the fetch runs: on a fetch thread in tests and in the fetch
process (`fetch_host`) in the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from balance_desk.gui.formatting import NumberFormat
from balance_desk.gui.snapshots import TableData
from balance_desk.service import Source, SourceName, now_utc

if TYPE_CHECKING:
    from balance_desk.model import BankResult, ErrorInfo, RevolutXResult

log = logging.getLogger("balance_desk.gui.poller")

SourceResult: TypeAlias = "RevolutXResult | BankResult"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    result: SourceResult
    table: TableData | None


TableBuilder = Callable[
    ["RevolutXResult | BankResult", NumberFormat, "TableData | None"], "TableData | None"
]


def build_table(
    result: SourceResult, number: NumberFormat, previous: TableData | None
) -> TableData | None:
    """Rows for a successful result; None when there is nothing new to show."""
    from balance_desk.model import RevolutXResult

    if result.status != "ok":
        return None
    if isinstance(result, RevolutXResult):
        from balance_desk.gui.crypto_table import build_crypto_table

        return build_crypto_table(result, number)
    from balance_desk.gui.bank_table import build_bank_table

    return build_bank_table(result, number, previous)


def failed_result(name: SourceName, error: ErrorInfo) -> SourceResult:
    from balance_desk.model import BankResult, RevolutXResult

    if name == "revolut_x":
        return RevolutXResult(status="error", error=error, fetched_at=now_utc())
    return BankResult(status="error", error=error, fetched_at=now_utc())


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


def run_fetch(
    source: Source,
    user_present: bool,
    number: NumberFormat,
    previous: TableData | None,
    builder: TableBuilder = build_table,
) -> FetchOutcome:
    """Fetch and build rows; never raises, so that a bug cannot end the polling."""
    name = source.name
    try:
        result = source.fetch(user_present=user_present)
        table = builder(result, number, previous)
    except Exception as exc:
        from balance_desk.model import ErrorInfo

        log.exception("Fetching %s failed unexpectedly", name)
        result = failed_result(
            name,
            ErrorInfo(
                kind="protocol",
                message=f"Balance Desk hit an unexpected problem ({type(exc).__name__}); "
                "details are in the log file.",
            ),
        )
        table = None
    return FetchOutcome(result, table)


class SetupError(Exception):
    """The sources could not be set up, as already put into words (by the fetch process)."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


def startup_error(exc: BaseException) -> ErrorInfo:
    from balance_desk.model import ErrorInfo
    from balance_desk.sources.errors import SourceError

    if isinstance(exc, SetupError):
        return exc.info
    if isinstance(exc, SourceError):
        return exc.to_info()
    return ErrorInfo(
        kind="config",
        message=f"Balance Desk could not set up its sources ({type(exc).__name__}: {exc}).",
    )
