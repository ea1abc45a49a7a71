"""What the pane under the bank table says (Qt-free): the selected balance's credit lines, and
what its type means.

Open Banking balance types are easy to misread (the "available" figure of a credit card is the
unused credit limit, not money the user owns), so the pane says in words what each one is.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from balance_desk.money import PRIVACY_MASK
from balance_desk.present.bank_table import BankRowInfo
from balance_desk.present.bank_totals import is_available_type
from balance_desk.present.formatting import NumberFormat
from balance_desk.present.moments import local_time

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import BankAccount, BankBalance, CreditLine

BALANCE_TYPE_MEANINGS: dict[str, str] = {
    "InterimAvailable": (
        "Available now: the balance during the day, with pending card payments and other items "
        "not yet booked already taken off. Usually what you can spend right now."
    ),
    "InterimBooked": (
        "Booked so far today: only transactions the bank has settled. Pending card payments are "
        "not taken off yet, so this can be higher than what you can spend."
    ),
    "InterimCleared": "Cleared funds during the day: money that has finished clearing.",
    "ClosingAvailable": "Available at the close of the last business day.",
    "ClosingBooked": "Booked balance at the close of the last business day (or statement).",
    "ClosingCleared": "Cleared funds at the close of the last business day.",
    "OpeningAvailable": "Available at the start of the business day.",
    "OpeningBooked": "Booked balance at the start of the business day.",
    "OpeningCleared": "Cleared funds at the start of the business day.",
    "Expected": (
        "Expected: what the balance will be once every pending and scheduled transaction the "
        "bank knows of, including future-dated ones, has gone through."
    ),
    "ForwardAvailable": (
        "Forward available: what will be available on a future date, counting the "
        "transactions already known for that date."
    ),
    "Information": "For information only: not a balance you can spend or that you owe.",
    "PreviouslyClosedBooked": (
        "Booked balance at the end of the previous statement period (for a card: last "
        "statement's balance)."
    ),
}

CREDIT_CAVEATS: dict[str, tuple[str, str]] = {
    "CreditCard": ("Credit card", (
        "This is a credit card: an “available” figure here is the unused part of your credit "
        "limit, money you could still borrow, not money you own. A Debit balance is what you owe."
    )),
    "ChargeCard": ("Charge card", (
        "This is a charge card: its balance is what you owe, paid off in full each month; an "
        "“available” figure is spending room, not money you own."
    )),
    "Loan": ("Loan", (
        "This is a loan (Revolut reported its credit cards as loans before March 2026): its "
        "balance is what you still owe; an “available” figure is credit you could still draw, "
        "not money you own."
    )),
    "Mortgage": ("Mortgage", (
        "This is a mortgage: its balance is what you still owe on it, not money you own."
    )),
}
CREDIT_LINE_TYPES: dict[str, str] = {
    "Available": "the unused part of the credit facility",
    "Credit": "a credit limit",
    "Emergency": "an emergency credit line",
    "Pre-Agreed": "an arranged (pre-agreed) overdraft limit",
    "Temporary": "a temporary credit line",
}


def sign_words(account: BankAccount, balance: BankBalance) -> str:
    """What the sign means for this account: the table's Credit/Debit column says the same."""
    if balance.credit_debit == "Debit":
        return "Debit: money you owe, so it is shown negative."
    if account.is_credit and is_available_type(balance):
        return (
            "Credit available: what you can still spend or draw, mostly the unused part of your "
            "limit; not money you own."
        )
    if account.is_credit:
        return "Credit: the bank owes you this (more was paid in than was owed)."
    return "Credit: money in your favour."


def explain_balance_type(kind: str) -> str:
    return BALANCE_TYPE_MEANINGS.get(
        kind,
        f"The bank reports this balance as “{kind}”, a type Balance Desk does not know; it is "
        "shown exactly as reported.",
    )


