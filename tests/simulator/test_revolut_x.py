"""The simulator checks requests the way Revolut X does, so tests that pass against it mean
something: wrong signature, key or timestamp are refused; our client's requests pass."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from balance_desk.simulator.demo import start_demo
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.revolut_x.keys import generate_private_key, private_key_pem
from balance_desk.sources.revolut_x.signing import RequestSigner
from balance_desk.sources.revolut_x.source import RevolutXClient, RevolutXSource


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


def _get(
    sim: RevolutXSimulator,
    *,
    api_key: str | None = None,
    signer: RequestSigner | None = None,
    timestamp: int | None = None,
    signed_path: str = "/api/1.0/balances",
    url_path: str = "/api/1.0/balances",
) -> httpx.Response:
    stamp = timestamp if timestamp is not None else int(time.time() * 1000)
    signer = signer or RequestSigner(sim.private_key_pem)
    path, _, query = signed_path.partition("?")
    headers = {
        "X-Revx-API-Key": api_key if api_key is not None else sim.api_key,
        "X-Revx-Timestamp": str(stamp),
        "X-Revx-Signature": signer.sign(stamp, "GET", path, query, b""),
    }
    return httpx.get(sim.base_url + url_path, headers=headers, trust_env=False)


def test_accepts_a_correctly_signed_request(sim: RevolutXSimulator) -> None:
    response = _get(sim)
    assert response.status_code == 200
    assert [b["currency"] for b in response.json()][:2] == ["BTC", "ETH"]


def test_accepts_our_client(sim: RevolutXSimulator) -> None:
    with RevolutXClient(sim.api_key, sim.private_key_pem, api_root=sim.api_root) as client:
        balances = client.get_balances()
    assert len(balances) == 10
    assert [r.status for r in sim.requests] == [200]


def _assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["message"] == message
    assert set(body) == {"error_id", "message", "timestamp"}
    assert abs(body["timestamp"] - time.time() * 1000) < 60_000


def test_rejects_a_signature_from_another_key(sim: RevolutXSimulator) -> None:
    other = RequestSigner(private_key_pem(generate_private_key()))
    _assert_error(_get(sim, signer=other), 401, "Invalid signature")


def test_rejects_a_signature_over_another_path(sim: RevolutXSimulator) -> None:
    response = _get(sim, signed_path="/api/1.0/balances", url_path="/api/1.0/balances?x=1")
    _assert_error(response, 401, "Invalid signature")


def test_rejects_an_unknown_api_key(sim: RevolutXSimulator) -> None:
    _assert_error(_get(sim, api_key="A" * 64), 401, "Invalid API key")
    _assert_error(_get(sim, api_key=""), 401, "Invalid API key")


def test_rejects_a_timestamp_in_the_future(sim: RevolutXSimulator) -> None:
    future = int(time.time() * 1000) + 30_000
    _assert_error(_get(sim, timestamp=future), 409, "Request timestamp is in the future")


def test_rejects_a_stale_timestamp(sim: RevolutXSimulator) -> None:
    stale = int(time.time() * 1000) - 60_000
    _assert_error(_get(sim, timestamp=stale), 401, "Request timestamp is too old")


def test_ip_allow_list(sim: RevolutXSimulator) -> None:
    sim.allowed_ips = {"192.0.2.1"}
    _assert_error(
        _get(sim), 401, "API key can only be used for authentication from whitelisted IP"
    )


def test_unknown_path_gets_the_documented_error_body(sim: RevolutXSimulator) -> None:
    _assert_error(_get(sim, signed_path="/api/1.0/nope", url_path="/api/1.0/nope"), 404,
                  "Not found")


def test_keeps_connections_alive(sim: RevolutXSimulator) -> None:
    with httpx.Client(trust_env=False) as client:
        first = client.get(sim.base_url + "/api/1.0/balances")
        second = client.get(sim.base_url + "/api/1.0/balances")
    assert first.http_version == second.http_version == "HTTP/1.1"
    assert first.headers.get("Connection", "keep-alive") != "close"


def test_listens_on_loopback_only() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):
        with pytest.raises(ValueError, match="loopback only"):
            RevolutXSimulator(host=host)


def test_stop_frees_the_port_even_with_an_idle_keep_alive_connection() -> None:
    sim = RevolutXSimulator().start()
    client = httpx.Client(trust_env=False)
    try:
        root = sim.api_root
        assert client.get(root + "/balances").status_code == 401  # unsigned
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 3
        with pytest.raises(httpx.TransportError):
            client.get(root + "/balances")
    finally:
        client.close()


def test_many_currencies_for_benchmarks() -> None:
    with RevolutXSimulator(currencies=300) as sim, RevolutXClient(
        sim.api_key, sim.private_key_pem, api_root=sim.api_root
    ) as client:
        balances = client.get_balances()
    assert len(balances) == 300
    assert len({b.currency for b in balances}) == 300
    assert any(b.staked is not None for b in balances[10:])


def test_demo_environment_uses_a_memory_keyring_and_the_simulator() -> None:
    with start_demo() as demo:
        assert type(demo.store.backend).__name__ == "MemoryKeyring"
        assert demo.settings.revolut_x.url == demo.revolut_x.api_root
        source = RevolutXSource(demo.store, demo.settings.revolut_x)
        try:
            result = source.fetch(user_present=True)
        finally:
            source.close()
        assert result.status == "ok"
        assert len(result.balances) == 10
        root = demo.revolut_x.api_root
    with pytest.raises(httpx.ConnectError):
        httpx.get(root + "/balances", trust_env=False)
