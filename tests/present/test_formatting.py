"""Figures a person can read: each currency's places, crypto up to 8, decimal points lined up;
the exact figure kept for hover, copy and the detail pane."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balance_desk.money import readable
from balance_desk.present.formatting import NumberFormat
from balance_desk.present.rows import (
    FIGURE_SPACE,
    PUNCTUATION_SPACE,
    Column,
    align_decimals,
    make_row,
)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("812.34567", "EUR", "812.35"),
        ("0.125", "GBP", "0.12"),  # half-even: the banker's rounding, no drift upwards
        ("0.135", "GBP", "0.14"),
        ("1234", "CHF", "1,234.00"),
        ("150000", "JPY", "150,000"),
        ("1.23456", "KWD", "1.235"),
        ("0.52340000", "BTC", "0.5234"),
        ("3.250000000000000000", "ETH", "3.25"),
        ("120.0000000000", "DOT", "120"),
        ("0.123456789", "BTC", "0.12345679"),
        ("-0.004", "GBP", "0.00"),  # never "-0.00"
    ],
)
def test_each_currency_gets_readable_places(amount: str, currency: str, shown: str) -> None:
    assert NumberFormat().money(Decimal(amount), currency) == shown


def test_the_setting_shows_every_digit() -> None:
    every = NumberFormat(every_digit=True)
    assert every.money(Decimal("812.34567"), "EUR") == "812.34567"
    assert every.money(Decimal("3.250000000000000000"), "ETH") == "3.250000000000000000"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=12,
                   min_value=-10**12, max_value=10**12))
def test_readable_is_never_more_than_half_a_last_place_away(value: Decimal) -> None:
    for currency, unit in (("GBP", Decimal("0.01")), ("BTC", Decimal("0.00000001"))):
        assert abs(readable(value, currency) - value) <= unit / 2


def test_decimal_points_line_up_in_an_amount_column() -> None:
    columns = (Column("Currency", "text"), Column("Total", "amount"))
    rows = [
        make_row(columns, "a", ("BTC", Decimal("0.5234")), ("BTC", "0.5234")),
        make_row(columns, "b", ("GBP", Decimal("1234")), ("GBP", "1,234")),
        make_row(columns, "c", ("ETH", None), ("ETH", "—")),
        make_row(columns, "d", ("SOL", Decimal("12.5")), ("SOL", "12.5")),
    ]
    aligned = [row.texts[1] for row in align_decimals(rows, columns, ".")]
    assert aligned == [
        "0.5234",
        "1,234" + PUNCTUATION_SPACE + FIGURE_SPACE * 4,
        "—",
        "12.5" + FIGURE_SPACE * 3,
    ]
    assert [row.values for row in align_decimals(rows, columns, ".")] == [r.values for r in rows]
