"""Property tests: every amount Revolut X can write comes back with exactly its digits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance_desk.errors import ProtocolError
from balance_desk.money import plain
from balance_desk.sources.revolut_x.source import parse_balances

# As servers write them: no leading zeros (a Decimal cannot tell "007" from "7"), any scale,
# trailing zeros included.
whole = st.just("0") | st.from_regex(r"[1-9][0-9]{0,30}", fullmatch=True)
fraction = st.text(alphabet="0123456789", min_size=1, max_size=30)
amounts = st.builds(
    lambda w, f: w if f is None else f"{w}.{f}", whole, st.none() | fraction
)


@given(available=amounts, reserved=amounts, staked=st.none() | amounts, total=amounts)
@settings(max_examples=300, deadline=None)
def test_amount_digits_round_trip_exactly(
    available: str, reserved: str, staked: str | None, total: str
) -> None:
    entry = {"currency": "BTC", "available": available, "reserved": reserved, "total": total}
    if staked is not None:
        entry["staked"] = staked
    # Through JSON text, as it arrives on the wire.
    (balance,) = parse_balances(json.loads(json.dumps([entry])))
    assert plain(balance.available) == available
    assert plain(balance.reserved) == reserved
    assert plain(balance.total) == total
    assert (None if balance.staked is None else plain(balance.staked)) == staked
    assert balance.to_document()["available"] == available


@given(text=st.text(min_size=1, max_size=12))
@settings(max_examples=300, deadline=None)
def test_only_plain_ascii_decimals_are_accepted(text: str) -> None:
    entry = {"currency": "ETH", "available": text, "reserved": "0", "total": "0"}
    plain_ascii = text.replace(".", "", 1).isascii() and text.replace(".", "", 1).isdigit() and (
        not text.startswith(".") and not text.endswith(".")
    )
    if plain_ascii:
        (balance,) = parse_balances([entry])
        assert balance.available == Decimal(text)
    else:
        with pytest.raises(ProtocolError, match="balance for ETH: field 'available'"):
            parse_balances([entry])


# Arabic-Indic, full-width and mixed digits.
@pytest.mark.parametrize("text", ["\u0661\u0662\u0663", "\uff11\uff12", "1.\u0665"])
def test_other_scripts_digits_are_refused(text: str) -> None:
    # Decimal() would read these, but the server's exact text could not be kept.
    with pytest.raises(ProtocolError, match="not a decimal number"):
        parse_balances([{"currency": "ETH", "available": text, "reserved": "0", "total": "0"}])


@pytest.mark.parametrize(
    "currency", ["BTC\u202e", "\u202eCTB", "US\u200bD", "\u2066ETH\u2069", "\ufeffSOL", "A\u061c"]
)
def test_a_currency_with_bidi_or_invisible_characters_is_refused(currency: str) -> None:
    # U+202E would turn the rest of the line around on a terminal and in the window.
    with pytest.raises(ProtocolError, match="field 'currency' is invalid"):
        parse_balances([{"currency": currency, "available": "1", "reserved": "0", "total": "1"}])
