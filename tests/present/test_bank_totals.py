"""Bank totals: what you own apart from what you owe, one balance per account, credit never
added."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from balance_desk.model import BankAccount, BankBalance, CreditLine
from balance_desk.present.bank_table import CREDIT_AVAILABLE_LABEL, bank_totals
from balance_desk.present.bank_totals import bank_totals as by_currency
from balance_desk.present.bank_totals import chosen_balance
from balance_desk.present.formatting import NumberFormat
from balance_desk.present.rows import make_row

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CURRENT = BankAccount(account_id="cur", currency="GBP", account_subtype="CurrentAccount")
CARD = BankAccount(account_id="card", currency="GBP", account_subtype="CreditCard")
LOAN = BankAccount(account_id="loan", currency="GBP", account_subtype="Loan")


def bal(kind: str, amount: str, cd: str = "Credit", *lines: CreditLine) -> BankBalance:
    return BankBalance(type=kind, credit_debit=cd, amount=Decimal(amount),
                       currency="GBP", date_time=T0, credit_lines=lines)


def line(included: bool, kind: str, amount: str) -> CreditLine:
    return CreditLine(included=included, type=kind, amount=Decimal(amount), currency="GBP")


def test_a_current_account_counts_its_available_balance_without_included_credit() -> None:
    available = bal("InterimAvailable", "800.00", "Credit", line(True, "Temporary", "500.00"))
    booked = bal("InterimBooked", "900.00")
    assert chosen_balance(CURRENT, [booked, available]) is available
    (total,) = by_currency([(CURRENT, [booked, available])])
    assert str(total.own) == "300.00"  # the 500 of credit inside the 800 is not money owned
    assert total.own_types == ("InterimAvailable",)


def test_a_credit_card_counts_as_owed_never_as_money() -> None:
    available = bal("InterimAvailable", "1749.25", "Credit", line(True, "Available", "2000.00"))
    booked = bal("InterimBooked", "250.75", "Debit")
    assert chosen_balance(CARD, [available, booked]) is booked
    (total,) = by_currency([(CARD, [available, booked])])
    assert str(total.own) == "0" and str(total.owed) == "-250.75"
    assert str(total.credit_available) == "1749.25"  # apart, never in net
    assert str(total.net) == "-250.75"
    assert total.owed_types == ("InterimBooked",)


def test_a_card_with_only_an_available_balance_still_counts_its_debt() -> None:
    available = bal("InterimAvailable", "1749.25", "Credit", line(True, "Available", "2000.00"))
    (total,) = by_currency([(LOAN, [available])])
    assert str(total.owed) == "-250.75"


def test_the_next_type_present_stands_in_and_the_total_says_which() -> None:
    closing = bal("ClosingBooked", "12.00")
    assert chosen_balance(CURRENT, [bal("Expected", "99"), closing]) is closing
    (total,) = by_currency([(CURRENT, [bal("Expected", "99"), closing])])
    assert total.own_types == ("ClosingBooked",)


def test_information_and_unknown_codes_never_stand_for_an_account() -> None:
    assert chosen_balance(CURRENT, [bal("Information", "5"), bal("Mystery", "7")]) is None
    assert by_currency([(CURRENT, [bal("Information", "5")])]) == ()


def test_obie_v4_codes_are_understood() -> None:
    itav = bal("ITAV", "10.00")
    assert chosen_balance(CURRENT, [bal("ITBD", "12.00"), itav]) is itav


def test_overdraft_credit_is_shown_apart_and_not_added() -> None:
    (total,) = by_currency([
        (CURRENT, [bal("InterimAvailable", "100.00", "Debit", line(False, "Available", "400.00"))]),
    ])
    assert str(total.own) == "-100.00" and str(total.credit_available) == "400.00"
    assert str(total.net) == "-100.00"


def test_footer_lines_name_the_balance_type_of_each_total() -> None:
    from balance_desk.present.bank_table import BANK_COLUMNS, BankRowInfo

    def row(account: BankAccount, balance: BankBalance) -> object:
        texts = [""] * len(BANK_COLUMNS)
        return make_row(BANK_COLUMNS, f"{account.account_id}{balance.type}",
                        [None] * len(BANK_COLUMNS), texts,
                        payload=BankRowInfo(account, balance))

    rows = [
        row(CURRENT, bal("InterimAvailable", "300.00", "Credit",
                         line(False, "Available", "500.00"))),
        row(CARD, bal("InterimBooked", "50.00", "Debit")),
    ]
    lines = bank_totals(rows, NumberFormat())  # type: ignore[arg-type]
    assert [(x.label, x.text) for x in lines] == [
        ("own money (InterimAvailable)", "300.00"),
        ("owed on cards and loans (InterimBooked)", "-50.00"),
        (CREDIT_AVAILABLE_LABEL, "500.00"),
    ]
