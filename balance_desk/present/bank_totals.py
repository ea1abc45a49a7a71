"""Bank totals a person can trust: per currency, the money you own apart from what you owe on
cards and loans, and credit still available shown apart, never added.

One balance stands for each account, so that an account reporting available and booked figures
is not counted twice: the type chosen for totals is `InterimAvailable` for current and savings
accounts and `InterimBooked` for credit cards and loans, else the next type of the account's
list below that the account reports. `Information` and codes we do not know never stand for an
account. The figure taken is the balance without the credit included in it (`own_money`), so
credit is never passed off as money.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from balance_desk.holdings import (
    AVAILABLE_TYPES,
    chosen_balance,
    credit_available,
    is_available_type,
)
from balance_desk.money import exact_add

__all__ = [
    "AVAILABLE_TYPES",
    "BankTotal",
    "bank_totals",
    "chosen_balance",
    "credit_available",
    "is_available_type",
]

if TYPE_CHECKING:
    from balance_desk.model import BankAccount, BankBalance

@dataclass(frozen=True, slots=True)
class BankTotal:
    """One currency's totals. `owed` is the (signed) balance of cards and loans."""

    currency: str
    own: Decimal = Decimal(0)
    owed: Decimal = Decimal(0)
    credit_available: Decimal = Decimal(0)
    own_types: tuple[str, ...] = ()
    owed_types: tuple[str, ...] = ()
    deposit_accounts: int = 0
    credit_accounts: int = 0

    @property
    def net(self) -> Decimal:
        """What you own less what you owe: credit available is never part of it."""
        return exact_add(self.own, self.owed)


def bank_totals(
    accounts: Iterable[tuple[BankAccount, Sequence[BankBalance]]],
) -> tuple[BankTotal, ...]:
    """Totals per currency, sorted by currency."""
    totals: dict[str, BankTotal] = {}
    for account, balances in accounts:
        chosen = chosen_balance(account, balances)
        if chosen is None:
            continue
        current = totals.get(chosen.currency) or BankTotal(chosen.currency)
        credit = exact_add(current.credit_available, credit_available(account, balances))
        if account.is_credit:
            totals[chosen.currency] = BankTotal(
                chosen.currency, current.own, exact_add(current.owed, chosen.own_money), credit,
                current.own_types, _with(current.owed_types, chosen.type),
                current.deposit_accounts, current.credit_accounts + 1,
            )
        else:
            totals[chosen.currency] = BankTotal(
                chosen.currency, exact_add(current.own, chosen.own_money), current.owed, credit,
                _with(current.own_types, chosen.type), current.owed_types,
                current.deposit_accounts + 1, current.credit_accounts,
            )
    return tuple(totals[currency] for currency in sorted(totals))


def _with(types: tuple[str, ...], kind: str) -> tuple[str, ...]:
    return types if kind in types else (*types, kind)
