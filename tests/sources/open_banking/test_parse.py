"""The OBIE schema rules on their own: amount pattern, currency, date-times, error bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_desk.errors import ProtocolError
from balance_desk.model import BankAccount
from balance_desk.sources.open_banking.parse import (
    obie_error,
    parse_account,
    parse_balance,
    parse_datetime,
)

ACCOUNT = BankAccount(account_id="a1", currency="GBP", nickname="Main")


def raw(amount: object, currency: object = "GBP") -> dict[str, object]:
    return {
        "CreditDebitIndicator": "Credit",
        "Type": "InterimAvailable",
        "DateTime": "2026-11-21T08:00:00Z",
        "Amount": {"Amount": amount, "Currency": currency},
    }


@pytest.mark.parametrize(
    "amount", ["0", "1", "0.1", "0.00000", "1234567890123", "1234567890123.12345"]
)
def test_amounts_the_standard_allows_keep_their_digits(amount: str) -> None:
    assert str(parse_balance(raw(amount), ACCOUNT, 0).amount) == amount


@pytest.mark.parametrize(
    "amount",
    ["", "1.", ".5", "1.123456", "12345678901234", "-1", "+1", "1e3", " 1", "1,00", "NaN", 1, 1.5,
     None],
)
def test_amounts_outside_the_pattern_are_refused(amount: object) -> None:
    with pytest.raises(ProtocolError, match=r"Account 'Main' \(a1\): Balance\[0\]\.Amount\.Amount"):
        parse_balance(raw(amount), ACCOUNT, 0)


@pytest.mark.parametrize("currency", ["gbp", "GB", "GBPX", "", None, "G1P"])
def test_currency_must_be_three_capitals(currency: object) -> None:
    with pytest.raises(ProtocolError, match=r"Amount\.Currency"):
        parse_balance(raw("1.00", currency), ACCOUNT, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21T08:32:02.775972Z", datetime(2026, 11, 21, 8, 32, 2, 775972, tzinfo=UTC)),
        ("2026-11-21T08:32:02Z", datetime(2026, 11, 21, 8, 32, 2, tzinfo=UTC)),
        ("2026-11-21T08:32Z", datetime(2026, 11, 21, 8, 32, tzinfo=UTC)),
        ("2026-11-21T09:32:02+01:00",
         datetime(2026, 11, 21, 9, 32, 2, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-11-21T03:32:02-0500",
         datetime(2026, 11, 21, 3, 32, 2, tzinfo=timezone(timedelta(hours=-5)))),
        # Seven fraction digits (.NET style) are cut to microseconds, not refused.
        ("2026-11-20T23:59:59.9999999Z",
         datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_datetimes_with_a_zone(text: str, expected: datetime) -> None:
    assert parse_datetime(text, "x") == expected


@pytest.mark.parametrize(
    "text", ["2026-11-21T08:32:02", "2026-11-21", "21/11/2026 08:32 UTC", "2026-13-40T08:00:00Z",
             None, 1700000000]
)
def test_datetimes_without_a_zone_or_invalid_are_refused(text: object) -> None:
    with pytest.raises(ProtocolError, match="DateTime"):
        parse_datetime(text, "Balance[0].DateTime")


def test_unknown_enum_values_are_kept() -> None:
    parsed = parse_account(
        {"AccountId": "x", "Currency": "EUR", "AccountType": "Corporate",
         "AccountSubType": "Wallet"},
        0,
    )
    assert parsed.problem is None
    assert parsed.account.account_type == "Corporate"
    assert parsed.account.account_subtype == "Wallet"
    entry = raw("1.00")
    entry["Type"] = "InterimExpected"
    entry["CreditLine"] = [{"Included": False, "Type": "Overdraft-Plus",
                            "Amount": {"Amount": "5", "Currency": "GBP"}}]
    bal = parse_balance(entry, ACCOUNT, 0)
    assert bal.type == "InterimExpected"
    assert bal.credit_lines[0].type == "Overdraft-Plus"


def test_account_without_usable_id_fails_the_list() -> None:
    with pytest.raises(ProtocolError, match=r"Account entry 3 .* no usable AccountId"):
        parse_account({"AccountId": "x" * 41, "Currency": "GBP"}, 2)


def test_balance_for_another_account_is_refused() -> None:
    entry = raw("1.00")
    entry["AccountId"] = "someone-else"
    with pytest.raises(ProtocolError, match="not the account that was asked for"):
        parse_balance(entry, ACCOUNT, 0)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"Code":"401 Unauthorized","Id":"e1","Message":"Token expired",'
         b'"Errors":[{"ErrorCode":"UK.OBIE.Resource.Unauthorized","Message":"Token expired"}]}',
         ("Token expired (UK.OBIE.Resource.Unauthorized)", "e1")),
        (b'{"Message":"Bad","Errors":[{"ErrorCode":"UK.OBIE.Field.Missing",'
         b'"Message":"Amount missing"}]}',
         ("Bad; UK.OBIE.Field.Missing: Amount missing", None)),
        (b'{"error":"invalid_grant","error_description":"expired"}', ("expired", None)),
        (b"{}", (None, None)),
        (b"<html>oops</html>", (None, None)),
        (b"[1,2]", (None, None)),
        (b"", (None, None)),
    ],
)
def test_obie_error_bodies(body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert obie_error(body) == expected


@pytest.mark.parametrize("indicator", ["debit", "DEBIT", "Debt", "", None, 1, "Credit "])
def test_anything_but_credit_or_debit_is_refused_naming_the_account(indicator: object) -> None:
    entry = raw("5.00")
    entry["CreditDebitIndicator"] = indicator
    with pytest.raises(
        ProtocolError,
        match=r"Account 'Main' \(a1\): Balance\[0\]\.CreditDebitIndicator .* not exactly Credit",
    ):
        parse_balance(entry, ACCOUNT, 0)


@pytest.mark.parametrize(
    "amount",
    [
        "\u0661\u0662\u0663.\u0664\u0665",  # Arabic-Indic 123.45
        "\uff11\uff12\uff13.\uff14\uff15",  # full-width 123.45
        "12\u0663",
        "\U0001d7cf\U0001d7d0",  # mathematical bold 12
        "1.0\u0660",
    ],
)
def test_digits_other_than_ascii_are_refused(amount: str) -> None:
    with pytest.raises(ProtocolError, match=r"Amount\.Amount"):
        parse_balance(raw(amount), ACCOUNT, 0)


@pytest.mark.parametrize("currency", ["\uff27\uff22\uff30", "GB\u2119", "\u011eBP"])
def test_currencies_are_ascii_capitals(currency: str) -> None:
    with pytest.raises(ProtocolError, match=r"Amount\.Currency"):
        parse_balance(raw("1.00", currency), ACCOUNT, 0)


@given(st.from_regex(r"[0-9]{1,13}(\.[0-9]{1,5})?", fullmatch=True))
def test_any_accepted_amount_keeps_its_digits(amount: str) -> None:
    # Every digit and the scale; only leading zeros (no digits of the value) go.
    shown = str(parse_balance(raw(amount), ACCOUNT, 0).amount)
    assert shown == re.sub(r"^0+(?=[0-9])", "", amount)


@given(
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=6).filter(
        lambda s: not s.isascii()
    )
)
def test_any_non_ascii_digit_is_refused(digits: str) -> None:
    with pytest.raises(ProtocolError):
        parse_balance(raw(digits), ACCOUNT, 0)
    with pytest.raises(ProtocolError):
        parse_balance(raw(f"1.{digits[:5]}"), ACCOUNT, 0)


def test_a_credit_line_without_an_amount_is_kept_as_not_reported() -> None:
    entry = raw("10.00")
    entry["CreditLine"] = [{"Included": False, "Type": "Pre-Agreed"}]
    line = parse_balance(entry, ACCOUNT, 0).credit_lines[0]
    assert (line.included, line.type, line.amount, line.currency) == (
        False, "Pre-Agreed", None, None,
    )


def test_an_account_without_currency_or_types_is_still_read() -> None:
    parsed = parse_account({"AccountId": "closed-1", "Nickname": "Old ISA"}, 0)
    assert parsed.problem is None
    account = parsed.account
    assert (account.currency, account.account_type, account.account_subtype) == (
        None, None, None,
    )
    assert account.display_name == "Old ISA"


def test_an_account_whose_currency_is_malformed_is_reported() -> None:
    parsed = parse_account({"AccountId": "x", "Currency": "gbp"}, 0)
    assert parsed.problem is not None and "Currency 'gbp'" in parsed.problem.message


@pytest.mark.parametrize(
    ("failed", "total", "words"),
    [
        (1, 7, "1 of 7 accounts could not be read"),
        (1, 1, "The account could not be read"),
        (3, 3, "None of the 3 accounts could be read"),
    ],
)
def test_the_summary_of_unread_accounts_reads_right(failed: int, total: int, words: str) -> None:
    from balance_desk.sources.open_banking.source import unread_words

    assert unread_words(failed, total) == words
