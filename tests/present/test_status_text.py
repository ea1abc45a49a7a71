"""What the status bar and a tab's message strip say about a source's latest refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from balance_desk.model import AccountResult, BankAccount, BankBalance, BankResult, ErrorInfo
from balance_desk.present.bank_table import build_bank_table
from balance_desk.present.formatting import NumberFormat
from balance_desk.present.status_text import status_text, tab_notice
from balance_desk.present.updates import SourceUpdate

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def _bank(*unread: bool) -> BankResult:
    accounts = []
    for i, failed in enumerate(unread):
        account = BankAccount(account_id=f"acc-{i}", currency="GBP", nickname=f"Account {i}")
        if failed:
            accounts.append(AccountResult(account=account, status="error",
                                          error=ErrorInfo(kind="auth", message="Consent lapsed")))
            continue
        balance = BankBalance(type="InterimAvailable", credit_debit="Credit", amount="10.00",
                              currency="GBP", date_time=NOW)
        accounts.append(AccountResult(account=account, status="ok", balances=(balance,)))
    failed = any(unread)
    return BankResult(status="error" if failed else "ok", accounts=tuple(accounts),
                      fetched_at=NOW,
                      error=ErrorInfo(kind="auth", message="Consent lapsed") if failed else None)


def test_a_partly_read_bank_says_how_many_accounts_were_not_read_and_is_not_stale() -> None:
    result = _bank(False, True, False)
    update = SourceUpdate(
        source="bank", state="error", result=result,
        table=build_bank_table(result, NumberFormat()), figures_at=NOW, error=result.error,
        partly_read=True, next_refresh_at=NOW + timedelta(minutes=5),
    )
    assert not update.stale and update.unread_accounts == (1, 3)
    _, plain = status_text(update, NOW)
    assert plain.startswith("Bank: ") and "Consent lapsed" in plain
    assert "1 of 3 accounts could not be read, the rest updated 14:30:00" in plain
    assert "showing figures from" not in plain
    notice = tab_notice(update, NOW)
    assert notice is not None and notice.kind == "warning"
    assert "<b>1 of 3 accounts could not be read</b> (retry in 5 min)" in notice.html
    assert "Stale" not in notice.html and "Consent lapsed" in notice.html


def test_a_bank_that_failed_wholly_shows_its_last_figures_as_stale() -> None:
    earlier = _bank(False, False)
    failed = BankResult(status="error", fetched_at=NOW,
                        error=ErrorInfo(kind="server", message="Down"))
    update = SourceUpdate(
        source="bank", state="error", result=failed,
        table=build_bank_table(earlier, NumberFormat()), figures_at=NOW - timedelta(hours=1),
        error=failed.error,
    )
    assert update.stale and update.unread_accounts == (0, 0)
    _, plain = status_text(update, NOW)
    assert "showing figures from 13:30:00 (1 h ago)" in plain
    notice = tab_notice(update, NOW)
    assert notice is not None and "Stale" in notice.html
