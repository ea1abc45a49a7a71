"""Fuzz (Hypothesis) over every parser and every file the app reads: whatever comes in, only the
project's own errors come out, and the amounts that are accepted keep their digits (issue 15's
fuzz suite)."""

from __future__ import annotations

import contextlib
import json
import types
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance_desk.config import Settings
from balance_desk.errors import ConfigError, ProtocolError
from balance_desk.model import BankAccount
from balance_desk.money import plain
from balance_desk.sources.open_banking.client import BankClient
from balance_desk.sources.open_banking.parse import (
    decode_json,
    obie_error,
    parse_account,
    parse_balance,
    read_page,
)
from balance_desk.sources.open_banking.quota import QUOTA_FILE, QuotaLedger
from balance_desk.sources.rates.ecb import CACHE_FILE, EcbFeed, parse_feed
from balance_desk.sources.rates.tickers import parse_pairs, parse_tickers
from balance_desk.sources.revolut_x.parse import parse_balances

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                            HealthCheck.function_scoped_fixture],
)

# Strings that are nearly amounts, codes and dates, and strings that are anything at all.
AMOUNTISH = st.from_regex(r"-?[0-9]{0,30}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
TEXT = st.one_of(st.text(max_size=40), AMOUNTISH, st.sampled_from(
    ["NaN", "Infinity", "-0", "1e999", "\u202eGBP", "BTC", "GBP", "Credit", "Debit",
     "InterimAvailable", "2026-11-21T08:00:00Z", "2026-13-40T99:99:99Z", ""]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(TEXT, st.sampled_from([
            "currency", "available", "reserved", "staked", "total", "Amount", "Currency",
            "CreditDebitIndicator", "Type", "DateTime", "CreditLine", "Included", "AccountId",
            "Data", "Balance", "Account", "Links", "Next", "symbol", "mid", "bid", "ask",
            "data", "metadata", "timestamp", "base", "quote", "status", "Message", "Errors",
        ])), inner, max_size=6),
    ),
    max_leaves=25,
)


def _balance_like() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"currency": TEXT, "available": TEXT, "reserved": TEXT, "total": TEXT},
        optional={"staked": st.one_of(st.none(), TEXT)},
    )


@FUZZ
@given(st.one_of(JSON, st.lists(st.one_of(_balance_like(), JSON), max_size=4)))
def test_revolut_x_balances_only_protocol_errors_and_exact_digits(doc: Any) -> None:
    try:
        balances = parse_balances(doc)
    except ProtocolError:
        return
    for wire, parsed in zip(doc, balances, strict=True):
        for field in ("available", "reserved", "total"):
            assert plain(getattr(parsed, field)) == wire[field]  # every digit, as sent


def _obie_balance() -> st.SearchStrategy[dict[str, Any]]:
    amount = st.fixed_dictionaries({"Amount": TEXT, "Currency": TEXT})
    return st.fixed_dictionaries(
        {"AccountId": st.just("a-1"), "Amount": st.one_of(amount, JSON),
         "CreditDebitIndicator": TEXT, "Type": TEXT, "DateTime": TEXT},
        optional={"CreditLine": st.lists(st.fixed_dictionaries(
            {"Included": st.one_of(st.booleans(), JSON)},
            optional={"Amount": st.one_of(amount, JSON), "Type": TEXT}), max_size=3)},
    )


ACCOUNT = BankAccount(account_id="a-1", currency="GBP")


@FUZZ
@given(st.one_of(_obie_balance(), JSON))
def test_bank_balances_only_protocol_errors_and_exact_digits(raw: Any) -> None:
    try:
        balance = parse_balance(raw, ACCOUNT, 0)
    except ProtocolError:
        return
    assert plain(balance.amount) == raw["Amount"]["Amount"]