def detail_html(info: BankRowInfo | None, number: NumberFormat, privacy: bool) -> str:
    if info is None:
        return (
            "<p>Select a balance to see its credit lines and what its type means.</p>"
        )
    account = info.account

    def money(value_text: str) -> str:
        return PRIVACY_MASK if privacy else value_text

    subtype = account.account_subtype or account.account_type or "account"
    parts = [f"<h3>{escape(account.display_name)} <small>({escape(subtype)})</small></h3>"]
    if info.problem:
        parts.append(f"<p><b>{escape(info.problem)}</b></p>")
    balance = info.balance
    if balance is None:
        return "".join(parts)
    parts.append(
        f"<p><b>{escape(balance.type)}</b>: "
        f"{escape(explain_balance_type(balance.standard_type))}</p>"
    )
    caveat = CREDIT_CAVEATS.get(account.account_subtype or "")
    if caveat is not None:
        parts.append(f"<p><b>{escape(caveat[0])}:</b> {escape(caveat[1])}</p>")
    sign = sign_words(account, balance)
    parts.append(
        f"<p>{money(escape(number.amount(balance.signed_amount)))} {escape(balance.currency)}"
        f" — {sign} As of {escape(local_time(balance.date_time))}.</p>"
    )
    parts.append(_credit_lines_html(balance, number, money))
    return "".join(parts)


def _credit_lines_html(
    balance: BankBalance, number: NumberFormat, money: Callable[[str], str]
) -> str:
    if not balance.credit_lines:
        return "<p>No credit lines are reported for this balance.</p>"
    counted = balance.counted_lines
    uses_available = any(line.type == "Available" for line in counted)
    rows = []
    for line in balance.credit_lines:
        meaning = CREDIT_LINE_TYPES.get(line.type, "a credit line of a type not known to us")
        rows.append(
            "<tr>"
            f"<td>{escape(line.type)}</td><td>{escape(meaning)}</td>"
            f"<td align='right'>{_line_amount(line, number, money)}</td>"
            f"<td>{escape(line.currency or '')}</td>"
            f"<td>{escape(_how_counted(line, line in counted, uses_available))}</td>"
            "</tr>"
        )
    return (
        f"<p><b>Credit lines ({len(balance.credit_lines)})</b></p>"
        "<table cellspacing='0' cellpadding='3'>"
        "<tr><th align='left'>Type</th><th align='left'>Meaning</th>"
        "<th align='right'>Amount</th><th align='left'>Currency</th>"
        "<th align='left'>Counted</th></tr>"
        + "".join(rows)
        + "</table>"
        f"<p>Your own money (without included credit): "
        f"{money(escape(number.amount(balance.own_money)))}; "
        f"with unused credit: "
        f"{money(escape(number.amount(balance.amount_with_unused_credit)))} "
        f"{escape(balance.currency)}.</p>"
        f"<p>{escape(CREDIT_RULE)}</p>"
    )


# The rule of `model.BankBalance`, in a sentence for the pane.
CREDIT_RULE = (
    "How credit is counted: lines marked included are already inside the amount and are taken "
    "off to get your own money; the bank's Available lines are the unused part of the credit "
    "facility, so the facility's other lines beside them are the same money and are not added "
    "again; lines in another currency, or without an amount, are shown but never added."
)


def _line_amount(line: CreditLine, number: NumberFormat, money: Callable[[str], str]) -> str:
    if line.amount is None:
        return "amount not reported"
    return money(escape(number.amount(line.amount)))


def _how_counted(line: CreditLine, counted: bool, uses_available: bool) -> str:
    if line.amount is None:
        return "not added: the bank did not report an amount"
    if not counted:
        return "not added: another currency than the balance"
    if line.included:
        base = "included: already counted inside the amount"
        return base if line.type == "Available" or not uses_available else (
            base + " (its unused part is the Available line)"
        )
    if uses_available and line.type != "Available":
        return "not added: the Available line is the unused part of this facility"
    return "not included: extra money on top of the amount"
