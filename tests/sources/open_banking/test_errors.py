"""Every way the bank can fail, as a user sees it: typed, worded, with the bank's error id, and
never losing the accounts that did work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.simulator.certs import load_ca, write_client
from balance_desk.simulator.open_banking.data import SimAccount, balance
from balance_desk.simulator.open_banking.server import (
    HTML_BODY,
    TRUNCATED_BODY,
    BankSimulator,
)
from balance_desk.simulator.open_banking.transport import obie_error
from balance_desk.sources.open_banking.source import OpenBankingSource
from tests.sources.open_banking.support import bank_settings, by_id, make_source, store_tokens


def test_one_failing_account_keeps_the_others(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.fail(
        500,
        path="/accounts/acc-usd/balances",
        times=None,
        body=obie_error(500, "UK.OBIE.UnexpectedError", "Ledger unavailable", "err-42"),
    )
    result = bank.fetch(user_present=True)
    assert result.status == "error"
    accounts = by_id(result)
    assert len(accounts) == len(sim.accounts)
    failed = accounts["acc-usd"]
    assert failed.status == "error"
    assert failed.balances == ()
    assert failed.error is not None
    assert failed.error.kind == "server"
    assert failed.error.http_status == 500
    assert failed.error.error_id == "err-42"
    assert "Ledger unavailable" in failed.error.message
    assert all(a.status == "ok" for i, a in accounts.items() if i != "acc-usd")
    assert result.error is not None
    assert result.error.message.startswith("1 of 7 accounts could not be read; CurrentAccount")
    assert result.error.error_id == "err-42"


def test_429_with_empty_body_honours_retry_after_in_seconds(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.fail(429, path="/accounts", body=b"{}", retry_after_s=120)
    before = datetime.now(UTC)
    result = bank.fetch(user_present=True)
    assert result.status == "error"
    error = result.error
    assert error is not None
    assert error.kind == "rate_limited"
    assert error.http_status == 429
    assert "(no details given)" in error.message
    assert error.retry_at is not None
    # Seconds, not milliseconds (Revolut X uses ms; this is the classic mistake).
    assert before + timedelta(seconds=119) <= error.retry_at <= datetime.now(UTC) + timedelta(
        seconds=121
    )


@pytest.mark.parametrize(
    "case",
    [
        (500, b"{}", "server", "HTTP 500) (no details given)"),
        (502, HTML_BODY, "server", "an HTML page"),
        (503, b"", "server", "(no details given)"),
        (403, obie_error(403, "UK.OBIE.Resource.Forbidden", "No ReadBalances"), "auth",
         "ReadBalances"),
        (400, obie_error(400, "UK.OBIE.Field.Invalid", "Bad header"), "protocol",
         "Bad header (UK.OBIE.Field.Invalid)"),
        (404, b"not json", "server", "HTTP 404 (an answer that is not JSON"),
    ],
)
def test_error_statuses_are_typed_and_worded(
    bank: OpenBankingSource, sim: BankSimulator, case: tuple[int, bytes, str, str]
) -> None:
    status, body, kind, words = case
    sim.fail(status, path="/accounts", body=body,
             content_type="text/html" if body == HTML_BODY else "application/json")
    result = bank.fetch(user_present=True)
    assert result.status == "error"
    assert result.accounts == ()
    assert result.error is not None
    assert result.error.kind == kind
    assert result.error.http_status == status
    assert words in result.error.message


def test_obie_error_id_is_shown(bank: OpenBankingSource, sim: BankSimulator) -> None:
    sim.fail(
        500, path="/accounts", body=obie_error(500, "UK.OBIE.UnexpectedError", "Oops", "id-7")
    )
    result = bank.fetch(user_present=True)
    assert result.error is not None
    assert result.error.error_id == "id-7"
    assert result.error.server_message == "Oops (UK.OBIE.UnexpectedError)"


def test_truncated_json_is_a_protocol_error(bank: OpenBankingSource, sim: BankSimulator) -> None:
    sim.fail(200, path="/accounts/acc-card/balances", body=TRUNCATED_BODY)
    accounts = by_id(bank.fetch(user_present=True))
    error = accounts["acc-card"].error
    assert error is not None
    assert error.kind == "protocol"
    assert "not valid JSON" in error.message
    assert accounts["acc-gbp-main"].status == "ok"


def test_a_connection_cut_mid_answer_is_a_network_error(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.fail(None, path="/accounts/acc-eur-main/balances", truncate_to=10)
    accounts = by_id(bank.fetch(user_present=True))
    error = accounts["acc-eur-main"].error
    assert error is not None
    assert error.kind == "network"
    assert "broke before the whole answer" in error.message


def test_a_slow_answer_is_waited_for(bank: OpenBankingSource, sim: BankSimulator) -> None:
    sim.fail(None, path="/accounts/acc-jpy-ops/balances", delay_s=0.3)
    assert bank.fetch(user_present=True).status == "ok"


def test_bad_amount_currency_and_datetime_name_the_account_and_field(
    memory_store: CredentialStore, data_home: Path
) -> None:
    def acct(account_id: str, raw_balance: dict[str, object]) -> SimAccount:
        return SimAccount(
            {"AccountId": account_id, "Currency": "GBP", "Nickname": f"N {account_id}"},
            [raw_balance],
        )

    good = balance("a-ok", "InterimAvailable", "Credit", "5", "GBP")
    comma = balance("a-comma", "InterimAvailable", "Credit", "12,50", "GBP")
    negative = balance("a-neg", "InterimAvailable", "Credit", "-1.00", "GBP")
    number = balance("a-num", "InterimAvailable", "Credit", "1.00", "GBP")
    number["Amount"]["Amount"] = 1.0
    lower = balance("a-cur", "InterimAvailable", "Credit", "1.00", "gbp")
    naive = balance("a-tz", "InterimAvailable", "Credit", "1.00", "GBP", "2026-11-21T08:00:00")
    line = balance("a-line", "InterimAvailable", "Credit", "1.00", "GBP",
                   lines=[(False, "Available", "1e3")])
    six = balance("a-six", "InterimAvailable", "Credit", "1.123456", "GBP")
    unknown = balance("a-new", "SomethingNew", "Credit", "7.10", "GBP")
    accounts = [
        acct("a-ok", good), acct("a-comma", comma), acct("a-neg", negative),
        acct("a-num", number), acct("a-cur", lower), acct("a-tz", naive),
        acct("a-line", line), acct("a-six", six), acct("a-new", unknown),
        SimAccount({"AccountId": "a-badcur", "Currency": "pounds"}, [good]),
    ]
    with BankSimulator(accounts=accounts) as bad:
        store_tokens(memory_store, bad.issue_tokens())
        result = make_source(bad, memory_store, data_home).fetch(user_present=True)
    got = by_id(result)
    assert got["a-ok"].status == "ok"
    assert got["a-new"].status == "ok"
    assert got["a-new"].balances[0].type == "SomethingNew"
    expected = {
        "a-comma": "Account 'N a-comma' (a-comma): Balance[0].Amount.Amount '12,50'",
        "a-neg": "Balance[0].Amount.Amount '-1.00'",
        "a-num": "Balance[0].Amount.Amount 1.0",
        "a-cur": "Balance[0].Amount.Currency 'gbp' is not a three-letter ISO 4217 code",
        "a-tz": "Balance[0].DateTime '2026-11-21T08:00:00' is not an ISO 8601 date-time with a "
        "time zone",
        "a-line": "Balance[0].CreditLine[0].Amount.Amount '1e3'",
        "a-six": "Balance[0].Amount.Amount '1.123456'",
        "a-badcur": "Account a-badcur: Currency 'pounds' is not a three-letter ISO 4217 code",
    }
    for account_id, words in expected.items():
        error = got[account_id].error
        assert error is not None, account_id
        assert error.kind == "protocol"
        assert words in error.message, error.message
    assert result.status == "error"
    assert result.error is not None
    assert result.error.message.startswith("8 of 10 accounts could not be read")


def test_pagination_loop_is_stopped(memory_store: CredentialStore, data_home: Path) -> None:
    with BankSimulator() as looping:
        store_tokens(memory_store, looping.issue_tokens())
        page = {"Data": {"Account": []}, "Links": {"Next": f"{looping.url}/accounts"}}
        looping.fail(200, path="/accounts", times=None, body=json.dumps(page).encode())
        result = make_source(looping, memory_store, data_home).fetch(user_present=True)
        assert len(looping.requests) == 1
    assert result.error is not None
    assert result.error.kind == "protocol"
    assert "pagination loop" in result.error.message


def test_next_link_to_another_server_is_not_followed(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    page = {"Data": {"Account": []}, "Links": {"Next": "https://attacker.example/accounts?p=2"}}
    sim.fail(200, path="/accounts", body=json.dumps(page).encode())
    result = bank.fetch(user_present=True)
    assert result.error is not None
    assert result.error.kind == "protocol"
    assert "another server (attacker.example)" in result.error.message


def test_missing_certificate_file_is_a_setup_error(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, tmp_path: Path
) -> None:
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim, memory_store, data_home,
        settings=bank_settings(sim, cert_path=str(tmp_path / "gone.crt")),
    )
    result = source.fetch(user_present=True)
    assert result.error is not None
    assert result.error.kind == "config"
    assert "gone.crt does not exist" in result.error.message
    assert not sim.requests


def test_expired_certificate_is_caught_before_connecting(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, tmp_path: Path
) -> None:
    old = write_client(
        tmp_path, load_ca(sim.tls), "old",
        not_before=datetime.now(UTC) - timedelta(days=400),
        not_after=datetime.now(UTC) - timedelta(days=1),
    )
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim, memory_store, data_home,
        settings=bank_settings(sim, cert_path=str(old.cert_path), key_path=str(old.key_path)),
    )
    result = source.fetch(user_present=True)
    assert result.error is not None
    assert result.error.kind == "config"
    assert "expired on" in result.error.message
    assert not sim.requests


def test_tokens_without_certificate_settings_say_what_to_do(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim, memory_store, data_home, settings=bank_settings(sim, cert_path=None)
    )
    result = source.fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert "keys set bank --cert PATH --key PATH" in result.error.message


def test_server_down_is_a_network_error(
    memory_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator() as gone:
        store_tokens(memory_store, gone.issue_tokens())
        settings = bank_settings(gone)
        tls = gone.tls
        source = OpenBankingSource(memory_store, settings, data_home)
        # Keep the certificates: copy them out before the simulator removes its folder.
        keep = data_home / "certs"
        keep.mkdir(parents=True)
        for path in (tls.ca_cert, tls.client.cert_path, tls.client.key_path):
            (keep / path.name).write_bytes(path.read_bytes())
    source = OpenBankingSource(
        memory_store,
        settings.model_copy(
            update={
                "ca_bundle": str(keep / tls.ca_cert.name),
                "cert_path": str(keep / tls.client.cert_path.name),
                "key_path": str(keep / tls.client.key_path.name),
            }
        ),
        data_home,
    )
    result = source.fetch(user_present=True)
    assert result.error is not None
    assert result.error.kind == "network"
    assert "Could not connect to the bank" in result.error.message


def test_a_servers_words_reach_the_user_without_escapes_and_capped(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07Down \u202efor maintenance\r\n" + "x" * 2_000_000
    body = json.dumps({"Code": "500", "Id": "id-\x1b[31m1", "Message": hostile}).encode()
    sim.fail(500, path="/accounts", body=body, times=None)
    result = bank.fetch(user_present=True)
    assert result.status == "error" and result.error is not None
    shown = " ".join(
        part or "" for part in (result.error.message, result.error.server_message,
                                result.error.error_id)
    )
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\r" not in shown and "\n" not in shown
    assert result.error.server_message is not None
    assert result.error.server_message.startswith("[2J ]0;pwned Down for maintenance")
    assert len(result.error.server_message) <= 300
    assert result.error.error_id == "id- [31m1"


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (b"<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>", "text/html",
         "is an HTML page (often a proxy, firewall or captive portal)"),
        (b"", "application/json", "is an empty answer"),
        (b'{"Data": {"Balance": [', "application/json", "is not valid JSON"),
    ],
)
def test_an_answer_that_is_not_json_is_named_for_what_it_is(
    bank: OpenBankingSource, sim: BankSimulator, body: bytes, content_type: str, words: str
) -> None:
    sim.fail(200, path="/accounts/acc-card/balances", body=body, content_type=content_type)
    error = by_id(bank.fetch(user_present=True))["acc-card"].error
    assert error is not None and error.kind == "protocol"
    assert words in error.message
    assert "cut off" not in error.message or words == "is not valid JSON"


def test_a_read_timeout_is_said_as_a_sentence(
    bank: OpenBankingSource, sim: BankSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "balance_desk.sources.open_banking.client.DEFAULT_TIMEOUT", httpx.Timeout(0.5)
    )
    sim.fail(None, path="/accounts", delay_s=2.0)
    result = bank.fetch(user_present=True)
    assert result.error is not None and result.error.kind == "network"
    assert result.error.message[0].isupper(), result.error.message


def test_a_short_429_is_waited_out_once_like_revolut_x(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.fail(429, path="/accounts", body=b"{}", retry_after_s=1)
    result = bank.fetch(user_present=True)
    assert result.status == "ok", result.error
    assert [r.path for r in sim.requests if r.path.split("?")[0] == "/accounts"][:2] == [
        "/accounts", "/accounts"  # the refused one, then the same again after the pause
    ]


def test_a_429_that_comes_back_after_the_wait_is_reported(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    sim.fail(429, path="/accounts", body=b"{}", retry_after_s=1, times=2)
    result = bank.fetch(user_present=True)
    assert result.status == "error" and result.error is not None
    assert result.error.kind == "rate_limited"
    assert [r.path for r in sim.requests if r.path.split("?")[0] == "/accounts"] == [
        "/accounts", "/accounts"  # waited once, never twice
    ]


def test_a_certificate_from_a_foreign_ca_with_the_same_name_is_blamed_on_the_certificate(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, tmp_path: Path
) -> None:
    """Issue 15, defect 9: the bank fails the handshake with DECRYPT_ERROR (the signature does
    not check out against its CA of that name), which was blamed on a missing CA bundle."""
    from balance_desk.simulator.certs import make_ca

    impostor = make_ca()  # the same name as the simulator's CA, another key
    foreign = write_client(tmp_path, impostor, "foreign")
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim, memory_store, data_home,
        settings=bank_settings(sim, cert_path=str(foreign.cert_path),
                               key_path=str(foreign.key_path)),
    )
    result = source.fetch(user_present=True)
    assert result.error is not None and result.error.kind == "network"
    assert "does not accept the transport certificate" in result.error.message
    assert "--ca-bundle" not in result.error.message, result.error.message


def test_the_banks_decrypt_error_alert_is_blamed_on_the_certificate() -> None:
    """As a bank whose TLS stack answers a foreign signature with DECRYPT_ERROR reports it."""
    import ssl

    import httpx

    from balance_desk.sources.open_banking.client import transport_error

    alert = ssl.SSLError(1, "[SSL: TLSV1_ALERT_DECRYPT_ERROR] tlsv1 alert decrypt error")
    exc = httpx.ConnectError("handshake failed")
    exc.__cause__ = alert
    error = transport_error(exc, httpx.URL("https://bank.example/accounts"))
    assert "does not accept the transport certificate" in error.message
    assert "another authority of the same name" in error.message
    assert "--ca-bundle" not in error.message
    # Our own side failing to verify the bank is still about the CA bundle.
    local = httpx.ConnectError("verify")
    local.__cause__ = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] x")
    assert "--ca-bundle" in transport_error(local, httpx.URL("https://bank.example")).message