@FUZZ
@given(JSON)
def test_bank_accounts_and_pages_only_protocol_errors(raw: Any) -> None:
    for call in (lambda: parse_account(raw, 0),
                 lambda: read_page(raw, collection="Account", what="GET /accounts")):
        with contextlib.suppress(ProtocolError):
            call()


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSON.map(lambda d: json.dumps(d).encode())))
def test_bank_bodies_and_error_bodies_never_raise_anything_else(body: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_json(body, what="GET /accounts")
    message, _error_id = obie_error(body)
    assert message is None or isinstance(message, str)


@FUZZ
@given(st.one_of(JSON, st.integers(), st.text(max_size=40)))
def test_the_token_answers_lifetime_is_a_time_or_nothing(expires_in: Any) -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    fake = types.SimpleNamespace(_clock=lambda: now)
    when = BankClient._token_expiry(fake, expires_in)  # type: ignore[arg-type]
    assert when is None or now <= when <= now.replace(year=2027, day=3)


@FUZZ
@given(st.one_of(JSON, st.fixed_dictionaries({
    "data": st.lists(st.fixed_dictionaries(
        {"symbol": TEXT}, optional={"mid": TEXT, "bid": TEXT, "ask": TEXT, "region": TEXT}),
        max_size=4),
    "metadata": JSON,
})))
def test_tickers_and_pairs_only_protocol_errors_and_exact_digits(doc: Any) -> None:
    try:
        tickers = parse_tickers(doc)
    except ProtocolError:
        tickers = ()
    for ticker in tickers:
        assert ticker.mid > 0
        sent = [d for d in doc["data"] if d.get("symbol") == f"{ticker.base}/{ticker.quote}"]
        if sent and isinstance(sent[0].get("mid"), str):
            assert plain(ticker.mid) == sent[0]["mid"]
    with contextlib.suppress(ProtocolError):
        parse_pairs(doc)


FEED = (b"<?xml version='1.0'?><Envelope><Cube><Cube time='2026-11-30'>"
        b"<Cube currency='USD' rate='1.0523'/></Cube></Cube></Envelope>")


@FUZZ
@given(st.one_of(
    st.binary(max_size=300),
    st.builds(lambda cut, junk: FEED[:cut] + junk + FEED[cut:],
              st.integers(0, len(FEED)), st.binary(max_size=20)),
    st.builds(lambda rate: FEED.replace(b"1.0523", rate.encode(errors="replace")), TEXT),
))
def test_the_ecb_feed_only_protocol_errors_and_exact_digits(body: bytes) -> None:
    try:
        rates = parse_feed(body)
    except ProtocolError:
        return
    import re

    sent = {
        code.decode(): Decimal(rate.decode())
        for code, rate in re.findall(
            rb"currency=['\"]([A-Z]{3})['\"] rate=['\"]([0-9.]+)['\"]", body
        )
    }
    for code, rate in rates.per_euro.items():
        assert rate > 0 and len(code) == 3
        if code in sent:  # the same number and scale as written ("01" is 1, "1.50" stays 1.50)
            assert rate == sent[code] and rate.as_tuple().exponent == sent[code].as_tuple().exponent


FILE_BYTES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda d: json.dumps(d).encode()),
    st.just(b"[" * 50_000),
    st.just(b'{"v": 1, "requests": {"k": ["2026-11-30T00:00:00"]}}'),
)


@FUZZ
@given(FILE_BYTES)
def test_a_damaged_settings_file_is_a_config_error_or_settings(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "settings.json").write_bytes(content)
    try:
        loaded = Settings.load(tmp_path)
    except ConfigError as exc:
        assert "moved aside" in str(exc) or "could not be moved" in str(exc)
        return
    assert isinstance(loaded, Settings)


@FUZZ
@given(FILE_BYTES)
def test_a_damaged_quota_ledger_never_raises_and_pauses_unattended_requests(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / QUOTA_FILE).write_bytes(content)
    ledger = QuotaLedger(tmp_path)
    ledger.next_allowed_at("key")
    ledger.mark_user_present()
    ledger.try_reserve("key")


@FUZZ
@given(FILE_BYTES)
def test_a_damaged_ecb_cache_never_raises(tmp_path: Path, content: bytes) -> None:
    (tmp_path / CACHE_FILE).write_bytes(content)
    feed = EcbFeed("http://127.0.0.1:9/feed.xml", tmp_path)
    rates, fetched_at, _problem = feed._read_cache()
    assert rates is None or (fetched_at is not None and all(r > 0 for r in
                                                              rates.per_euro.values()))


@pytest.mark.parametrize("content", [b"[" * 50_000, b"\xff\xfe", b'{"identity": 5}', b"[]"])
def test_a_damaged_account_list_cache_is_moved_aside(tmp_path: Path, content: bytes) -> None:
    from balance_desk.credentials import CredentialStore, MemoryKeyring
    from balance_desk.sources.open_banking.source import ACCOUNTS_CACHE_FILE, OpenBankingSource

    (tmp_path / ACCOUNTS_CACHE_FILE).write_bytes(content)
    source = OpenBankingSource(CredentialStore(MemoryKeyring()), Settings().bank, tmp_path)
    assert source._cached_accounts("identity") is None
    if content != b'{"identity": 5}':  # another consent's list is not damage
        assert list(tmp_path.glob(f"{ACCOUNTS_CACHE_FILE}.damaged-*"))


def test_the_fuzzers_would_notice_a_lost_digit() -> None:
    """The digit checks above can fail: a balance with trailing zeros keeps them."""
    (balance,) = parse_balances(
        [{"currency": "BTC", "available": "1.50", "reserved": "0.000", "total": "1.500"}]
    )
    assert plain(balance.total) == "1.500" and balance.total == Decimal("1.5")


