"""The Crypto tab's columns and how a Revolut X result becomes rows (on a worker thread)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from balance_desk.money import exact_add, exact_sum, plain
from balance_desk.present.formatting import MISSING, NumberFormat
from balance_desk.present.rows import Column, TableRow, align_decimals, make_row
from balance_desk.present.updates import TableData, TotalLine

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import CryptoBalance, RevolutXResult
    from balance_desk.valuation import Prices

log = logging.getLogger(__name__)
# Oddities already logged in this process, by currency and kind: a refresh every 30 s must not
# repeat them (nor grow this set as the figures change).
_logged: set[tuple[str, str]] = set()

CRYPTO_COLUMNS = (
    Column("Currency", "text"),
    Column("Available", "amount", "Free funds: can be traded or withdrawn now"),
    Column("Reserved", "amount", "Locked in open orders"),
    Column("Staked", "amount", "Staked; only reported for staked assets"),
    Column("Total", "amount", "Available + reserved + staked"),
    Column("Reserved % of total", "percent", "How much of the total is locked in open orders"),
    Column("Value", "amount", "The total in your base currency, at the rate the Overview lists; "
           "a dash when there is no rate"),
)
VALUE_COLUMN = 6


def total_mismatch(balance: CryptoBalance) -> str | None:
    """Words for a total that is not available + reserved + staked, or None. Such a total is
    shown as sent: neither silently trusted nor refused."""
    parts = exact_sum(
        part for part in (balance.available, balance.reserved, balance.staked) if part is not None
    )
    if parts == balance.total:
        return None
    return (
        f"Revolut X reports a total of {plain(balance.total)} {balance.currency}, but available "
        f"+ reserved + staked is {plain(parts)}; the total is shown as sent."
    )


def _warn_once(currency: str, kind: str, text: str) -> None:
    if (currency, kind) not in _logged:
        _logged.add((currency, kind))
        log.warning("%s", text)


def build_crypto_table(
    result: RevolutXResult, number: NumberFormat, prices: Prices | None = None
) -> TableData:
    rows: list[TableRow] = []
    seen: dict[str, int] = {}
    listed: dict[str, int] = {}
    for balance in result.balances:
        listed[balance.currency] = listed.get(balance.currency, 0) + 1
    for balance in result.balances:
        warnings = []
        mismatch = total_mismatch(balance)
        if mismatch:
            warnings.append(mismatch)
            _warn_once(balance.currency, "total", mismatch)
        if listed[balance.currency] > 1:
            twice = (
                f"Revolut X listed {balance.currency} {listed[balance.currency]} times; every "
                "row is shown as sent, and the total adds them up."
            )
            warnings.append(twice)
            _warn_once(balance.currency, "listed", twice)
        staked = balance.staked
        # A currency listed twice (a server quirk) still needs a distinct row identity.
        seen[balance.currency] = seen.get(balance.currency, 0) + 1
        key = balance.currency if seen[balance.currency] == 1 else (
            f"{balance.currency}#{seen[balance.currency]}"
        )
        value = prices.value(balance.total, balance.currency)[0] if prices else None
        rows.append(
            make_row(
                CRYPTO_COLUMNS,
                key,
                (
                    balance.currency,
                    balance.available,
                    balance.reserved,
                    staked,
                    balance.total,
                    balance.reserved_share,
                    value,
                ),
                (
                    balance.currency,
                    number.money(balance.available, balance.currency),
                    number.money(balance.reserved, balance.currency),
                    MISSING if staked is None else number.money(staked, balance.currency),
                    number.money(balance.total, balance.currency),
                    number.percent(balance.reserved_share),
                    MISSING if value is None or prices is None
                    else number.money(value, prices.base),
                ),
                payload=balance,
                warning=" ".join(warnings) or None,
            )
        )
    rows = align_decimals(rows, CRYPTO_COLUMNS, number.decimal)
    return TableData(rows=tuple(rows), totals=crypto_totals(rows, number))


def crypto_totals(rows: Sequence[TableRow], number: NumberFormat) -> tuple[TotalLine, ...]:
    """The total per currency of these rows (all of them, or the ones a filter shows)."""
    sums: dict[str, Decimal] = {}
    for row in rows:
        currency, total = row.values[0], row.values[4]
        if isinstance(currency, str) and isinstance(total, Decimal):
            sums[currency] = exact_add(sums.get(currency, Decimal(0)), total)
    return tuple(
        TotalLine(currency, "Total", sums[currency], number.money(sums[currency], currency))
        for currency in sorted(sums)
    )
