"""Revolut X request signing: the published known-answer vector and what exactly gets signed."""

from __future__ import annotations

import base64

import httpx
from cryptography.hazmat.primitives import serialization

from balance_desk.sources.revolut_x.keys import load_private_key, public_key_pem
from balance_desk.sources.revolut_x.signing import RequestSigner, signing_message, verify_signature
from balance_desk.sources.revolut_x.source import RevolutXClient

KNOWN_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIFMSbiie3sYstkM3gSCUb+oVO5xucWXdyv9l4k2pRrZ0
-----END PRIVATE KEY-----
"""
KNOWN_SIGNATURE = (
    "GZOMBk8Dy8QYI/esfxUSuZW6aDsPD/Yt12eX0xmjDsYR9GIqUSBolSNiP0ZUWvSQvD5oKUlq+LGqAoT/H1hBBg=="
)
KNOWN_PUBLIC_DER_B64 = "MCowBQYDK2VwAyEAkKcG/AdMJkM/DWflFtlD4qjRh4rb4GWZki36UjXKAdA="


def test_known_answer_vector() -> None:
    signer = RequestSigner(KNOWN_PEM)
    assert signing_message(1700000000000, "GET", "/api/1.0/balances", "", b"") == (
        b"1700000000000GET/api/1.0/balances"
    )
    signature = signer.sign(1700000000000, "GET", "/api/1.0/balances", "", b"")
    assert signature == KNOWN_SIGNATURE
    assert len(signature) == 88


def test_known_public_key() -> None:
    key = load_private_key(KNOWN_PEM)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64encode(der).decode() == KNOWN_PUBLIC_DER_B64
    assert KNOWN_PUBLIC_DER_B64 in public_key_pem(key)


def test_message_is_method_path_query_body_without_separators() -> None:
    message = signing_message(5, "post", "/api/1.0/orders", "a=1&b=2", b'{"x":1}')
    assert message == b'5POST/api/1.0/orders' + b'a=1&b=2' + b'{"x":1}'


def test_verify_rejects_other_message_and_garbage() -> None:
    signer = RequestSigner(KNOWN_PEM)
    public = signer.public_key
    sig = signer.sign(1, "GET", "/api/1.0/balances", "", b"")
    fields = {"method": "GET", "path": "/api/1.0/balances", "query": "", "body": b""}
    assert verify_signature(public, sig, timestamp_ms=1, **fields)  # type: ignore[arg-type]
    assert not verify_signature(public, sig, timestamp_ms=2, **fields)  # type: ignore[arg-type]
    assert not verify_signature(public, "not base64!", timestamp_ms=1, **fields)  # type: ignore[arg-type]


def test_signed_path_is_the_path_actually_requested_under_a_custom_root() -> None:
    clock = iter([1700000000.0, 1700000000.0, 1700000000.0])
    with RevolutXClient(
        "k" * 64,
        KNOWN_PEM,
        api_root="http://127.0.0.1:9/proxy/revx/api/1.0/",
        clock=lambda: next(clock),
    ) as client:
        url = httpx.URL(client.api_root + "/balances?currency=BTC")
        request = client._signed_request("GET", url)
    assert request.url.raw_path == b"/proxy/revx/api/1.0/balances?currency=BTC"
    stamp = int(request.headers["X-Revx-Timestamp"])
    assert stamp == 1700000000000
    expected = RequestSigner(KNOWN_PEM).sign(
        stamp, "GET", "/proxy/revx/api/1.0/balances", "currency=BTC", b""
    )
    assert request.headers["X-Revx-Signature"] == expected
    assert request.headers["X-Revx-API-Key"] == "k" * 64


def test_every_attempt_gets_a_fresh_timestamp_even_within_one_millisecond() -> None:
    with RevolutXClient("k" * 64, KNOWN_PEM, clock=lambda: 1700000000.0) as client:
        url = httpx.URL(client.api_root + "/balances")
        stamps = [int(client._signed_request("GET", url).headers["X-Revx-Timestamp"])
                  for _ in range(3)]
    assert stamps == [1700000000000, 1700000000001, 1700000000002]


def test_signer_repr_hides_the_key() -> None:
    assert "PRIVATE" not in repr(RequestSigner(KNOWN_PEM))
    with RevolutXClient("secret-api-key-1234" * 3, KNOWN_PEM) as client:
        assert "secret" not in repr(client)
