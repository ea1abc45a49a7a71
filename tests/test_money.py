"""Amounts keep the server's exact digits and never accept what is not a plain decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_desk.money import AmountError, exact_sum, grouped, parse_amount, plain


@pytest.mark.parametrize("text", ["1000.0000", "1.25000000", "5400.50", "0", "0.00000001", "7"])
def test_wire_amounts_round_trip_with_their_scale(text: str) -> None:
    assert plain(parse_amount(text)) == text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "not a decimal"),
        ("Infinity", "not a decimal"),
        ("1e5", "not a decimal"),
        ("", "not a decimal"),
        (" 1.0", "not a decimal"),
        ("1,000.00", "not a decimal"),
        ("-1.00", "negative"),
        (1.5, "got float"),
        (None, "got NoneType"),
    ],
)
def test_anything_but_a_plain_decimal_string_is_refused(value: object, reason: str) -> None:
    with pytest.raises(AmountError, match=reason):
        parse_amount(value)


def test_negative_allowed_only_when_asked() -> None:
    assert parse_amount("-3.10", allow_negative=True) == Decimal("-3.10")


def test_tiny_amounts_never_print_in_exponent_notation() -> None:
    assert plain(Decimal("1E-8")) == "0.00000001"
    assert grouped(Decimal("1234567.5000")) == "1,234,567.5000"


def test_sums_of_many_large_amounts_do_not_round() -> None:
    amounts = [Decimal("9999999999999.99999")] * 1000
    assert exact_sum(amounts) == Decimal("9999999999999999.99000")


@given(
    st.integers(min_value=0, max_value=10**20),
    st.integers(min_value=0, max_value=12),
)
def test_any_decimal_string_keeps_every_digit(units: int, scale: int) -> None:
    digits = str(units).rjust(scale + 1, "0")
    text = digits if scale == 0 else f"{digits[:-scale]}.{digits[-scale:]}"
    assert plain(parse_amount(text)) == text
