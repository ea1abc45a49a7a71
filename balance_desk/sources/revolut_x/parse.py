"""Parsing `GET /balances`: amounts keep the server's exact digits, anything else is refused
with a message that names the field and the currency."""

from __future__ import annotations

import re
from typing import Annotated, NotRequired

from pydantic import StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from balance_desk.errors import ProtocolError
from balance_desk.model import CryptoBalance
from balance_desk.money import AmountError, is_plain_amount, parse_amount

# The same rules as the checks below, run inside pydantic-core: one pass over the whole list
# is what keeps parsing cheap; the Python checks then only run to explain a rejection.
_Amount = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]+(\.[0-9]+)?$")]
# Printable, no spaces, control or bidi/format characters (U+202E would turn the rest of a line
# around on a terminal or in the window).
_CURRENCY_CHARS = r"[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
_Currency = Annotated[
    str, StringConstraints(strict=True, pattern=rf"^{_CURRENCY_CHARS}{{1,32}}$")
]


class _WireBalance(TypedDict):
    currency: _Currency
    available: _Amount
    reserved: _Amount
    staked: NotRequired[_Amount | None]
    total: _Amount


_WIRE = TypeAdapter(list[_WireBalance])
_MODELS = TypeAdapter(tuple[CryptoBalance, ...])


def parse_balances(doc: object) -> tuple[CryptoBalance, ...]:
    """The `/balances` array as models; every amount keeps the server's exact digits."""
    if not isinstance(doc, list):
        raise ProtocolError(
            f"Revolut X sent a JSON {type(doc).__name__} where the list of balances (a JSON "
            "array) was expected."
        )
    try:
        checked = _WIRE.validate_python(doc)  # also drops fields we do not know
    except ValidationError as exc:
        for index, item in enumerate(doc):
            _check_balance(index, item)
        raise ProtocolError(f"Revolut X sent an unreadable balance list ({exc.error_count()} "
                            "problems).") from exc
    return _MODELS.validate_python(checked)


def _check_balance(index: int, item: object) -> None:
    if not isinstance(item, dict):
        raise ProtocolError(f"Revolut X balance #{index + 1} is not a JSON object.")
    currency = item.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        shown = "missing" if currency is None else f"invalid ({str(currency)[:20]!r})"
        raise ProtocolError(f"Revolut X balance #{index + 1}: field 'currency' is {shown}.")
    for field in ("available", "reserved", "total"):
        _amount(currency, field, item.get(field))
    if item.get("staked") is not None:
        _amount(currency, "staked", item["staked"])


# The same rule in Python, to explain a rejection.
_CURRENCY = re.compile(rf"{_CURRENCY_CHARS}{{1,32}}")


def _amount(currency: str, field: str, value: object) -> str:
    """The wire string itself once it is known to be a plain decimal; the model turns it into
    a Decimal with the same digits."""
    if isinstance(value, str) and is_plain_amount(value):
        return value
    if value is None:
        raise ProtocolError(f"Revolut X balance for {currency}: field '{field}' is missing.")
    try:
        parse_amount(value)
    except AmountError as exc:
        raise ProtocolError(
            f"Revolut X balance for {currency}: field '{field}' is unusable ({exc})."
        ) from exc
    raise AssertionError("is_plain_amount and parse_amount disagree")  # pragma: no cover
