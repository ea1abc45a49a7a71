"""The consent flow against the bank simulator (issue 14): the steps in order, and every way an
approval goes wrong: a foreign state, a denial, an expired or reused code, a wrong kid, an expired
request object; revocation; renewal keeping the connection; two banks, one failing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.errors import AuthError, ConfigError
from balance_desk.model import BankResult
from balance_desk.setup.bank_connect import (
    ConnectRequest,
    begin,
    connect_problems,
    connection_infos,
    finish,
    remove_locally,
    renewal_request,
    revoke_at_bank,
)
from balance_desk.simulator.open_banking.consent_desk import PageRefused, browse
from balance_desk.simulator.open_banking.data import second_bank_accounts
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.sources.factory import build_sources
from balance_desk.sources.open_banking.consent import authorisation_url, request_object
from balance_desk.sources.open_banking.files import load_key
from balance_desk.sources.open_banking.redirect import LoopbackReceiver, code_from_redirect

NOW = datetime.now(UTC)


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as bank:
        yield bank


def _connect(sim: BankSimulator, store: CredentialStore, name: str, home: Path) -> str:
    pending = begin(ConnectRequest(sim.connection_settings(name)))
    done = finish(pending, browse(pending.url), store, directory=home)
    assert done.result.status == "ok", done.result.error
    return pending.consent.consent_id


def test_connect_stores_tokens_with_the_consent_and_reads_the_accounts(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    request = ConnectRequest(sim.connection_settings("My bank"))
    assert connect_problems(request, set(), NOW) == []
    pending = begin(request)
    assert sim.desk.consents[pending.consent.consent_id].status == "AwaitingAuthorisation"
    assert "request=" in pending.url and pending.url.startswith(sim.desk.auth_url)
    assert pending.state not in repr(pending) and "request=" not in repr(pending)
    landed = browse(pending.url)
    assert "#code=" in landed  # the simulator answers in the fragment, as hybrid flows do
    done = finish(pending, landed, memory_store, directory=data_home)
    assert [a.account.connection for a in done.result.accounts] == ["My bank"] * 7
    assert sim.desk.consents[pending.consent.consent_id].status == "Authorised"
    creds = memory_store.get_bank("bank:My bank")
    assert creds is not None and creds.consent_id == pending.consent.consent_id
    assert creds.refresh_expires_at is not None
    assert creds.refresh_expires_at - datetime.now(UTC) > timedelta(days=89)
    saved = Settings.load(data_home)
    connection = saved.connection("My bank")
    assert connection is not None and connection.kid == sim.desk.kid
    (info,) = connection_infos(saved, memory_store)
    assert info.status == "authorised" and info.consent_id == pending.consent.consent_id


def test_the_request_object_is_ps256_with_every_claim_the_bank_checks(
    sim: BankSimulator,
) -> None:
    import jwt

    pending = begin(ConnectRequest(sim.connection_settings("B")))
    token = httpx.URL(pending.url).params["request"]
    assert jwt.get_unverified_header(token) == {"alg": "PS256", "kid": sim.desk.kid,
                                                "typ": "JWT"}
    claims = jwt.decode(token, sim.desk.public_key, algorithms=["PS256"], audience=sim.url)
    assert claims["response_type"] == "code id_token" and claims["scope"] == "accounts"
    assert claims["client_id"] == sim.desk.client_id
    assert claims["exp"] - claims["nbf"] <= 3600
    assert claims["claims"]["id_token"]["openbanking_intent_id"] == {
        "value": pending.consent.consent_id, "essential": True
    }


def test_query_and_fragment_answers_are_both_accepted() -> None:
    redirect = "https://app.example/cb"
    assert code_from_redirect(f"{redirect}?code=abc&state=s1", "s1", redirect) == "abc"
    assert code_from_redirect(f"{redirect}#code=abc&state=s1", "s1", redirect) == "abc"
    with pytest.raises(AuthError, match="state does not match"):
        code_from_redirect(f"{redirect}#code=abc&state=other", "s1", redirect)
    with pytest.raises(AuthError, match="not approved"):
        code_from_redirect(f"{redirect}?error=access_denied&state=s1", "s1", redirect)
    with pytest.raises(ConfigError, match="no approval code"):
        code_from_redirect(f"{redirect}?state=s1", "s1", redirect)
    with pytest.raises(ConfigError, match="not the redirect URI"):
        code_from_redirect("https://evil.example/cb?code=abc&state=s1", "s1", redirect)


def test_a_foreign_state_stores_nothing(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    pending = begin(ConnectRequest(sim.connection_settings("B")))
    landed = browse(pending.url).replace(f"state={pending.state}", "state=someone-else")
    with pytest.raises(AuthError, match="does not belong to this connection attempt"):
        finish(pending, landed, memory_store, directory=data_home)
    assert memory_store.get_bank("bank:B") is None
    assert Settings.load(data_home).connections() == []


def test_a_denied_consent_is_said_and_stores_nothing(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    pending = begin(ConnectRequest(sim.connection_settings("B")))
    landed = browse(pending.url, approve=False)
    with pytest.raises(AuthError, match=r"not approved.*access denied"):
        finish(pending, landed, memory_store, directory=data_home)
    assert sim.desk.consents[pending.consent.consent_id].status == "Rejected"
    assert memory_store.get_bank("bank:B") is None


@pytest.mark.parametrize("how", ["expired", "reused"])
def test_an_expired_or_reused_code_is_refused_in_words(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, how: str
) -> None:
    pending = begin(ConnectRequest(sim.connection_settings("B")))
    landed = browse(pending.url)
    if how == "expired":
        sim.desk.expire_codes()
    else:
        finish(pending, landed, memory_store, directory=data_home)
        memory_store.delete_bank("bank:B")
    with pytest.raises(AuthError, match="expired or was already used") as caught:
        finish(pending, landed, memory_store, directory=data_home)
    code = code_from_redirect(landed, pending.state, pending.request.settings.redirect_uri)
    assert code not in str(caught.value)
    assert memory_store.get_bank("bank:B") is None


def test_a_wrong_kid_or_an_expired_request_object_is_refused_by_the_page(
    sim: BankSimulator,
) -> None:
    settings = sim.connection_settings("B").model_copy(update={"kid": "not-registered"})
    pending = begin(ConnectRequest(settings))
    with pytest.raises(PageRefused, match="Unknown signing key"):
        browse(pending.url)
    assert sim.desk.consents[pending.consent.consent_id].status == "AwaitingAuthorisation"

    good = begin(ConnectRequest(sim.connection_settings("C")))
    stale = request_object(
        signing_key=load_key(str(sim.desk.signing_key_path), None), kid=sim.desk.kid,
        client_id=sim.desk.client_id, redirect_uri=good.request.settings.redirect_uri,
        audience=sim.url, consent_id=good.consent.consent_id, state="s", nonce="n",
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    url = authorisation_url(sim.desk.auth_url, client_id=sim.desk.client_id,
                            redirect_uri=good.request.settings.redirect_uri, request=stale,
                            state="s")
    with pytest.raises(PageRefused, match="expired"):
        browse(url)


def test_the_loopback_listener_receives_a_fragment_answer_once(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, free_port: int
) -> None:
    redirect = f"http://127.0.0.1:{free_port}/callback"
    pending = begin(ConnectRequest(sim.connection_settings("Loop", redirect)))
    receiver = LoopbackReceiver(redirect, seconds=20).start()
    thread = threading.Thread(target=browse, args=(pending.url,))
    thread.start()
    landed = receiver.wait()
    thread.join()
    assert "?code=" in landed  # the listener's page forwarded the fragment as a query
    finish(pending, landed, memory_store, directory=data_home)
    assert memory_store.get_bank("bank:Loop") is not None
    with pytest.raises(httpx.ConnectError):  # it stopped listening
        httpx.get(redirect, timeout=2)


def test_the_loopback_listener_gives_up_after_its_time(free_port: int) -> None:
    receiver = LoopbackReceiver(f"http://127.0.0.1:{free_port}/cb", seconds=0.4).start()
    with pytest.raises(ConfigError, match="No answer from the bank arrived"):
        receiver.wait()


def test_revocation_stops_the_tokens_and_removes_the_connection(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    consent_id = _connect(sim, memory_store, "B", data_home)
    settings = Settings.load(data_home)
    assert revoke_at_bank(settings, "B", memory_store) is True
    assert sim.desk.consents[consent_id].status == "Revoked"
    (bank,) = [s for s in build_sources(memory_store, settings, "bank", data_home)]
    result = bank.fetch(user_present=True)
    assert result.status == "error" and result.error is not None
    assert "Renew the connection" in result.error.message
    remove_locally(settings, "B", memory_store, data_home)
    assert memory_store.get_bank("bank:B") is None
    assert Settings.load(data_home).connections() == []
    assert not list(data_home.glob("bank-accounts-*")) and not list(data_home.glob("bank-quota-b*"))
    # A second revocation: the bank no longer knows it, which is not a failure.
    assert revoke_at_bank(settings, "B", memory_store) is False


def test_renewal_keeps_the_connection_and_revokes_the_old_consent(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    first = _connect(sim, memory_store, "B", data_home)
    settings = Settings.load(data_home)
    request, old = renewal_request(settings, "B", memory_store)
    pending = begin(request, previous=old)
    done = finish(pending, browse(pending.url), memory_store, directory=data_home)
    assert done.result.status == "ok" and done.note is None
    creds = memory_store.get_bank("bank:B")
    assert creds is not None and creds.consent_id == pending.consent.consent_id != first
    assert sim.desk.consents[first].status == "Revoked"
    assert [c.connection_name for c in Settings.load(data_home).connections()] == ["B"]


def test_two_banks_at_once_one_failing_never_hides_the_other(
    memory_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator() as first, BankSimulator(
        accounts=second_bank_accounts(), financial_id="0015800001ZEZ1AAAX"
    ) as second:
        _connect(first, memory_store, "Everyday", data_home)
        _connect(second, memory_store, "Savings bank", data_home)
        settings = Settings.load(data_home)
        (bank,) = build_sources(memory_store, settings, "bank", data_home)
        both = bank.fetch(user_present=True)
        assert isinstance(both, BankResult) and both.status == "ok"
        assert {a.account.connection for a in both.accounts} == {"Everyday", "Savings bank"}
        assert [c.name for c in both.connections] == ["Everyday", "Savings bank"]
        second.fail(500, times=None, path="/accounts")
        one_down = bank.fetch(user_present=True)
    assert isinstance(one_down, BankResult)
    assert one_down.status == "error" and one_down.error is not None
    assert one_down.error.message.startswith("1 of 2 banks could not be read; Savings bank:")
    fresh = [a for a in one_down.accounts if a.account.connection == "Everyday"]
    assert fresh and all(a.status == "ok" for a in fresh)
    # The failing bank's accounts stay listed, marked not refreshed with its reason.
    stale = [a for a in one_down.accounts if a.account.connection == "Savings bank"]
    assert stale and all(a.status == "error" for a in stale)
    assert [c.status for c in one_down.connections] == ["ok", "error"]
    assert one_down.to_document()["connections"][1]["name"] == "Savings bank"
