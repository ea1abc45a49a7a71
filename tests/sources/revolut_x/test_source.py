"""RevolutXSource: what the CLI and the GUI poller see. Failures come back as results."""

from __future__ import annotations

from collections.abc import Iterator

import keyring.errors
import pytest

from balance_desk.config import RevolutXSettings
from balance_desk.credentials import CredentialStore, MemoryKeyring, RevolutXCredentials
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.factory import fetch_snapshot
from balance_desk.sources.revolut_x.source import RetryPolicy, RevolutXSource

FAST = RetryPolicy(retries=1, backoff_s=0.001, backoff_cap_s=0.002)


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


def _source(sim: RevolutXSimulator, store: CredentialStore) -> RevolutXSource:
    store.set_revolut_x(
        RevolutXCredentials(api_key=sim.api_key, private_key_pem=sim.private_key_pem)
    )
    return RevolutXSource(store, RevolutXSettings(url=sim.api_root), policy=FAST)


def test_not_configured(memory_store: CredentialStore) -> None:
    source = RevolutXSource(memory_store, RevolutXSettings())
    assert not source.is_configured()
    assert source.fetch(user_present=True).status == "not_configured"
    source.close()


def test_ok_result(sim: RevolutXSimulator, memory_store: CredentialStore) -> None:
    source = _source(sim, memory_store)
    try:
        assert source.is_configured()
        result = source.fetch(user_present=False)
    finally:
        source.close()
    assert result.status == "ok"
    assert result.error is None
    assert result.clock_offset_ms is None and result.clock_note is None
    assert result.fetched_at is not None
    assert [b.currency for b in result.balances][:3] == ["BTC", "ETH", "SOL"]


def test_errors_come_back_inside_the_result(
    sim: RevolutXSimulator, memory_store: CredentialStore
) -> None:
    source = _source(sim, memory_store)
    sim.fail(401)
    try:
        result = source.fetch(user_present=True)
    finally:
        source.close()
    assert result.status == "error"
    assert result.error is not None
    assert result.error.kind == "auth"
    assert result.error.http_status == 401
    assert result.error.error_id
    assert result.balances == ()


def test_one_client_is_reused_so_the_clock_offset_persists(
    sim: RevolutXSimulator, memory_store: CredentialStore
) -> None:
    source = _source(sim, memory_store)
    sim.clock_skew_ms = -20_000
    try:
        first = source.fetch(user_present=True)
        assert first.status == "ok"
        assert first.clock_offset_ms is not None and 19_000 <= first.clock_offset_ms <= 21_000
        assert first.clock_note is not None and "ahead of Revolut X's" in first.clock_note
        assert "clock_offset_ms" not in str(first.to_document())
        assert source.fetch(user_present=True).status == "ok"
        assert 19_000 <= source.clock_offset_ms <= 21_000
    finally:
        source.close()
    assert [r.status for r in sim.requests] == [409, 200, 200]


def test_changed_credentials_are_picked_up(
    sim: RevolutXSimulator, memory_store: CredentialStore
) -> None:
    source = _source(sim, memory_store)
    try:
        assert source.fetch(user_present=True).status == "ok"
        memory_store.set_revolut_x(
            RevolutXCredentials(api_key="B" * 64, private_key_pem=sim.private_key_pem)
        )
        result = source.fetch(user_present=True)
    finally:
        source.close()
    assert result.error is not None and result.error.kind == "auth"


class _BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


def test_keyring_failure_is_a_config_error_result() -> None:
    source = RevolutXSource(CredentialStore(_BrokenKeyring()), RevolutXSettings())
    assert source.is_configured()  # configured but unreadable: fetch says why
    result = source.fetch(user_present=True)
    assert result.status == "error"
    assert result.error is not None and result.error.kind == "config"
    assert "locked" in result.error.message


def test_damaged_stored_key_is_a_config_error_result(memory_store: CredentialStore) -> None:
    memory_store.set_revolut_x(
        RevolutXCredentials(api_key="A" * 64, private_key_pem="-----BEGIN PUBLIC KEY-----\nx")
    )
    result = RevolutXSource(memory_store, RevolutXSettings()).fetch(user_present=True)
    assert result.error is not None and result.error.kind == "config"
    assert "public key" in result.error.message


def test_fetch_snapshot_with_the_source(
    sim: RevolutXSimulator, memory_store: CredentialStore
) -> None:
    source = _source(sim, memory_store)
    try:
        snapshot = fetch_snapshot([source])
    finally:
        source.close()
    document = snapshot.to_document()
    assert document["schema"] == 1
    assert document["sources"]["revolut_x"]["status"] == "ok"
    assert document["sources"]["revolut_x"]["balances"][0] == {
        "currency": "BTC",
        "available": "0.52340000",
        "reserved": "0.01000000",
        "staked": None,
        "total": "0.53340000",
    }
