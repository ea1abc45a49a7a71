"""The Crypto tab's columns and how a Revolut X result becomes rows (on a worker thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from balance_desk.money import exact_add
from balance_desk.present.formatting import MISSING, NumberFormat
from balance_desk.present.rows import Column, TableRow, make_row
from balance_desk.present.updates import TableData, TotalLine

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import RevolutXResult

CRYPTO_COLUMNS = (
    Column("Currency", "text"),
    Column("Available", "amount", "Free funds: can be traded or withdrawn now"),
    Column("Reserved", "amount", "Locked in open orders"),
    Column("Staked", "amount", "Staked; only reported for staked assets"),
    Column("Total", "amount", "Available + reserved + staked"),
    Column("Reserved % of total", "percent", "How much of the total is locked in open orders"),
)


def build_crypto_table(result: RevolutXResult, number: NumberFormat) -> TableData:
    rows: list[TableRow] = []
    seen: dict[str, int] = {}
    for balance in result.balances:
        staked = balance.staked
        # A currency listed twice (a server quirk) still needs a distinct row identity.
        seen[balance.currency] = seen.get(balance.currency, 0) + 1
        key = balance.currency if seen[balance.currency] == 1 else (
            f"{balance.currency}#{seen[balance.currency]}"
        )
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
                ),
                (
                    balance.currency,
                    number.amount(balance.available),
                    number.amount(balance.reserved),
                    MISSING if staked is None else number.amount(staked),
                    number.amount(balance.total),
                    number.percent(balance.reserved_share),
                ),
            )
        )
    sums: dict[str, TotalLine] = {}
    for balance in result.balances:
        previous = sums.get(balance.currency)
        amount = balance.total if previous is None else exact_add(previous.amount, balance.total)
        sums[balance.currency] = TotalLine(balance.currency, "Total", amount, number.amount(amount))
    return TableData(rows=tuple(rows), totals=tuple(sums[c] for c in sorted(sums)))
