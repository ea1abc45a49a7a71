"""The 4-a-day rule for unattended access: skipped accounts say when they may be read again;
user-present fetches are neither limited nor counted; the bank's own 429 is the backstop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from balance_desk.credentials import CredentialStore
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.sources.open_banking.quota import QUOTA_FILE
from balance_desk.sources.open_banking.source import OpenBankingSource
from tests.sources.open_banking.support import by_id, make_source, store_tokens


def test_fifth_unattended_fetch_is_skipped_with_the_time_it_is_allowed_again(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.balances_per_page = 10  # one request per account and fetch
    start = datetime.now(UTC)
    for _ in range(4):
        result = bank.fetch(user_present=False)
        assert result.status == "ok", result.error
        assert all(a.status == "ok" for a in result.accounts)
    sent = len(sim.requests)
    fifth = bank.fetch(user_present=False)
    assert len(sim.requests) == sent  # nothing was sent
    # Every account skipped: the source says so (issue 15, defect 10: it said "ok"); skipping
    # by quota is not a failure.
    assert fifth.status == "quota"
    assert fifth.error is None
    assert fifth.to_document()["status"] == "quota"
    assert [a.account.account_id for a in fifth.accounts] == [a.account_id for a in sim.accounts]
    for account in fifth.accounts:
        assert account.status == "quota"
        assert account.balances == ()
        assert account.next_allowed_at is not None
        assert start + timedelta(hours=24) <= account.next_allowed_at
        assert account.next_allowed_at <= datetime.now(UTC) + timedelta(hours=24)
    doc = fifth.accounts[0].to_document()
    assert doc["status"] == "quota"
    assert datetime.fromisoformat(doc["next_allowed_at"]) == fifth.accounts[0].next_allowed_at


def test_user_present_fetches_are_not_limited_or_counted(
    bank: OpenBankingSource, sim: BankSimulator, data_home: Path
) -> None:
    sim.balances_per_page = 10  # one request per account and fetch
    for _ in range(6):
        assert bank.fetch(user_present=True).status == "ok"
    assert all("x-fapi-customer-ip-address" in r.headers for r in sim.requests)
    # The full unattended allowance is still there.
    for _ in range(4):
        result = bank.fetch(user_present=False)
        assert all(a.status == "ok" for a in result.accounts)


def test_unattended_fetch_spends_its_allowance_on_balances_not_the_account_list(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    bank.fetch(user_present=True)
    seen = len(sim.requests)
    bank.fetch(user_present=False)
    paths = [r.path for r in sim.requests[seen:]]
    assert not [p for p in paths if "/balances" not in p]
    assert len(paths) == len(sim.accounts) + 1  # the EUR account's balances have 2 pages


def test_first_unattended_fetch_without_an_account_list_reads_it_and_counts_it(
    bank: OpenBankingSource, sim: BankSimulator, data_home: Path
) -> None:
    assert bank.fetch(user_present=False).status == "ok"
    assert len([r for r in sim.requests if "/balances" not in r.path]) == 2  # two pages
    assert "|accounts|*" in (data_home / QUOTA_FILE).read_text()


def test_paginated_account_spends_one_request_per_page(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    bank.fetch(user_present=True)
    bank.fetch(user_present=False)
    bank.fetch(user_present=False)
    third = by_id(bank.fetch(user_present=False))
    # Two pages a fetch: the EUR account's 4 are gone after two fetches; others still fine.
    assert third["acc-eur-main"].status == "quota"
    assert third["acc-gbp-main"].status == "ok"


def test_the_banks_own_429_is_reported_when_the_ledger_was_lost(
    bank: OpenBankingSource, sim: BankSimulator, data_home: Path
) -> None:
    for _ in range(4):
        bank.fetch(user_present=False)
    (data_home / QUOTA_FILE).unlink()
    result = bank.fetch(user_present=False)
    assert result.status == "error"
    account = result.accounts[0]
    assert account.status == "error"
    assert account.error is not None
    assert account.error.kind == "rate_limited"
    assert account.error.retry_at is not None
    assert account.error.retry_at > datetime.now(UTC) + timedelta(hours=23)


def test_quota_is_per_consent_identity(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    store_tokens(memory_store, sim.issue_tokens(client_id="first"))
    first = make_source(sim, memory_store, data_home)
    for _ in range(4):
        first.fetch(user_present=False)
    assert all(a.status == "quota" for a in first.fetch(user_present=False).accounts)
    store_tokens(memory_store, sim.issue_tokens(client_id="second"))
    second = make_source(sim, memory_store, data_home)
    assert all(a.status == "ok" for a in second.fetch(user_present=False).accounts)


def test_an_all_skipped_refresh_keeps_every_figure_on_screen_marked_not_refreshed(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    from balance_desk.fetcher.runner import SourceRunner
    from balance_desk.present.formatting import NumberFormat

    sim.balances_per_page = 10
    runner = SourceRunner([bank], NumberFormat())
    for _ in range(4):
        good = runner.fetch("bank", user_present=False)
    assert good.table is not None and good.table.stale_rows == 0
    skipped = runner.fetch("bank", user_present=False)
    assert skipped.result.status == "quota"
    assert skipped.table is not None
    assert [r.values[4] for r in skipped.table.rows] == [r.values[4] for r in good.table.rows]
    assert skipped.table.stale_rows == len(good.table.rows)
    assert all("only 4 unattended requests a day" in (r.stale_note or "")
               for r in skipped.table.rows)
