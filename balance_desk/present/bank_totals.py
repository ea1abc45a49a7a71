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

from balance_desk.money import exact_add

if TYPE_CHECKING:
    from balance_desk.model import BankAccount, BankBalance

DEPOSIT_PREFERENCE = (
    "InterimAvailable",
    "InterimBooked",
    "ClosingAvailable",
    "ClosingBooked",
    "InterimCleared",
    "ClosingCleared",
    "Expected",
    "OpeningAvailable",
    "OpeningBooked",
    "OpeningCleared",
    "ForwardAvailable",
    "PreviouslyClosedBooked",
)
# For a card or a loan the booked balance is the debt; an available figure is mostly credit.
CREDIT_PREFERENCE = (
    "InterimBooked",
    "ClosingBooked",
    "PreviouslyClosedBooked",
    "OpeningBooked",
    "InterimCleared",
    "ClosingCleared",
    "OpeningCleared",
    "InterimAvailable",
    "ClosingAvailable",
    "OpeningAvailable",
    "Expected",
    "ForwardAvailable",
)
# The "available" balance types, in the order one is picked for credit available.
AVAILABLE_TYPES = ("InterimAvailable", "ClosingAvailable", "OpeningAvailable", "ForwardAvailable")


def is_available_type(balance: BankBalance) -> bool:
    return balance.standard_type in AVAILABLE_TYPES


def chosen_balance(account: BankAccount, balances: Sequence[BankBalance]) -> BankBalance | None:
    """The balance that stands for `account` in totals, or None when it reports no usable one."""
    by_type: dict[str, BankBalance] = {}
    for balance in balances:
        by_type.setdefault(balance.standard_type, balance)
    order = CREDIT_PREFERENCE if account.is_credit else DEPOSIT_PREFERENCE
    return next((by_type[kind] for kind in order if kind in by_type), None)


def credit_available(account: BankAccount, balances: Sequence[BankBalance]) -> Decimal:
    """Credit the account still offers, from its available figure: for a card or a loan what can
    still be spent (never below zero), for any other account its unused credit lines."""
    by_type = {b.standard_type: b for b in reversed(balances)}
    balance = next((by_type[kind] for kind in AVAILABLE_TYPES if kind in by_type), None)
    if balance is None:
        return Decimal(0)
    if account.is_credit:
        return max(balance.amount_with_unused_credit, Decimal(0))
    return balance.unused_credit


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
