"""When a bank connection wants renewing (issue 14): seven days before its consent or refresh
token lapses, once lapsed, and when the bank refused its tokens; said in the status bar with a
"Renew…" link and in the tray's tooltip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from balance_desk.model import BankResult, ConnectionResult, ErrorInfo
from balance_desk.present.status_text import RENEW_LINK, renewals, status_text
from balance_desk.present.tray_text import TrayModel
from balance_desk.present.updates import SourceUpdate

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _result(*lines: ConnectionResult) -> BankResult:
    return BankResult(status="ok", fetched_at=NOW, connections=lines)


def test_only_what_lapses_within_a_week_or_was_refused_wants_renewing() -> None:
    result = _result(
        ConnectionResult(name="Soon", status="ok", refresh_expires_at=NOW + timedelta(days=6)),
        ConnectionResult(name="Later", status="ok", consent_expires_at=NOW + timedelta(days=8)),
        ConnectionResult(name="Gone", status="ok", consent_expires_at=NOW - timedelta(hours=1)),
        ConnectionResult(name="Refused", status="error",
                         error=ErrorInfo(kind="auth", message="refused")),
        ConnectionResult(name="Down", status="error",
                         error=ErrorInfo(kind="network", message="down")),
    )
    wanted = dict(renewals(result, NOW))
    assert set(wanted) == {"Soon", "Gone", "Refused"}
    assert wanted["Soon"].startswith("the consent of 'Soon' lapses on")
    assert "has lapsed" in wanted["Gone"] and "refused the tokens" in wanted["Refused"]


def test_the_status_bar_links_to_renewing_and_the_tray_says_so() -> None:
    result = _result(ConnectionResult(name="Everyday", status="ok",
                                      consent_expires_at=NOW + timedelta(days=2)))
    update = SourceUpdate(source="bank", state="ok", result=result, figures_at=NOW)
    html, plain = status_text(update, NOW)
    assert f"<a href='{RENEW_LINK}Everyday'>Renew…</a>" in html
    assert "the consent of 'Everyday' lapses on" in plain
    tray = TrayModel()
    tray.record("bank", result)
    assert "Renew: the consent of 'Everyday' lapses on" in tray.tooltip(NOW)
    assert tray.renewals(NOW)[0][0] == "Everyday"


def test_the_tray_reports_each_bank_when_there_are_several() -> None:
    result = BankResult(status="error", fetched_at=NOW, error=ErrorInfo(kind="network",
                        message="1 of 2 banks could not be read"), connections=(
        ConnectionResult(name="Everyday", status="ok"),
        ConnectionResult(name="Savings", status="error",
                         error=ErrorInfo(kind="network", message="down")),
    ))
    tray = TrayModel()
    tray.record("bank", _result(ConnectionResult(name="Everyday", status="ok"),
                                ConnectionResult(name="Savings", status="ok")))
    tray.record("bank", result)
    tip = tray.tooltip(NOW)
    assert "  Everyday: ok" in tip and "  Savings: " in tip and "Savings: ok" not in tip
