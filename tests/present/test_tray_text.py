"""The tray's decisions, without a tray: icon state, tooltip text and when to notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
)
from balance_desk.money import PRIVACY_MASK
from balance_desk.present.tray_text import (
    TrayModel,
    balance_change_message,
    bank_totals,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def crypto(at: datetime, **totals: str) -> RevolutXResult:
    return RevolutXResult(
        status="ok",
        fetched_at=at,
        balances=tuple(
            CryptoBalance(
                currency=c, available=Decimal(v), reserved=Decimal("0"), total=Decimal(v)
            )
            for c, v in totals.items()
        ),
    )


def failed(kind: str = "network") -> RevolutXResult:
    return RevolutXResult(
        status="error", error=ErrorInfo(kind=kind, message="down"), fetched_at=T0
    )


def bank_balance(kind: str, amount: str, cd: str = "Credit", cur: str = "GBP") -> BankBalance:
    return BankBalance(
        type=kind,
        credit_debit=cd,
        amount=Decimal(amount),
        currency=cur,
        date_time=T0,
        credit_lines=(CreditLine(included=False, type="Available", amount=Decimal("500.00"),
                                 currency=cur),),
    )


def bank(at: datetime) -> BankResult:
    def account(aid: str, *balances: BankBalance) -> AccountResult:
        return AccountResult(
            account=BankAccount(account_id=aid, currency="GBP"), status="ok", balances=balances
        )

    return BankResult(
        status="ok",
        fetched_at=at,
        accounts=(
            account("a1", bank_balance("InterimAvailable", "970.49"),
                    bank_balance("InterimBooked", "900.00")),
            account("a2", bank_balance("InterimBooked", "100.51", "Debit")),
            account("a3", bank_balance("InterimAvailable", "10.00", cur="EUR")),
        ),
    )


def test_bank_totals_take_one_balance_per_account_and_respect_the_sign() -> None:
    # 970.49 available (not also the 900.00 booked) minus the 100.51 debit.
    assert bank_totals(bank(T0)) == {"GBP": Decimal("869.98"), "EUR": Decimal("10.00")}


def test_tooltip_lists_totals_per_currency_and_time_and_masks_in_privacy() -> None:
    model = TrayModel()
    model.record("revolut_x", crypto(T0, BTC="1.25000000", USD="5400.50"))
    model.record("bank", bank(T0))
    text = model.tooltip(T0)
    local = T0.astimezone().strftime("%H:%M")
    assert f"Revolut X, updated {local}" in text
    assert "BTC 1.25000000" in text
    assert "USD 5,400.50" in text
    assert "GBP 869.98" in text
    model.privacy = True
    masked = model.tooltip(T0)
    assert "1.25" not in masked and "5,400" not in masked and "869" not in masked
    assert f"BTC {PRIVACY_MASK}" in masked and f"GBP {PRIVACY_MASK}" in masked


def test_state_follows_refreshing_stale_error_and_ok() -> None:
    model = TrayModel()
    model.record("bank", BankResult(status="not_configured"))
    assert model.state(T0) == "idle"
    model.set_refreshing("revolut_x", True)
    assert model.state(T0) == "refreshing"
    model.record("revolut_x", failed())
    assert model.state(T0) == "error"  # never worked: nothing to show
    model.record("revolut_x", crypto(T0, BTC="1"))
    assert model.state(T0) == "ok"
    model.record("revolut_x", failed())
    assert model.state(T0) == "stale"  # old figures still shown
    model.record("revolut_x", crypto(T0, BTC="1"))
    # Figures get old without any error when refreshes stop arriving.
    assert model.state(T0 + timedelta(seconds=89)) == "ok"
    assert model.state(T0 + timedelta(seconds=91)) == "stale"
    assert "not current" in model.tooltip(T0 + timedelta(seconds=91))


def test_notifies_once_when_a_working_source_starts_failing_and_when_it_recovers() -> None:
    model = TrayModel()
    model.record("bank", BankResult(status="not_configured"))
    assert model.record("revolut_x", failed()) == []  # first failure: not "started failing"
    assert model.record("revolut_x", crypto(T0, BTC="1")) == []
    notes = model.record("revolut_x", failed("auth"))
    assert len(notes) == 1 and notes[0].warning
    assert notes[0].title == "Revolut X is not updating"
    assert "The keys were refused" in notes[0].message
    assert model.record("revolut_x", failed("auth")) == []  # retries do not nag
    recovered = model.record("revolut_x", crypto(T0, BTC="1"))
    assert [n.title for n in recovered] == ["Revolut X is updating again"]
    assert model.record("revolut_x", crypto(T0, BTC="1")) == []


def test_balance_change_notifications_are_off_by_default_and_obey_privacy() -> None:
    model = TrayModel()
    model.record("revolut_x", crypto(T0, BTC="1.0"))
    assert model.record("revolut_x", crypto(T0, BTC="2.0")) == []
    model.notify_balance_changes = True
    notes = model.record("revolut_x", crypto(T0, BTC="2.5", ETH="1"))
    assert [n.message for n in notes] == ["BTC 2.0 → 2.5; ETH none → 1"]
    model.privacy = True
    notes = model.record("revolut_x", crypto(T0, BTC="3", ETH="1"))
    assert [n.message for n in notes] == ["Changed: BTC"]
    assert "3" not in notes[0].message
    # The same amount with another scale is not a change.
    assert balance_change_message({"BTC": Decimal("1.50")}, {"BTC": Decimal("1.5")}, False) is None
