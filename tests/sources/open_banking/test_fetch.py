"""Fetching over real mutual TLS on loopback: every account across pages, exact digits and signs,
the FAPI headers, and who may connect at all."""

from __future__ import annotations

import ssl
import time
import uuid
from pathlib import Path

import httpx
import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.simulator.certs import make_tls_files
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.sources.open_banking.source import OpenBankingSource
from tests.sources.open_banking.support import bank_settings, by_id, make_source, store_tokens


def test_every_account_across_pages_with_exact_amounts_and_signs(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    result = bank.fetch(user_present=True)
    assert result.status == "ok", result.error
    accounts = by_id(result)
    assert list(accounts) == [a.account_id for a in sim.accounts]  # the bank's order, 2 pages
    assert len(sim.requests_to("/accounts?page=2")) == 1

    # Every balance arrives, including the second page of the EUR account's three.
    for sim_account in sim.accounts:
        got = accounts[sim_account.account_id]
        assert got.status == "ok"
        assert [(b.type, str(b.amount), b.currency) for b in got.balances] == [
            (raw["Type"], raw["Amount"]["Amount"], raw["Amount"]["Currency"])
            for raw in sim_account.balances
        ]

    usd = accounts["acc-usd"].balances[0].to_document()
    assert usd["credit_debit"] == "Debit"
    assert usd["signed_amount"] == "-100.00"
    assert usd["amount_with_unused_credit"] == "300.00"
    gbp = accounts["acc-gbp-main"].balances[0]
    assert str(gbp.amount_with_unused_credit) == "800.00"
    eur = accounts["acc-eur-main"].balances
    assert str(eur[0].amount_without_included_credit) == "300.00"
    assert str(eur[2].amount) == "812.34567"
    card = accounts["acc-card"]
    assert card.account.account_subtype == "CreditCard"
    assert [str(b.signed_amount) for b in card.balances] == ["1749.25", "-250.75"]
    assert str(card.balances[0].amount_without_included_credit) == "-250.75"
    legacy = accounts["acc-card-legacy"]
    assert legacy.account.account_subtype == "Loan"  # kept as the bank sends it
    assert str(legacy.balances[1].signed_amount) == "-50"
    chf = accounts["acc-chf-reserve"]
    assert [str(b.amount) for b in chf.balances] == ["1234", "12000000.5"]
    jpy = accounts["acc-jpy-ops"].balances[0]
    assert str(jpy.amount_with_unused_credit) == "150000"  # a GBP line never adds to yen
    assert accounts["acc-usd"].account.display_name == "CurrentAccount ••5678"


def test_headers_on_every_request(bank: OpenBankingSource, sim: BankSimulator) -> None:
    bank.fetch(user_present=True)
    api = [r for r in sim.requests if r.path.startswith("/accounts")]
    assert api
    ids = [r.headers["x-fapi-interaction-id"] for r in api]
    assert len(set(ids)) == len(ids)  # fresh per request
    for request in api:
        headers = request.headers
        assert headers["authorization"].startswith("Bearer oa_sim_")
        assert headers["x-fapi-financial-id"] == "001580000103UAvAAM"
        assert uuid.UUID(headers["x-fapi-interaction-id"]).version == 4
        assert headers["x-fapi-customer-ip-address"] == "127.0.0.1"
        # RFC 7231 date as the standard's pattern wants it.
        assert headers["x-fapi-customer-last-logged-time"].endswith(" GMT")
        assert headers["x-fapi-customer-last-logged-time"][3:5] == ", "


def test_unattended_requests_do_not_claim_the_user_is_present(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    bank.fetch(user_present=True)
    seen = len(sim.requests)
    assert bank.fetch(user_present=False).status == "ok"
    later = sim.requests[seen:]
    assert later
    assert all("x-fapi-customer-ip-address" not in r.headers for r in later)
    # The last time the user was there is still reported.
    first_time = sim.requests[0].headers["x-fapi-customer-last-logged-time"]
    assert all(r.headers["x-fapi-customer-last-logged-time"] == first_time for r in later)


def test_a_client_without_the_certificate_is_refused(
    sim: BankSimulator, bank: OpenBankingSource
) -> None:
    context = ssl.create_default_context(cafile=str(sim.tls.ca_cert))
    with httpx.Client(verify=context, timeout=5) as client, pytest.raises(httpx.TransportError):
        client.get(f"{sim.url}/accounts")
    # With TLS 1.3 the client can see the refusal before the server's handshake thread has
    # counted it: wait for the count, not for a guessed time.
    deadline = time.monotonic() + 5
    while sim.tls_refusals < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.tls_refusals >= 1
    assert not sim.requests_to("/accounts")


def test_a_certificate_from_another_authority_is_refused_with_a_clear_message(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, tmp_path: Path
) -> None:
    stranger = make_tls_files(tmp_path / "other").client
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim,
        memory_store,
        data_home,
        settings=bank_settings(
            sim, cert_path=str(stranger.cert_path), key_path=str(stranger.key_path)
        ),
    )
    result = source.fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "network"
    assert "transport certificate" in result.error.message
    assert not sim.requests_to("/accounts")


def test_server_certificate_is_verified_against_the_ca_bundle(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, tmp_path: Path
) -> None:
    other_ca = make_tls_files(tmp_path / "other").ca_cert
    store_tokens(memory_store, sim.issue_tokens())
    source = make_source(
        sim, memory_store, data_home, settings=bank_settings(sim, ca_bundle=str(other_ca))
    )
    result = source.fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "network"
    assert "certificate" in result.error.message.lower()


def test_encrypted_client_key_uses_the_stored_passphrase(
    memory_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator(client_key_passphrase="correct horse") as locked:
        tokens = locked.issue_tokens()
        store_tokens(memory_store, tokens, passphrase="correct horse")
        assert make_source(locked, memory_store, data_home).fetch(user_present=True).status == "ok"
        store_tokens(memory_store, tokens, passphrase="wrong")
        result = make_source(locked, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "config"
    assert "passphrase is wrong" in result.error.message


def test_many_accounts_on_many_pages(memory_store: CredentialStore, data_home: Path) -> None:
    with BankSimulator(account_count=23, accounts_per_page=5) as many:
        store_tokens(memory_store, many.issue_tokens())
        result = make_source(many, memory_store, data_home).fetch(user_present=True)
        assert result.status == "ok"
        assert [a.account.account_id for a in result.accounts] == [
            f"acc-{i:04d}" for i in range(23)
        ]
        pages = [r.path for r in many.requests if "/balances" not in r.path]
        assert pages == ["/accounts"] + [f"/accounts?page={n}" for n in range(2, 6)]
        # Odd accounts have 3 balances: 2 pages each.
        assert [len(a.balances) for a in result.accounts[:4]] == [1, 3, 1, 3]
        assert str(result.accounts[17].balances[2].amount) == "17.17"


def test_not_configured_without_credentials(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    source = make_source(sim, memory_store, data_home)
    assert not source.is_configured()
    result = source.fetch(user_present=True)
    assert result.status == "not_configured"
    assert not sim.requests


@pytest.mark.parametrize("style", ["root", "relative"])
def test_a_next_link_resolves_against_the_page_it_came_in(
    bank: OpenBankingSource, sim: BankSimulator, style: str
) -> None:
    sim.link_style = style  # type: ignore[assignment]
    result = bank.fetch(user_present=True)
    assert result.status == "ok", result.error
    eur = by_id(result)["acc-eur-main"]
    assert eur.status == "ok" and len(eur.balances) == 3  # its second page was read
    assert sim.requests_to("/accounts/acc-eur-main/balances?page=2")


def test_an_account_without_currency_or_types_has_its_balances_fetched(
    bank: OpenBankingSource, sim: BankSimulator
) -> None:
    closed = sim.accounts[0]
    for key in ("Currency", "AccountType", "AccountSubType"):
        closed.account.pop(key, None)
    result = bank.fetch(user_present=True)
    got = by_id(result)[closed.account_id]
    assert got.status == "ok" and got.balances
    assert got.account.currency is None
    assert got.to_document()["currency"] is None
