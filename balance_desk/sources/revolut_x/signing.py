"""Revolut X request signing: Ed25519 over timestamp + METHOD + path + query + body."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from balance_desk.sources.revolut_x.keys import load_private_key


def signing_message(timestamp_ms: int, method: str, path: str, query: str, body: bytes) -> bytes:
    """The exact bytes Revolut X signs. `path` is the requested path (from `/api` on the real
    host), `query` has no leading '?', and `body` is the bytes put on the wire."""
    return f"{timestamp_ms}{method.upper()}{path}{query}".encode() + body


class RequestSigner:
    """Holds the private key; produces the three authentication header values per attempt."""

    def __init__(self, private_key: Ed25519PrivateKey | str) -> None:
        self._key = load_private_key(private_key) if isinstance(private_key, str) else private_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, timestamp_ms: int, method: str, path: str, query: str, body: bytes) -> str:
        message = signing_message(timestamp_ms, method, path, query, body)
        return base64.b64encode(self._key.sign(message)).decode("ascii")

    def __repr__(self) -> str:
        return "RequestSigner(<private key hidden>)"


def verify_signature(
    public_key: Ed25519PublicKey,
    signature_b64: str,
    *,
    timestamp_ms: int,
    method: str,
    path: str,
    query: str,
    body: bytes,
) -> bool:
    """What the server does (used by the simulator)."""
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    try:
        public_key.verify(signature, signing_message(timestamp_ms, method, path, query, body))
    except InvalidSignature:
        return False
    return True
