"""The `snapshot --json` document: amounts are strings with the server's digits, never numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from balance_desk.model import (
    AccountResult,
    BankAccount,
    BankBalance,
    BankResult,
    CreditLine,
    CryptoBalance,
    ErrorInfo,
    RevolutXResult,
    Snapshot,
)

WHEN = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_document_keeps_digits_and_uses_strings() -> None:
    snap = Snapshot(
        fetched_at=WHEN,
        revolut_x=RevolutXResult(
            status="ok",
            balances=(
                CryptoBalance(
                    currency="BTC",
                    available=Decimal("1.25000000"),
                    reserved=Decimal("0.10000000"),
                    total=Decimal("1.35000000"),
                ),
                CryptoBalance(
                    currency="DOT",
                    available=Decimal("0.00000001"),
                    reserved=Decimal("0"),
                    staked=Decimal("12.5"),
                    total=Decimal("12.50000001"),
                ),
            ),
        ),
    )
    doc = json.loads(json.dumps(snap.to_document()))
    assert doc["schema"] == 1
    assert doc["fetched_at"] == "2026-11-21T10:00:00Z"
    assert doc["sources"]["revolut_x"] == {
        "status": "ok",
        "error": None,
        "balances": [
            {
                "currency": "BTC",
                "available": "1.25000000",
                "reserved": "0.10000000",
                "staked": None,
                "total": "1.35000000",
            },
            {
                "currency": "DOT",
                "available": "0.00000001",
                "reserved": "0",
                "staked": "12.5",
                "total": "12.50000001",
            },
        ],
    }
    assert "bank" not in doc["sources"]


def test_error_document_names_kind_status_and_id() -> None:
    snap = Snapshot(
        fetched_at=WHEN,
        revolut_x=RevolutXResult(
            status="error",
            error=ErrorInfo(
                kind="auth", message="Refused", http_status=401, error_id="e-1", server_message="x"
            ),
        ),
    )
    assert snap.to_document()["sources"]["revolut_x"]["error"] == {
        "kind": "auth",
        "message": "Refused",
        "http_status": 401,
        "error_id": "e-1",
    }


def test_bank_debit_balance_is_negative_and_derived_amounts_are_exact() -> None:
    balance = BankBalance(
        type="InterimAvailable",
        credit_debit="Debit",
        amount=Decimal("100.00"),
        currency="GBP",
        date_time=WHEN,
        credit_lines=(
            CreditLine(included=False, type="Available", amount=Decimal("400.00"), currency="GBP"),
        ),
    )
    result = BankResult(
        status="ok",
        accounts=(
            AccountResult(
                account=BankAccount(account_id="a1", currency="GBP", nickname="Main"),
                status="ok",
                balances=(balance,),
            ),
        ),
    )
    doc = result.to_document()["accounts"][0]["balances"][0]
    assert doc["amount"] == "100.00"
    assert doc["signed_amount"] == "-100.00"
    assert doc["amount_without_included_credit"] == "-100.00"
    assert doc["amount_with_unused_credit"] == "300.00"
    assert doc["date_time"] == "2026-11-21T10:00:00+00:00"


def test_a_staked_zero_is_the_string_zero_not_null() -> None:
    from balance_desk.model import CryptoBalance

    balance = CryptoBalance(
        currency="DOT", available=Decimal("1"), reserved=Decimal("0"), staked=Decimal("0"),
        total=Decimal("1"),
    )
    assert balance.to_document()["staked"] == "0"  # staking reported, nothing staked
    unstaked = balance.model_copy(update={"staked": None})
    assert unstaked.to_document()["staked"] is None  # staking not reported at all
