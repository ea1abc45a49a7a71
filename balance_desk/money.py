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


# ISO 4217 currencies, by their minor units where those are not 2; a code in neither set is
# taken for a crypto asset. (Enough to write each figure readably; valuation has its own list.)
def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIAT_CURRENCIES = _codes(
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY "
    "KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP "
    "MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR "
    "RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT "
    "TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW "
    "ZWL"
)
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"), 0),
    **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
}
# A crypto figure is shown with at most this many decimals (trailing zeros dropped).
CRYPTO_PLACES = 8


def display_places(currency: str | None) -> int | None:
    """How many decimals make a figure in `currency` readable: its minor units for a fiat
    currency (2 unless ISO says otherwise), None for crypto (up to 8, trailing zeros dropped)."""
    if currency in FIAT_CURRENCIES:
        return MINOR_UNITS.get(currency, 2)
    return None


def readable(amount: Decimal, currency: str | None) -> Decimal:
    """`amount` rounded (half-even) for reading; the exact figure stays in the data."""
    places = display_places(currency)
    with localcontext(prec=MAX_PREC):
        if places is not None:
            rounded = amount.quantize(Decimal(1).scaleb(-places))
        else:
            exponent = amount.as_tuple().exponent
            if not isinstance(exponent, int) or exponent >= -CRYPTO_PLACES:
                rounded = amount
            else:
                rounded = amount.quantize(Decimal(1).scaleb(-CRYPTO_PLACES))
            rounded = (
                rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value()
                else rounded.normalize()
            )
        # -0.004 rounds to "-0.00": a sign on nothing only confuses.
        return rounded.copy_abs() if rounded.is_zero() else rounded
