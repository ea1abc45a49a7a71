"""Immutable models of balances and snapshots. Every amount is a `Decimal` with the server's scale.

A `Snapshot` is what a fetch produces and what every consumer (CLI, GUI, history) reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import MAX_PREC, Decimal, localcontext
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from balance_desk.money import exact_add, exact_sum, plain

ErrorKind = Literal[
    "auth", "clock", "rate_limited", "server", "network", "protocol", "config", "internal"
]
# "quota": an unattended bank refresh that skipped every account (4 requests a day per
# account): nothing failed and nothing was read.
SourceStatus = Literal["ok", "error", "not_configured", "quota"]
AccountStatus = Literal["ok", "error", "quota"]

SCHEMA_VERSION = 1


class Frozen(BaseModel):
    # Validators are built on first use: the window's process only ever reads the results the
    # fetch process sends (unpickling does not validate), and never pays for them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class ErrorInfo(Frozen):
    """A failure as shown to a user: its kind, a sentence, and what the server said."""

    kind: ErrorKind
    message: str
    http_status: int | None = None
    error_id: str | None = None
    server_message: str | None = None
    retry_at: datetime | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "http_status": self.http_status,
            "error_id": self.error_id,
        }


# --- Revolut X ---------------------------------------------------------------------------------


class CryptoBalance(Frozen):
    currency: str
    available: Decimal
    reserved: Decimal
    staked: Decimal | None = None
    total: Decimal

    @property
    def reserved_share(self) -> Decimal | None:
        """Reserved as a fraction of total (0..1); None when the total is zero."""
        if self.total == 0:
            return None
        return self.reserved / self.total

    def to_document(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "available": plain(self.available),
            "reserved": plain(self.reserved),
            "staked": None if self.staked is None else plain(self.staked),
            "total": plain(self.total),
        }


class RevolutXResult(Frozen):
    status: SourceStatus
    error: ErrorInfo | None = None
    balances: tuple[CryptoBalance, ...] = ()
    fetched_at: datetime | None = None
    # Set when requests had to be re-timed because this computer's clock is off (positive =
    # ahead of the server's), so the user can be told by how much. Not in the JSON document.
    clock_offset_ms: int | None = None

    @property
    def clock_note(self) -> str | None:
        if not self.clock_offset_ms:
            return None
        side = "ahead of" if self.clock_offset_ms > 0 else "behind"
        return (
            f"this computer's clock is {abs(self.clock_offset_ms) / 1000:.1f} s {side} "
            "Revolut X's; requests were corrected. Turn on automatic time (NTP)."
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "balances": [b.to_document() for b in self.balances],
        }


# --- Open Banking ------------------------------------------------------------------------------


class AccountIdentifier(Frozen):
    scheme_name: str
    identification: str
    name: str | None = None
    secondary_identification: str | None = None


class BankAccount(Frozen):
    account_id: str
    # Optional since OBIE v3.1.10 for switched or closed accounts: show what is known.
    currency: str | None = None
    account_type: str | None = None
    account_subtype: str | None = None
    nickname: str | None = None
    identifiers: tuple[AccountIdentifier, ...] = ()
    # The name of the bank connection the account was read through.
    connection: str | None = None

    @property
    def display_name(self) -> str:
        """Nickname, else type/subtype and the last digits of the first identifier."""
        if self.nickname:
            return self.nickname
        kind = self.account_subtype or self.account_type or "Account"
        if self.identifiers:
            ident = self.identifiers[0].identification.replace(" ", "")
            return f"{kind} ••{ident[-4:]}"
        return f"{kind} {self.account_id[:8]}"

    @property
    def is_credit(self) -> bool:
        """A credit card or a loan: its balance is what is owed, never money owned (Revolut
        reported credit cards as `Loan` before March 2026)."""
        return self.account_subtype in CREDIT_SUBTYPES


# Account subtypes whose balance is a debt.
CREDIT_SUBTYPES = frozenset({"CreditCard", "Loan", "Mortgage", "ChargeCard"})

# OBIE v4 (ISO 20022 ExternalBalanceType1Code) balance types, by their v3.1 meaning. A code is
# kept as the bank sent it and understood through this table.
V4_BALANCE_TYPES: dict[str, str] = {
    "CLAV": "ClosingAvailable",
    "CLBD": "ClosingBooked",
    "FWAV": "ForwardAvailable",
    "INFO": "Information",
    "ITAV": "InterimAvailable",
    "ITBD": "InterimBooked",
    "OPAV": "OpeningAvailable",
    "OPBD": "OpeningBooked",
    "PRCD": "PreviouslyClosedBooked",
    "XPCD": "Expected",
}


def standard_balance_type(kind: str) -> str:
    """The v3.1 name of a balance type (`ITAV` -> `InterimAvailable`); others as they are."""
    return V4_BALANCE_TYPES.get(kind, kind)


class CreditLine(Frozen):
    included: bool
    type: str
    # Only `Included` is required by the standard: a line may come without an amount.
    amount: Decimal | None = None
    currency: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "included": self.included,
            "type": self.type,
            "amount": None if self.amount is None else plain(self.amount),
            "currency": self.currency,
        }


def _negated(amount: Decimal) -> Decimal:
    # Unary minus rounds to the context's 28 digits; a zero stays "0.00", never "-0.00".
    with localcontext(prec=MAX_PREC):
        return -amount


def _amounts(lines: Iterable[CreditLine]) -> Iterator[Decimal]:
    return (line.amount for line in lines if line.amount is not None)


class BankBalance(Frozen):
    """One balance as the bank reported it, and what it means once its credit lines are read.

    How credit lines are counted, each facility once (OBIE's own worked examples):

    - **Own money** is the signed amount without the credit lines marked `Included` (those are
      already inside the amount). 800.00 Credit with `{Included, Temporary 500}` is 300.00 of
      one's own.
    - **Unused credit** is what the bank says is still available: its `Available` lines when it
      sends any (they are the unused part of the facility, so the facility's `Pre-Agreed`,
      `Credit`, `Temporary` or `Emergency` lines beside them describe the same money and are
      not added again); without an `Available` line, every line, included or not, is a
      facility counted at its full amount.
    - **With unused credit** is own money plus unused credit: what could be spent now.

    1. 300.00 Credit, `{not included, Pre-Agreed 500}` and `{not included, Available 500}`:
       own 300.00, unused 500.00, with unused credit 800.00.
    2. 800.00 Credit, `{Included, Temporary 500}` and `{not included, Available 500}`: own
       300.00, unused 500.00 (the same facility), with unused credit 800.00.
    3. 100.00 Debit, `{not included, Available 400}`: own -100.00, with unused credit 300.00.

    Lines in another currency than the balance, or without an amount, are kept and shown, but
    never added to anything.
    """

    type: str
    credit_debit: Literal["Credit", "Debit"]
    amount: Decimal
    currency: str
    date_time: datetime
    credit_lines: tuple[CreditLine, ...] = ()

    @property
    def standard_type(self) -> str:
        """The v3.1 name of this balance's type (`ITAV` -> `InterimAvailable`)."""
        return standard_balance_type(self.type)

    @property
    def signed_amount(self) -> Decimal:
        """Negative for a Debit balance; the wire amount itself is never negative."""
        return _negated(self.amount) if self.credit_debit == "Debit" else self.amount

    @property
    def counted_lines(self) -> tuple[CreditLine, ...]:
        """The lines with an amount in the balance's own currency: the only ones added."""
        return tuple(
            line for line in self.credit_lines
            if line.amount is not None and line.currency == self.currency
        )

    @property
    def uncounted_lines(self) -> tuple[CreditLine, ...]:
        """Lines in another currency or without an amount: shown, never added."""
        counted = self.counted_lines
        return tuple(line for line in self.credit_lines if line not in counted)

    @property
    def included_credit(self) -> Decimal:
        """Credit already counted inside the amount."""
        return exact_sum(_amounts(line for line in self.counted_lines if line.included))

    @property
    def unused_credit(self) -> Decimal:
        """Credit still available, each facility counted once (see the class docstring)."""
        lines = self.counted_lines
        available = [line for line in lines if line.type == "Available"]
        return exact_sum(_amounts(available or lines))

    @property
    def own_money(self) -> Decimal:
        """The signed amount without the credit included in it."""
        return exact_add(self.signed_amount, _negated(self.included_credit))

    @property
    def amount_without_included_credit(self) -> Decimal:
        return self.own_money

    @property
    def amount_with_unused_credit(self) -> Decimal:
        return exact_add(self.own_money, self.unused_credit)

    def to_document(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "credit_debit": self.credit_debit,
            "amount": plain(self.amount),
            "signed_amount": plain(self.signed_amount),
            "currency": self.currency,
            "date_time": self.date_time.isoformat(),
            "credit_lines": [line.to_document() for line in self.credit_lines],
            "amount_without_included_credit": plain(self.amount_without_included_credit),
            "amount_with_unused_credit": plain(self.amount_with_unused_credit),
            "included_credit": plain(self.included_credit),
            "unused_credit": plain(self.unused_credit),
            "standard_type": self.standard_type,
        }


class AccountResult(Frozen):
    account: BankAccount
    status: AccountStatus
    error: ErrorInfo | None = None
    next_allowed_at: datetime | None = None
    balances: tuple[BankBalance, ...] = ()

    def to_document(self) -> dict[str, Any]:
        acc = self.account
        return {
            "account_id": acc.account_id,
            "nickname": acc.nickname,
            "currency": acc.currency,
            "account_type": acc.account_type,
            "account_subtype": acc.account_subtype,
            "connection": acc.connection,
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "next_allowed_at": (
                None if self.next_allowed_at is None else self.next_allowed_at.isoformat()
            ),
            "balances": [b.to_document() for b in self.balances],
        }


class ConnectionResult(Frozen):
    """How one bank connection's fetch went, and when its consent and refresh token lapse."""

    name: str
    status: SourceStatus
    error: ErrorInfo | None = None
    consent_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None

    @property
    def lapses_at(self) -> datetime | None:
        """The first of the consent's and the refresh token's expiry: when it must be renewed."""
        dates = [d for d in (self.consent_expires_at, self.refresh_expires_at) if d is not None]
        return min(dates) if dates else None

    def to_document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "consent_expires_at": _iso(self.consent_expires_at),
            "refresh_token_expires_at": _iso(self.refresh_expires_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class BankResult(Frozen):
    status: SourceStatus
    error: ErrorInfo | None = None
    accounts: tuple[AccountResult, ...] = ()
    fetched_at: datetime | None = None
    # One line per bank connection (several banks can be connected).
    connections: tuple[ConnectionResult, ...] = ()

    @property
    def read_any(self) -> bool:
        """Whether any account was read: an error (one bank of several failed) may still carry
        fresh figures for the others."""
        return any(a.status == "ok" for a in self.accounts)

    def to_document(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "accounts": [a.to_document() for a in self.accounts],
            "connections": [c.to_document() for c in self.connections],
        }


# --- Snapshot ----------------------------------------------------------------------------------


class Snapshot(Frozen):
    """Everything one fetch learned. Sources that were not asked for are None."""

    fetched_at: datetime
    revolut_x: RevolutXResult | None = None
    bank: BankResult | None = None

    def to_document(self) -> dict[str, Any]:
        sources: dict[str, Any] = {}
        if self.revolut_x is not None:
            sources["revolut_x"] = self.revolut_x.to_document()
        if self.bank is not None:
            sources["bank"] = self.bank.to_document()
        return {
            "schema": SCHEMA_VERSION,
            "fetched_at": self.fetched_at.isoformat().replace("+00:00", "Z"),
            "sources": sources,
        }
