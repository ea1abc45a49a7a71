"""Decimal parsing and formatting. Amounts never pass through float, and keep the server's scale."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import MAX_PREC, Decimal, InvalidOperation, localcontext

# A fixed mask for privacy mode: the same for every amount, so it does not leak the length.
PRIVACY_MASK = "•••••"

# ASCII digits only: `\d` would also admit other scripts' digits, which Decimal() accepts.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SIGNED_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class AmountError(ValueError):
    """A string that is not a plain, finite, non-negative decimal number."""


def is_plain_amount(text: str) -> bool:
    """True for exactly the strings `parse_amount` accepts (non-negative): a cheap pre-check."""
    return _PLAIN_DECIMAL.fullmatch(text) is not None


def parse_amount(text: object, *, allow_negative: bool = False) -> Decimal:
    """Parse a wire amount such as "1.25000000" exactly, keeping its digits and scale.

    Rejects anything but plain decimal strings: numbers sent as JSON numbers, exponents,
    NaN/Infinity, signs (unless allowed), whitespace and empty strings.
    """
    if not isinstance(text, str):
        raise AmountError(f"expected a decimal string, got {type(text).__name__}")
    pattern = _SIGNED_DECIMAL if allow_negative else _PLAIN_DECIMAL
    if not pattern.fullmatch(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        if text.startswith("-") and _SIGNED_DECIMAL.fullmatch(text):
            raise AmountError(f"negative amount {shown!r}")
        raise AmountError(f"not a decimal number: {shown!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise AmountError(f"not a decimal number: {text!r}") from exc


def plain(amount: Decimal) -> str:
    """The exact digits, never exponent notation: Decimal("1E-8") -> "0.00000001"."""
    return format(amount, "f")


def grouped(amount: Decimal) -> str:
    """Digits with thousands separators and the amount's own scale: 1234.5000 -> 1,234.5000."""
    return format(amount, ",f")


def exact_sum(amounts: Iterable[Decimal]) -> Decimal:
    """Sum without rounding, whatever the number of digits (Decimal's default stops at 28)."""
    with localcontext(prec=MAX_PREC):
        return sum(amounts, Decimal(0))


def exact_add(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(prec=MAX_PREC):
        return a + b
