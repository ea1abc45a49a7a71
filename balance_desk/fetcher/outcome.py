"""What one fetch yields: the result and the table to show, and the one interface (`Fetcher`)
the poller fetches every source through.

Qt-free, because it runs wherever the fetch runs: in the fetch process in the app (see
`child.py`), on a worker thread in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

from balance_desk.present.formatting import NumberFormat
from balance_desk.present.updates import TableData
from balance_desk.sources.base import Source, SourceName
from balance_desk.sources.factory import bug_result

if TYPE_CHECKING:
    from balance_desk.model import BankResult, ErrorInfo, RevolutXResult
    from balance_desk.present.overview import OverviewData
    from balance_desk.valuation import Prices

SourceResult: TypeAlias = "RevolutXResult | BankResult"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """The latest result (successful or not) and the table to show after it: the new one on
    success, else the last good one (see `runner.kept_table`)."""

    result: SourceResult
    table: TableData | None

    @property
    def result_name(self) -> SourceName:
        from balance_desk.model import RevolutXResult

        return "revolut_x" if isinstance(self.result, RevolutXResult) else "bank"
    # Net worth and its parts across every source, as of this fetch (None without rates).
    overview: OverviewData | None = None


# Where a fetcher hands the history's last figures (any thread; once per start).
RestoredSink = Callable[[tuple[FetchOutcome, ...]], None]


class Fetcher(Protocol):
    """How the poller reaches every source, wherever it runs: in the fetch process
    (`parent.FetchHost`) or in this one (`runner.SourceRunner`)."""

    def start(self, restored: RestoredSink | None = None) -> tuple[SourceName, ...]:
        """Build the sources (blocking: imports, keyring, a process); the names it serves.
        Raises when they cannot be set up. `restored` is handed the last figures the history
        holds, to show before the first fetch answers, as soon as they are read: before
        anything asks the keyring, which may wait for the user to unlock it."""
        ...

    def fetch(self, name: SourceName, user_present: bool) -> FetchOutcome:
        """Fetch one source and build its table (blocking); never raises."""
        ...

    def close(self) -> None:
        """Stop; never blocks. A fetch still running ends on its own, its answer unused."""
        ...


TableBuilder = Callable[
    ["RevolutXResult | BankResult", NumberFormat, "TableData | None", "Prices | None"],
    "TableData | None",
]
# The prices to value a fresh result with (fetched beside it), or None.
PriceLookup = Callable[["RevolutXResult | BankResult"], "Prices | None"]


def build_table(
    result: SourceResult,
    number: NumberFormat,
    previous: TableData | None,
    prices: Prices | None = None,
) -> TableData | None:
    """Rows for a successful result, or a bank result that read some accounts (the others keep
    their last figures, marked stale); None when there is nothing new to show."""
    from balance_desk.model import RevolutXResult

    if isinstance(result, RevolutXResult):
        if result.status not in ("ok", "quota"):
            return None
        from balance_desk.present.crypto_table import build_crypto_table

        return build_crypto_table(result, number, prices)
    if not read_something(result):
        return None
    from balance_desk.present.bank_table import build_bank_table

    return build_bank_table(result, number, previous, prices)


def read_something(result: SourceResult) -> bool:
    """Whether `result` carries figures to show (and to value): a success, a quota pause (the
    accounts keep their figures), or a bank fetch that read some of its accounts."""
    from balance_desk.model import BankResult

    return result.status in ("ok", "quota") or (
        isinstance(result, BankResult) and result.read_any
    )


def partly_read(outcome: FetchOutcome) -> bool:
    """A fetch, as `run_fetch` gives it, that failed yet brought a table: a bank that read some
    of its accounts (one bank of several failed, or one account did). The table is this fetch's;
    the unread accounts keep their last rows, marked (`build_bank_table`). Once the runner has
    kept its last good table for a failure, the outcome it answers with has a table too: there
    the result says whether anything was read (`BankResult.read_any`)."""
    return outcome.result.status == "error" and outcome.table is not None


def result_currencies(result: SourceResult) -> list[str]:
    """The currencies a result holds a non-zero amount in (the ones worth a rate)."""
    from balance_desk.model import RevolutXResult

    if isinstance(result, RevolutXResult):
        return [b.currency for b in result.balances if b.total != 0]
    return [
        balance.currency
        for account in result.accounts
        for balance in account.balances
    ]


def run_fetch(
    source: Source,
    user_present: bool,
    number: NumberFormat,
    previous: TableData | None,
    builder: TableBuilder = build_table,
    *,
    prices: PriceLookup | None = None,
    fetched: Callable[[], object] | None = None,
) -> tuple[FetchOutcome, Prices | None]:
    """Fetch, get the rates, and build rows (the new table, or None when the fetch failed);
    never raises, so that a bug cannot end the polling. `fetched` gives a result fetched
    ahead (its first fetch, started before the window asked) instead of fetching now."""
    try:
        if fetched is not None:
            from balance_desk.model import BankResult, RevolutXResult

            ahead = fetched()
            if not isinstance(ahead, RevolutXResult | BankResult):
                raise TypeError(f"a fetch ahead gave {type(ahead).__name__}")
            result = ahead
        else:
            result = source.fetch(user_present=user_present)
        found = prices(result) if prices is not None and read_something(result) else None
        table = builder(result, number, previous, found)
    except Exception as exc:
        return FetchOutcome(bug_result(source.name, exc), None), None
    return FetchOutcome(result, table), found


class SetupError(Exception):
    """The sources could not be set up, as already put into words (by the fetch process)."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


def startup_error(exc: BaseException) -> ErrorInfo:
    from balance_desk.errors import SourceError
    from balance_desk.model import ErrorInfo

    if isinstance(exc, SetupError):
        return exc.info
    if isinstance(exc, SourceError):
        return exc.to_info()
    return ErrorInfo(
        kind="config",
        message=f"Balance Desk could not set up its sources ({type(exc).__name__}: {exc}).",
    )
