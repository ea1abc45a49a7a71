"""Several banks as one source: every connection fetched at once, one result for the Bank tab.

Each connection keeps its own keyring entry, quota ledger and account list
(`OpenBankingSource`). One failing connection never hides the others: their accounts come
through as read, and the failing one's accounts (as its last fetch saw them) are marked not
refreshed with its reason, so the window keeps their last figures, marked stale.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from balance_desk.errors import ConfigError
from balance_desk.model import AccountResult, BankResult, ConnectionResult, ErrorInfo
from balance_desk.sources.base import SourceName
from balance_desk.sources.open_banking.source import OpenBankingSource


def _now() -> datetime:
    return datetime.now(UTC)


class BankConnections:
    name: SourceName = "bank"

    def __init__(self, sources: list[OpenBankingSource]) -> None:
        self._sources = sources

    @property
    def connection_names(self) -> tuple[str, ...]:
        return tuple(s.connection_name for s in self._sources)

    def is_configured(self) -> bool:
        return any(s.is_configured() for s in self._sources)

    def close(self) -> None:
        for source in self._sources:
            source.close()

    def fetch(self, *, user_present: bool) -> BankResult:
        if not self._sources:
            return BankResult(status="not_configured", fetched_at=_now())
        if len(self._sources) == 1:
            return self._sources[0].fetch(user_present=user_present)
        with ThreadPoolExecutor(
            max_workers=len(self._sources), thread_name_prefix="bank-connection"
        ) as pool:
            futures = [
                pool.submit(source.fetch, user_present=user_present) for source in self._sources
            ]
            results = [future.result() for future in futures]
        return merged(results, self._sources)


def merged(results: list[BankResult], sources: list[OpenBankingSource]) -> BankResult:
    """One result from each connection's; see the module's docstring."""
    lines: list[ConnectionResult] = []
    accounts: list[AccountResult] = []
    for result, source in zip(results, sources, strict=True):
        line = result.connections[0] if result.connections else ConnectionResult(
            name=source.connection_name, status=result.status, error=result.error
        )
        if line.status == "not_configured" and source.is_named:
            # A named connection whose tokens are gone is broken, not "not set up".
            line = line.model_copy(update={"status": "error", "error": _missing(line.name)})
        lines.append(line)
        accounts.extend(result.accounts)
        if line.status == "error" and not result.accounts and line.error is not None:
            accounts.extend(
                AccountResult(account=account, status="error", error=line.error)
                for account in source.known_accounts()
            )
    fetched = max((r.fetched_at for r in results if r.fetched_at is not None), default=_now())
    statuses = {line.status for line in lines}
    failed = [line for line in lines if line.status == "error"]
    if statuses == {"not_configured"}:
        status = "not_configured"
    elif failed:
        status = "error"
    elif statuses <= {"quota", "not_configured"}:
        status = "quota"
    else:
        status = "ok"
    error = _summary(failed, len(lines)) if failed else None
    return BankResult(
        status=status,
        error=error,
        accounts=tuple(accounts),
        fetched_at=fetched,
        connections=tuple(lines),
    )


def _missing(name: str) -> ErrorInfo:
    return ConfigError(
        f"No tokens are stored for the bank connection '{name}': connect it again with "
        f"`balance-desk bank renew {name}` (or Keys… → Bank → Renew…)."
    ).to_info()


def _summary(failed: list[ConnectionResult], total: int) -> ErrorInfo:
    first = failed[0]
    assert first.error is not None
    head = (
        f"{len(failed)} of {total} banks could not be read"
        if len(failed) < total
        else f"None of the {total} banks could be read"
    )
    return first.error.model_copy(
        update={"message": f"{head}; {first.name}: {first.error.message}"}
    )
