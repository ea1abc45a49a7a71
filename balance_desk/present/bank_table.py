"""The Bank tab's columns and how an Open Banking result becomes rows (on a worker thread).

One row per reported balance: an account often reports several types at once (available and
booked), and they are never merged. An account the bank did not refresh this time keeps its
previous rows, marked stale, rather than silently disappearing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from balance_desk.money import plain
from balance_desk.present.bank_totals import bank_totals as totals_by_currency
from balance_desk.present.bank_totals import is_available_type
from balance_desk.present.formatting import MISSING, NumberFormat
from balance_desk.present.moments import local_time
from balance_desk.present.rows import CellValue, Column, TableRow, align_decimals, make_row
from balance_desk.present.updates import TableData, TotalLine

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import AccountResult, BankAccount, BankBalance, BankResult
    from balance_desk.valuation import Prices

BANK_COLUMNS = (
    Column("Account", "text"),
    # The detail pane names it; hidden at first so that the value column fits a small screen.
    Column("Subtype", "text", shown_by_default=False),
    Column("Balance type", "text", "As the bank reports it; select a row for what it means"),
    Column("Credit/Debit", "text", "Debit means money owed: the amount is shown negative"),
    Column("Amount", "amount", "Signed: negative for a Debit balance"),
    Column("Currency", "text"),
    Column("Included credit", "amount", "Credit lines already counted inside the amount",
           shown_by_default=False),
    Column("Unused credit", "amount", "Credit you could still use on top of the amount",
           shown_by_default=False),
    Column("Own money", "amount",
           "The amount without the credit included in it: yours (negative: owed)"),
    Column("With unused credit", "amount", "Own money plus the unused credit",
           shown_by_default=False),
    Column("As of", "time", "When the bank computed this balance (your local time)"),
    Column("Value", "amount", "Own money in your base currency, at the rate the Overview "
           "lists; a dash when there is no rate"),
    Column("Bank", "text", "The bank connection the account is read through (type its name "
           "in the filter to see only its accounts)", shown_by_default=False,
           shown_when_varied=True),
)
AMOUNT_COLUMN = 4


@dataclass(frozen=True, slots=True)
class BankRowInfo:
    """What the detail pane needs about the selected row."""

    account: BankAccount
    balance: BankBalance | None
    # Why there are no current figures for this account; None when it was refreshed.
    problem: str | None = None


def account_problem(account: AccountResult) -> str:
    if account.status == "quota":
        text = "Not refreshed: the bank allows only 4 unattended requests a day per account"
        if account.next_allowed_at is not None:
            text += f"; next allowed {local_time(account.next_allowed_at)}"
        return text + ". Refresh (F5) while you are here to fetch it now."
    if account.error is not None:
        return f"Not refreshed: {account.error.message}"
    return "Not refreshed."


def _balance_row(
    number: NumberFormat,
    account: BankAccount,
    balance: BankBalance,
    index: int,
    stale_note: str | None,
    *,
    prices: Prices | None,
) -> TableRow:
    currency = balance.currency
    included = balance.included_credit
    unused = balance.unused_credit
    counted = balance.counted_lines
    has_included = any(line.included for line in counted)
    not_added = _not_added(balance)
    value = prices.value(balance.own_money, currency)[0] if prices else None
    values: tuple[CellValue, ...] = (
        account.display_name,
        account.account_subtype,
        balance.type,
        balance.credit_debit,
        balance.signed_amount,
        balance.currency,
        included,
        unused,
        balance.amount_without_included_credit,
        balance.amount_with_unused_credit,
        balance.date_time,
        value,
        account.connection,
    )
    texts = (
        account.display_name,
        account.account_subtype or MISSING,
        balance.type,
        indicator_words(account, balance),
        number.money(balance.signed_amount, currency),
        currency,
        number.money(included, currency) if has_included else MISSING,
        _joined(number.money(unused, currency) if counted else "", not_added) or MISSING,
        number.money(balance.amount_without_included_credit, currency),
        number.money(balance.amount_with_unused_credit, currency),
        local_time(balance.date_time),
        MISSING if value is None or prices is None else number.money(value, prices.base),
        account.connection or "",
    )
    return make_row(
        BANK_COLUMNS,
        f"{account.account_id}\x1f{balance.type}\x1f{index}",
        values,
        texts,
        stale_note=stale_note,
        payload=BankRowInfo(account, balance, stale_note),
    )


def indicator_words(account: BankAccount, balance: BankBalance) -> str:
    """The Credit/Debit cell: a card's or a loan's available figure is credit, not money."""
    if balance.credit_debit == "Credit" and account.is_credit and is_available_type(balance):
        return "Credit available"
    return balance.credit_debit


def _not_added(balance: BankBalance) -> str:
    """Credit lines that are shown but never added: another currency, or no amount."""
    parts = []
    for line in balance.uncounted_lines:
        if line.amount is None:
            parts.append(f"{line.type or 'credit'} line: amount not reported")
        else:
            parts.append(f"{plain(line.amount)} {line.currency} line, not added")
    return "; ".join(parts)


def _joined(*parts: str) -> str:
    return " + ".join(part for part in parts if part)


def _problem_row(account: BankAccount, problem: str) -> TableRow:
    values: tuple[CellValue, ...] = (
        account.display_name,
        account.account_subtype,
        problem,
        None, None, account.currency, None, None, None, None, None, None, account.connection,
    )
    texts = (
        account.display_name,
        account.account_subtype or MISSING,
        problem,
        "", "", account.currency or "", "", "", "", "", "", "", account.connection or "",
    )
    return make_row(
        BANK_COLUMNS,
        f"{account.account_id}\x1f",
        values,
        texts,
        stale_note=problem,
        payload=BankRowInfo(account, None, problem),
    )


def build_bank_table(
    result: BankResult,
    number: NumberFormat,
    previous: TableData | None = None,
    prices: Prices | None = None,
) -> TableData:
    earlier: dict[str, list[TableRow]] = {}
    if previous is not None:
        for row in previous.rows:
            info = row.payload
            if isinstance(info, BankRowInfo) and info.balance is not None:
                earlier.setdefault(info.account.account_id, []).append(row)
    rows: list[TableRow] = []
    stale_rows = 0
    for account in result.accounts:
        if account.status == "ok":
            rows.extend(
                _balance_row(number, account.account, balance, i, None, prices=prices)
                for i, balance in enumerate(account.balances)
            )
            continue
        problem = account_problem(account)
        carried = earlier.get(account.account.account_id)
        if carried:
            for i, row in enumerate(carried):
                info = row.payload
                assert isinstance(info, BankRowInfo) and info.balance is not None
                rows.append(
                    _balance_row(number, account.account, info.balance, i, problem, prices=prices)
                )
            stale_rows += len(carried)
        else:
            rows.append(_problem_row(account.account, problem))
    rows = align_decimals(rows, BANK_COLUMNS, number.decimal)
    return TableData(rows=tuple(rows), totals=bank_totals(rows, number), stale_rows=stale_rows)


def bank_holdings(rows: Sequence[TableRow]) -> list[tuple[BankAccount, list[BankBalance]]]:
    """Each account shown and its balances (current or carried over), in table order."""
    accounts: dict[str, tuple[BankAccount, list[BankBalance]]] = {}
    for row in rows:
        info = row.payload
        if not isinstance(info, BankRowInfo) or info.balance is None:
            continue
        entry = accounts.setdefault(info.account.account_id, (info.account, []))
        entry[1].append(info.balance)
    return list(accounts.values())


def bank_totals(rows: Sequence[TableRow], number: NumberFormat) -> tuple[TotalLine, ...]:
    """The footer's lines for these rows (all of them, or the ones a filter shows): per
    currency what you own, what you owe, and credit available apart (`present.bank_totals`)."""
    lines: list[TotalLine] = []
    for total in totals_by_currency(bank_holdings(rows)):
        if total.deposit_accounts:
            label = f"own money ({', '.join(total.own_types)})"
            text = number.money(total.own, total.currency)
            lines.append(TotalLine(total.currency, label, total.own, text))
        if total.credit_accounts:
            label = f"owed on cards and loans ({', '.join(total.owed_types)})"
            text = number.money(total.owed, total.currency)
            lines.append(TotalLine(total.currency, label, total.owed, text))
        if total.credit_available:
            lines.append(TotalLine(
                total.currency, CREDIT_AVAILABLE_LABEL, total.credit_available,
                number.money(total.credit_available, total.currency),
            ))
    return tuple(lines)


CREDIT_AVAILABLE_LABEL = "credit available (not added)"
