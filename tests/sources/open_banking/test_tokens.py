"""Access-token refresh: before expiry and on a 401, once, over the same mutual TLS; the new pair
is stored; a refused or impossible refresh says that a new consent is needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from balance_desk.credentials import BankCredentials, CredentialStore, MemoryKeyring
from balance_desk.simulator.open_banking.server import BankSimulator
from tests.sources.open_banking.support import make_source, store_tokens


def test_expired_token_is_refreshed_first_and_the_new_pair_is_stored(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens()
    sim.expire_access_tokens()
    store_tokens(memory_store, tokens, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "ok", result.error
    assert sim.refresh_count == 1
    # Refreshed before the first API call: no request was sent with the dead token.
    assert sim.requests[0].path == "/token"
    assert all(
        r.headers["authorization"] != f"Bearer {tokens.access_token}" for r in sim.requests[1:]
    )
    stored = memory_store.get_bank()
    assert stored is not None
    assert stored.access_token != tokens.access_token
    assert stored.refresh_token not in (None, tokens.refresh_token)  # rotated
    assert stored.client_id == tokens.client_id
    assert stored.expires_at is not None
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    # And the stored pair works on its own next time, without another refresh.
    assert make_source(sim, memory_store, data_home).fetch(user_present=True).status == "ok"
    assert sim.refresh_count == 1


def test_a_401_triggers_one_refresh_shared_by_all_concurrent_requests(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens()
    store_tokens(memory_store, tokens)  # the store believes it is still valid
    source = make_source(sim, memory_store, data_home)
    assert source.fetch(user_present=True).status == "ok"
    sim.expire_access_tokens()  # e.g. revoked early, or this computer's clock is wrong
    sim.latency_s = 0.05  # so the balance requests are in flight together
    seen = len(sim.requests)
    # Unattended reuses the account list, so every account's first request races to a 401.
    result = source.fetch(user_present=False)
    assert result.status == "ok", result.error
    # One refresh; a second one would have used the rotated-away refresh token and failed.
    assert sim.refresh_count == 1
    assert [r.path for r in sim.requests[seen:]].count("/token") == 1


def test_refresh_sends_the_documented_form(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens(client_id="my-client")
    store_tokens(memory_store, tokens, expires_at=datetime.now(UTC))
    sim.rotate_refresh_tokens = False
    assert make_source(sim, memory_store, data_home).fetch(user_present=True).status == "ok"
    stored = memory_store.get_bank()
    assert stored is not None
    # The bank did not send a new refresh token: the old one is kept.
    assert stored.refresh_token == tokens.refresh_token
    token_request = sim.requests[0]
    assert token_request.method == "POST"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_no_refresh_token_means_a_new_consent_is_needed(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    store_tokens(
        memory_store, sim.issue_tokens(), refresh=False,
        expires_at=datetime.now(UTC) - timedelta(seconds=5),
    )
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "auth"
    assert "no refresh token" in result.error.message
    assert "new consent is needed" in result.error.message
    assert not sim.requests


def test_a_refused_refresh_means_a_new_consent_is_needed(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens()
    store_tokens(memory_store, tokens)
    sim.expire_access_tokens()
    sim.revoke_refresh_tokens()
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "auth"
    assert "new consent is needed" in result.error.message
    assert "Refresh token is invalid" in result.error.message
    assert len([r for r in sim.requests if r.path == "/token"]) == 1  # tried once, not per account
    stored = memory_store.get_bank()
    assert stored is not None
    assert stored.access_token == tokens.access_token  # nothing half-written


def test_a_token_refused_right_after_refresh_is_not_refreshed_again(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    store_tokens(memory_store, sim.issue_tokens())
    sim.fail(401, path="/accounts", times=None, message="Consent revoked")
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "auth"
    assert result.error.http_status == 401
    assert "new consent is needed" in result.error.message
    assert sim.refresh_count == 1


def test_six_kilobyte_tokens_round_trip_and_refresh(data_home: Path) -> None:
    keyring = MemoryKeyring()
    store = CredentialStore(keyring)
    with BankSimulator(token_length=6 * 1024) as big:
        tokens = big.issue_tokens()
        assert len(tokens.access_token) == 6 * 1024
        store_tokens(store, tokens, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert all(len(v) <= 2560 for v in keyring._entries.values())
        result = make_source(big, store, data_home).fetch(user_present=True)
        assert result.status == "ok", result.error
    stored = store.get_bank()
    assert stored is not None
    assert len(stored.access_token) == 6 * 1024
    assert len(stored.refresh_token or "") == 6 * 1024
    assert stored.access_token != tokens.access_token
    # Old chunks are gone; every entry still fits Windows Credential Manager.
    assert all(len(v) <= 2560 for v in keyring._entries.values())


def test_a_6kb_token_round_trips_through_the_store(memory_store: CredentialStore) -> None:
    token = "t" * 3000 + "é" * 3000 + "x" * 144
    creds = BankCredentials(access_token=token, refresh_token=token[::-1], client_id="c")
    memory_store.set_bank(creds)
    assert memory_store.get_bank() == creds


@pytest.mark.keyring
def test_refreshed_tokens_land_in_the_real_secret_service(
    sim: BankSimulator, real_keyring_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator(token_length=6 * 1024) as big:
        tokens = big.issue_tokens()
        store_tokens(
            real_keyring_store, tokens, expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
        result = make_source(big, real_keyring_store, data_home).fetch(user_present=True)
        assert result.status == "ok", result.error
    stored = real_keyring_store.get_bank()
    assert stored is not None
    assert stored.access_token != tokens.access_token
    assert len(stored.access_token) == 6 * 1024


@pytest.mark.parametrize("expires_in", ["999999999999", 10**40, "1e9", "\u0661\u0662", -5])
def test_an_odd_lifetime_never_loses_the_rotated_refresh_token(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path, expires_in: object
) -> None:
    tokens = sim.issue_tokens()
    sim.expire_access_tokens()
    store_tokens(memory_store, tokens, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    sim.token_answer_changes = {"expires_in": expires_in}
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "ok", result.error
    stored = memory_store.get_bank()
    assert stored is not None and stored.refresh_token not in (None, tokens.refresh_token)
    if stored.expires_at is not None:  # a silly lifetime is clamped to a year, never a crash
        assert stored.expires_at <= datetime.now(UTC) + timedelta(days=366)


def test_a_new_refresh_token_is_stored_even_when_the_rest_of_the_answer_is_unusable(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens()
    sim.expire_access_tokens()
    store_tokens(memory_store, tokens, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    sim.token_answer_changes = {"access_token": None}
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error" and result.error is not None
    assert "no access_token" in result.error.message
    stored = memory_store.get_bank()
    assert stored is not None and stored.refresh_token not in (None, tokens.refresh_token)
    # The bank retired the old one; the stored new one still works once the answer is right.
    sim.token_answer_changes = {}
    assert make_source(sim, memory_store, data_home).fetch(user_present=True).status == "ok"


def test_a_huge_token_answer_is_refused_unread(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> None:
    tokens = sim.issue_tokens()
    sim.expire_access_tokens()
    store_tokens(memory_store, tokens, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    sim.token_answer_changes = {"padding": "x" * (6 * 1024 * 1024)}
    result = make_source(sim, memory_store, data_home).fetch(user_present=True)
    assert result.status == "error" and result.error is not None
    assert "MB" in result.error.message
