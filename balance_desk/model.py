"""Immutable models of balances and snapshots. Every amount is a `Decimal` with the server's scale.

A `Snapshot` is what a fetch produces and what every consumer (CLI, GUI, history) reads.
"""

from __future__ import annotations

from datetime import datetime
from decimal import MAX_PREC, Decimal, localcontext
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from balance_desk.money import exact_add, exact_sum, plain

ErrorKind = Literal["auth", "clock", "rate_limited", "server", "network", "protocol", "config"]
SourceStatus = Literal["ok", "error", "not_configured"]
AccountStatus = Literal["ok", "error", "quota"]

SCHEMA_VERSION = 1


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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
    currency: str
    account_type: str | None = None
    account_subtype: str | None = None
    nickname: str | None = None
    identifiers: tuple[AccountIdentifier, ...] = ()

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


class CreditLine(Frozen):
    included: bool
    type: str
    amount: Decimal
    currency: str

    def to_document(self) -> dict[str, Any]:
        return {
            "included": self.included,
            "type": self.type,
            "amount": plain(self.amount),
            "currency": self.currency,
        }


def _negated(amount: Decimal) -> Decimal:
    # Unary minus rounds to the context's 28 digits; a zero stays "0.00", never "-0.00".
    with localcontext(prec=MAX_PREC):
        return -amount


class BankBalance(Frozen):
    type: str
    credit_debit: str
    amount: Decimal
    currency: str
    date_time: datetime
    credit_lines: tuple[CreditLine, ...] = ()

    @property
    def signed_amount(self) -> Decimal:
        """Negative for a Debit balance; the wire amount itself is never negative."""
        return _negated(self.amount) if self.credit_debit == "Debit" else self.amount

    @property
    def included_credit(self) -> Decimal:
        """Credit lines (same currency) already counted inside the amount."""
        return exact_sum(
            line.amount
            for line in self.credit_lines
            if line.included and line.currency == self.currency
        )

    @property
    def unused_credit(self) -> Decimal:
        """Credit available on top of the amount (same currency, not included).

        When the bank reports an `Available` line it is the unused part of the facility and
        the other lines (`Pre-Agreed`, `Credit`...) describe the same facility's limit, so
        adding them all would count the overdraft twice; we use the `Available` lines then.
        """
        extra = [
            line
            for line in self.credit_lines
            if not line.included and line.currency == self.currency
        ]
        available = [line for line in extra if line.type == "Available"]
        return exact_sum(line.amount for line in (available or extra))

    @property
    def amount_without_included_credit(self) -> Decimal:
        return exact_add(self.signed_amount, _negated(self.included_credit))

    @property
    def amount_with_unused_credit(self) -> Decimal:
        return exact_add(self.signed_amount, self.unused_credit)

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
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "next_allowed_at": (
                None if self.next_allowed_at is None else self.next_allowed_at.isoformat()
            ),
            "balances": [b.to_document() for b in self.balances],
        }


class BankResult(Frozen):
    status: SourceStatus
    error: ErrorInfo | None = None
    accounts: tuple[AccountResult, ...] = ()
    fetched_at: datetime | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": None if self.error is None else self.error.to_document(),
            "accounts": [a.to_document() for a in self.accounts],
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
