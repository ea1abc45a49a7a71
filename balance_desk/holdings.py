"""Which balance stands for a bank account in every total, and the credit it still offers.

One balance stands for each account, so that an account reporting available and booked figures
is not counted twice: the type chosen is `InterimAvailable` for current and savings accounts and
`InterimBooked` for credit cards and loans, else the next type of the account's list below that
the account reports. `Information` and codes we do not know never stand for an account. Used by
the Bank tab's totals (`present.bank_totals`) and by the valuation alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

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
