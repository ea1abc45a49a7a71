"""Locale-aware text for amounts, percentages and ages, built once per refresh off the GUI thread.

Decimals are grouped by hand from their exact digits: QLocale only formats floats, and a float
would lose the server's digits and scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from balance_desk.money import plain, readable

MISSING = "—"


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How numbers are written: the GUI reads the system locale's (`gui.number_format`)."""

    group: str = ","
    decimal: str = "."
    minus: str = "-"
    # Every digit the server sent in the tables too, not a readable rounding (a setting).
    every_digit: bool = False

    def amount(self, value: Decimal) -> str:
        """1234567.8900 -> "1,234,567.8900": every digit and the scale the server sent."""
        text = plain(value)
        negative = text.startswith("-")
        digits = text[1:] if negative else text
        whole, _, fraction = digits.partition(".")
        head = len(whole) % 3 or 3
        parts = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
        out = self.group.join(parts)
        if fraction:
            out += self.decimal + fraction
        return self.minus + out if negative else out

    def money(self, value: Decimal, currency: str | None) -> str:
        """A figure for a table: rounded to be read (2 decimals for most fiat currencies, up to
        8 for crypto, trailing zeros dropped), or every digit with `every_digit`. The exact
        figure is always one hover, copy or detail pane away."""
        return self.amount(value if self.every_digit else readable(value, currency))

    def percent(self, share: Decimal | None) -> str:
        """A 0..1 share as "12.50 %"; percentages may stay visible in privacy mode."""
        if share is None:
            return MISSING
        return self.amount((share * 100).quantize(Decimal("0.01"))) + " %"


