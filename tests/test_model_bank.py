"""Derived bank amounts: the OBIE standard's worked examples, signs, currencies and exact digits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from balance_desk.model import AccountResult, BankAccount, BankBalance, CreditLine

WHEN = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def line(included: bool, kind: str, amount: str, currency: str = "GBP") -> CreditLine:
    return CreditLine(included=included, type=kind, amount=Decimal(amount), currency=currency)


def balance(amount: str, indicator: str, *lines: CreditLine, currency: str = "GBP") -> BankBalance:
    return BankBalance(
        type="InterimAvailable",
        credit_debit=indicator,
        amount=Decimal(amount),
        currency=currency,
        date_time=WHEN,
        credit_lines=lines,
    )


def test_obie_example_1_an_unused_overdraft_described_twice_is_counted_once() -> None:
    # Balances page of the OBIE Read/Write v3.1 docs: 300.00 Credit, a 500 overdraft.
    bal = balance(
        "300.00", "Credit", line(False, "Pre-Agreed", "500.00"), line(False, "Available", "500.00")
    )
    assert str(bal.own_money) == "300.00"
    assert str(bal.unused_credit) == "500.00"
    assert str(bal.amount_with_unused_credit) == "800.00"


def test_obie_example_2_an_included_temporary_line_is_the_same_facility_as_available() -> None:
    # 800.00 Credit already holds 500 of temporary credit; Available is its unused part.
    bal = balance(
        "800.00", "Credit", line(True, "Temporary", "500.00"), line(False, "Available", "500.00")
    )
    assert str(bal.amount_without_included_credit) == "300.00"
    assert str(bal.amount_with_unused_credit) == "800.00"  # not 1300.00


def test_obie_example_3_after_spending_400_the_overdraft_has_400_left() -> None:
    bal = balance("100.00", "Debit", line(False, "Available", "400.00"))
    assert str(bal.signed_amount) == "-100.00"
    assert str(bal.amount_with_unused_credit) == "300.00"


def test_lines_without_an_available_line_are_added_up() -> None:
    bal = balance(
        "10", "Credit", line(False, "Pre-Agreed", "500"), line(False, "Emergency", "50.5")
    )
    assert str(bal.amount_with_unused_credit) == "560.5"


def test_credit_card_debt_is_the_available_credit_minus_the_included_limit() -> None:
    bal = balance("1749.25", "Credit", line(True, "Available", "2000.00"))
    assert str(bal.amount_without_included_credit) == "-250.75"
    assert str(bal.amount_with_unused_credit) == "1749.25"


def test_lines_in_another_currency_are_kept_but_never_added() -> None:
    eur, usd = line(False, "Available", "100.00", "EUR"), line(True, "Temporary", "9", "USD")
    bal = balance("50.00", "Credit", eur, usd)
    assert str(bal.amount_without_included_credit) == "50.00"
    assert str(bal.amount_with_unused_credit) == "50.00"
    assert bal.uncounted_lines == (eur, usd)
    assert bal.counted_lines == ()


def test_a_line_without_an_amount_is_kept_and_not_added() -> None:
    bare = CreditLine(included=False, type="Pre-Agreed")
    bal = balance("20.00", "Credit", bare, line(False, "Emergency", "30.00"))
    assert bal.uncounted_lines == (bare,)
    assert str(bal.amount_with_unused_credit) == "50.00"
    assert bal.to_document()["credit_lines"][0] == {
        "included": False, "type": "Pre-Agreed", "amount": None, "currency": None,
    }


def test_an_included_line_without_an_available_line_is_itself_the_unused_credit() -> None:
    bal = balance("800.00", "Credit", line(True, "Temporary", "500.00"))
    assert str(bal.own_money) == "300.00"
    assert str(bal.amount_with_unused_credit) == "800.00"


def test_obie_v4_balance_codes_are_kept_and_understood() -> None:
    bal = balance("1.00", "Credit").model_copy(update={"type": "ITAV"})
    assert bal.type == "ITAV" and bal.standard_type == "InterimAvailable"
    assert bal.to_document()["type"] == "ITAV"
    assert balance("1", "Credit").model_copy(update={"type": "Weird"}).standard_type == "Weird"


def test_zero_debit_is_zero_not_minus_zero() -> None:
    bal = balance("0.00", "Debit")
    assert str(bal.signed_amount) == "0.00"
    assert bal.to_document()["signed_amount"] == "0.00"


def test_only_credit_or_debit_can_give_an_amount_its_sign() -> None:
    with pytest.raises(ValidationError):
        balance("5.00", "Neutral")


def test_long_amounts_stay_exact_beyond_28_digits() -> None:
    # Decimal's default context would round these; the model must not.
    big = "1234567890123456789012345678901.12345"
    bal = balance(big, "Debit", line(False, "Available", "0.00001"), line(True, "Credit", big))
    assert str(bal.signed_amount) == "-" + big
    assert str(bal.amount_without_included_credit) == "-2469135780246913578024691357802.24690"
    assert str(bal.amount_with_unused_credit) == "-2469135780246913578024691357802.24689"


def test_account_document_has_every_field_as_strings() -> None:
    bal = balance("100.00", "Debit", line(False, "Available", "400.00"))
    acc = AccountResult(
        account=BankAccount(account_id="a1", currency="GBP", account_subtype="CreditCard"),
        status="ok",
        balances=(bal,),
    )
    doc = json.loads(json.dumps(acc.to_document()))
    assert doc == {
        "account_id": "a1",
        "nickname": None,
        "currency": "GBP",
        "account_type": None,
        "account_subtype": "CreditCard",
        "connection": None,
        "status": "ok",
        "error": None,
        "next_allowed_at": None,
        "balances": [
            {
                "type": "InterimAvailable",
                "credit_debit": "Debit",
                "amount": "100.00",
                "signed_amount": "-100.00",
                "currency": "GBP",
                "date_time": "2026-11-21T10:00:00+00:00",
                "credit_lines": [
                    {"included": False, "type": "Available", "amount": "400.00", "currency": "GBP"}
                ],
                "amount_without_included_credit": "-100.00",
                "amount_with_unused_credit": "300.00",
                "included_credit": "0",
                "unused_credit": "400.00",
                "standard_type": "InterimAvailable",
            }
        ],
    }
