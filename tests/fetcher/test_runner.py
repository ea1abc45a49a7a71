"""SourceRunner: runs sources in this process and is the one keeper of each source's last good
table."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from balance_desk.fetcher.runner import SourceRunner
from balance_desk.model import CryptoBalance, ErrorInfo, RevolutXResult
from balance_desk.present.formatting import NumberFormat
from balance_desk.sources.base import SourceName

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class ScriptedSource:
    """Answers with the results it is given, in order; can be held mid-fetch."""

    name: SourceName = "revolut_x"

    def __init__(self, *results: RevolutXResult) -> None:
        self.results = list(results)
        self.closed = 0
        self.hold = threading.Event()
        self.hold.set()
        self.inside = threading.Event()

    def is_configured(self) -> bool:
        return True

    def fetch(self, *, user_present: bool) -> RevolutXResult:
        self.inside.set()
        self.hold.wait(5)
        return self.results.pop(0)

    def close(self) -> None:
        self.closed += 1


def ok(amount: str) -> RevolutXResult:
    balance = CryptoBalance.model_validate(
        {"currency": "BTC", "available": amount, "reserved": "0", "total": amount}
    )
    return RevolutXResult(status="ok", balances=[balance], fetched_at=NOW)


FAILED = RevolutXResult(
    status="error", error=ErrorInfo(kind="server", message="Down"), fetched_at=NOW
)
GONE = RevolutXResult(status="not_configured", fetched_at=NOW)


def test_a_failed_refresh_answers_with_the_last_good_table_itself() -> None:
    runner = SourceRunner([ScriptedSource(ok("1.5"), FAILED, FAILED, ok("2"))], NumberFormat())
    good = runner.fetch("revolut_x", True)
    assert good.table is not None and good.table.rows[0].texts[1] == "1.5"
    for _ in range(2):
        failed = runner.fetch("revolut_x", True)
        assert failed.result.status == "error"
        assert failed.table is good.table  # same figures, same serial: shown as they are
    fresh = runner.fetch("revolut_x", True)
    assert fresh.table is not None and fresh.table.serial != good.table.serial
    assert fresh.table.rows[0].texts[1] == "2"


def test_once_the_keys_are_gone_the_figures_go_too() -> None:
    runner = SourceRunner([ScriptedSource(ok("1"), GONE, FAILED)], NumberFormat())
    assert runner.fetch("revolut_x", True).table is not None
    assert runner.fetch("revolut_x", True).table is None
    assert runner.fetch("revolut_x", True).table is None  # nothing good to fall back on


def test_closing_waits_for_a_busy_source_then_cleans_up_once() -> None:
    source = ScriptedSource(ok("1"))
    source.hold.clear()
    cleanups: list[str] = []
    runner = SourceRunner([source], NumberFormat(), cleanup=lambda: cleanups.append("done"))
    answers = []
    fetching = threading.Thread(target=lambda: answers.append(runner.fetch("revolut_x", True)))
    fetching.start()
    assert source.inside.wait(5)
    runner.close()  # never blocks, even mid-fetch
    assert source.closed == 0 and cleanups == []
    source.hold.set()
    fetching.join(5)
    assert source.closed == 1 and cleanups == ["done"]
    runner.close()
    assert source.closed == 1 and cleanups == ["done"]
    after = runner.fetch("revolut_x", True)
    assert after.result.status == "error" and after.result.error is not None
    assert after.result.error.message == "Balance Desk is quitting."


def test_closing_idle_sources_closes_them_at_once() -> None:
    source = ScriptedSource()
    cleanups: list[str] = []
    SourceRunner([source], NumberFormat(), cleanup=lambda: cleanups.append("done")).close()
    assert source.closed == 1 and cleanups == ["done"]


def test_every_successful_fetch_is_recorded_in_the_history(tmp_path: Path) -> None:
    from balance_desk.history import HISTORY_FILE, History

    history = History(tmp_path / HISTORY_FILE)
    runner = SourceRunner([ScriptedSource(ok("1.5"), FAILED, ok("2"))], NumberFormat(),
                          history=history)
    for _ in range(3):
        runner.fetch("revolut_x", user_present=True)
    totals = [row.amount for row in history.rows() if row.balance_type == "total"]
    assert history.fetch_count() == 2  # the failed refresh is not a point in the history
    assert totals == ["1.5", "2"]
    runner.close()  # closes the history with the sources


class ScriptedBank:
    name: SourceName = "bank"

    def __init__(self, *results: object) -> None:
        self.results = list(results)

    def is_configured(self) -> bool:
        return True

    def fetch(self, *, user_present: bool) -> object:
        return self.results.pop(0)

    def close(self) -> None:
        pass


def _bank(*accounts: tuple[str, str | None]) -> object:
    """A bank result: (account id, its balance, or None when it could not be read)."""
    from balance_desk.model import AccountResult, BankAccount, BankBalance, BankResult

    read = []
    for account_id, amount in accounts:
        account = BankAccount(account_id=account_id, currency="GBP", nickname=account_id)
        if amount is None:
            read.append(AccountResult(account=account, status="error",
                                      error=ErrorInfo(kind="auth", message="Consent lapsed")))
            continue
        balance = BankBalance(type="InterimAvailable", credit_debit="Credit",
                              amount=amount, currency="GBP", date_time=NOW)
        read.append(AccountResult(account=account, status="ok", balances=(balance,)))
    failed = any(amount is None for _, amount in accounts)
    return BankResult(status="error" if failed else "ok", accounts=tuple(read),
                      fetched_at=NOW,
                      error=ErrorInfo(kind="auth", message="1 of 2 banks") if failed else None)


def test_a_refresh_where_one_bank_failed_still_records_the_other(tmp_path: Path) -> None:
    from balance_desk.history import HISTORY_FILE, History

    history = History(tmp_path / HISTORY_FILE)
    runner = SourceRunner(
        [ScriptedBank(_bank(("Everyday", "100.00"), ("Savings", "50.00")),  # type: ignore[list-item]
                      _bank(("Everyday", "120.00"), ("Savings", None)))],
        NumberFormat(), history=history,
    )
    for _ in range(2):
        runner.fetch("bank", user_present=True)
    assert history.fetch_count() == 2
    read = [(row.key, row.amount) for row in history.rows()]
    assert read == [("Everyday", "100.00"), ("Savings", "50.00"), ("Everyday", "120.00")]
    # The next start paints the last whole answer, not the half one.
    document = history.last_documents()["bank"]
    assert "50.00" in document and "120.00" not in document
    runner.close()


def test_when_one_bank_fails_the_others_fresh_figures_show_beside_its_last_ones() -> None:
    runner = SourceRunner(
        [ScriptedBank(_bank(("Everyday", "100.00"), ("Savings", "50.00")),  # type: ignore[list-item]
                      _bank(("Everyday", "120.00"), ("Savings", None)))],
        NumberFormat(),
    )
    runner.fetch("bank", user_present=True)
    outcome = runner.fetch("bank", user_present=True)
    assert outcome.result.status == "error"  # the window still says one bank failed
    table = outcome.table
    assert table is not None
    shown = {row.texts[0]: row.texts[4] for row in table.rows}  # the Amount column
    assert shown == {"Everyday": "120.00", "Savings": "50.00"}
    assert table.stale_rows == 1  # Savings: its last figures, marked
    runner.close()


def test_the_figures_shown_are_kept_as_text_for_the_next_first_paint(tmp_path: Path) -> None:
    """Written after a fetch that shows new figures, not rewritten when nothing changed, and a
    failed refresh keeps the last figures (with their time)."""
    from balance_desk.model import BankResult
    from balance_desk.present.glance import read_glance

    path = tmp_path / "history-last-figures.json"
    failed = BankResult(status="error", fetched_at=NOW,
                        error=ErrorInfo(kind="server", message="Down"))
    runner = SourceRunner(
        [ScriptedBank(_bank(("Everyday", "100.00"), ("Savings", "50.25")),  # type: ignore[list-item]
                      _bank(("Everyday", "100.00"), ("Savings", "50.25")), failed)],
        NumberFormat(), glance=path,
    )
    runner.fetch("bank", user_present=True)
    glance, problem = read_glance(path)
    assert problem is None and glance is not None
    assert glance.figures_at == {"bank": NOW}
    table = glance.tables["bank"]
    assert [row[0] for row in table.rows] == ["Everyday", "Savings"]
    assert "50.25" in [cell.strip() for cell in table.rows[1]]
    assert "overview" not in glance.tables  # no rates: no Overview to show
    written = path.stat().st_ino
    runner.fetch("bank", user_present=True)  # the same figures: the file stays as it is
    assert path.stat().st_ino == written
    runner.fetch("bank", user_present=True)  # failed: the last figures stay
    kept, _ = read_glance(path)
    assert kept == glance
    runner.close()


def test_a_glance_that_cannot_be_written_never_fails_a_fetch_and_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    runner = SourceRunner(
        [ScriptedBank(_bank(("Everyday", "100.00")), _bank(("Everyday", "101.00")))],  # type: ignore[list-item]
        NumberFormat(), glance=blocker / "history-last-figures.json",
    )
    for _ in range(2):
        outcome = runner.fetch("bank", user_present=True)
        assert outcome.result.status == "ok" and outcome.table is not None
    said = [r for r in caplog.records if "cannot be kept" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is None
    runner.close()


class _AskedRates:
    """Rates in GBP from a fixed ECB day; says which currencies it was asked for."""

    base = "GBP"

    def __init__(self) -> None:
        self.asked: list[set[str]] = []

    def prices(self, currencies: object) -> object:
        from decimal import Decimal

        from balance_desk.valuation import EcbRates, Prices, RateInputs

        wanted = set(currencies)  # type: ignore[call-overload]
        self.asked.append(wanted)
        ecb = EcbRates(NOW.date(), {"GBP": Decimal("0.85"), "USD": Decimal("1.10")}, NOW)
        return Prices("GBP", RateInputs(ecb=ecb))

    def close(self) -> None:
        pass


def test_a_partly_read_bank_is_valued_with_the_unread_accounts_currencies_too() -> None:
    from balance_desk.model import AccountResult, BankAccount, BankBalance, BankResult
    from balance_desk.present.bank_table import BANK_COLUMNS

    def bank(usd_read: bool) -> BankResult:
        accounts = []
        for account_id, currency, read in (("Everyday", "GBP", True), ("Dollars", "USD", usd_read)):
            account = BankAccount(account_id=account_id, currency=currency, nickname=account_id)
            if not read:
                accounts.append(AccountResult(account=account, status="error",
                                              error=ErrorInfo(kind="auth", message="Lapsed")))
                continue
            balance = BankBalance(type="InterimAvailable", credit_debit="Credit",
                                  amount="100.00", currency=currency, date_time=NOW)
            accounts.append(AccountResult(account=account, status="ok", balances=(balance,)))
        return BankResult(status="ok" if usd_read else "error", accounts=tuple(accounts),
                          fetched_at=NOW,
                          error=None if usd_read else ErrorInfo(kind="auth", message="Lapsed"))

    rates = _AskedRates()
    runner = SourceRunner([ScriptedBank(bank(True), bank(False))],  # type: ignore[list-item]
                          NumberFormat(), rates=rates)  # type: ignore[arg-type]
    runner.fetch("bank", user_present=True)
    outcome = runner.fetch("bank", user_present=True)
    assert "USD" in rates.asked[-1]  # the carried Dollars rows need their rate
    table = outcome.table
    assert table is not None
    value = [column.title for column in BANK_COLUMNS].index("Value")
    shown = {row.texts[0]: row.texts[value].strip() for row in table.rows}
    assert shown["Everyday"] == "100.00" and shown["Dollars"] not in ("", "—")
    runner.close()
