"""The Crypto tab's rows: what Revolut X sent, as sent, with a word where it does not add up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from balance_desk.model import CryptoBalance, RevolutXResult
from balance_desk.present.crypto_table import build_crypto_table
from balance_desk.present.formatting import NumberFormat

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def result(*balances: dict[str, str]) -> RevolutXResult:
    return RevolutXResult(
        status="ok",
        balances=tuple(CryptoBalance.model_validate(b) for b in balances),
        fetched_at=NOW,
    )


def test_a_total_that_does_not_add_up_is_shown_as_sent_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    table = build_crypto_table(
        result({"currency": "BTC", "available": "1.0", "reserved": "0.5", "staked": "0.25",
                "total": "2.0"}),
        NumberFormat(),
    )
    row = table.rows[0]
    assert str(row.values[4]) == "2.0" and row.texts[4] == "2"  # not "corrected" to 1.75
    assert row.warning is not None
    assert "total of 2.0 BTC" in row.warning and "is 1.75" in row.warning
    assert any("total of 2.0 BTC" in r.getMessage() for r in caplog.records)
    # Said once in the log, not at every refresh, even as the figures change.
    caplog.clear()
    build_crypto_table(
        result({"currency": "BTC", "available": "1.0", "reserved": "0.5", "staked": "0.25",
                "total": "3.0"}),
        NumberFormat(),
    )
    assert not caplog.records


def test_a_total_that_adds_up_has_no_warning() -> None:
    table = build_crypto_table(
        result({"currency": "ETH", "available": "3.25", "reserved": "0", "staked": "1.50",
                "total": "4.75"},
               {"currency": "GBP", "available": "1", "reserved": "2", "total": "3.00"}),
        NumberFormat(),
    )
    assert [row.warning for row in table.rows] == [None, None]


def test_a_currency_listed_twice_shows_both_rows_with_a_warning() -> None:
    table = build_crypto_table(
        result({"currency": "SOL", "available": "1", "reserved": "0", "total": "1"},
               {"currency": "SOL", "available": "2", "reserved": "0", "total": "2"}),
        NumberFormat(),
    )
    assert [row.texts[1] for row in table.rows] == ["1", "2"]
    assert len({row.key for row in table.rows}) == 2
    for row in table.rows:
        assert row.warning is not None and "listed SOL 2 times" in row.warning
    assert [(t.currency, t.text) for t in table.totals] == [("SOL", "3")]
