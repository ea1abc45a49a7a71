"""Private keys as users paste them: each wrong kind gets a message that says what it is."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from balance_desk.errors import ConfigError
from balance_desk.sources.revolut_x.keys import (
    PassphraseNeeded,
    generate_private_key,
    is_encrypted_pem,
    load_private_key,
    private_key_pem,
    public_key_pem,
)


def _pem(key: object, fmt: serialization.PrivateFormat, password: bytes | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()  # type: ignore[attr-defined,no-any-return]


def test_plain_pkcs8_round_trip() -> None:
    key = generate_private_key()
    loaded = load_private_key(private_key_pem(key))
    assert public_key_pem(loaded) == public_key_pem(key)
    assert private_key_pem(key).startswith("-----BEGIN PRIVATE KEY-----")


def test_encrypted_pkcs8_needs_the_right_passphrase() -> None:
    key = generate_private_key()
    pem = _pem(key, serialization.PrivateFormat.PKCS8, b"correct horse")
    assert is_encrypted_pem(pem)
    with pytest.raises(PassphraseNeeded, match="encrypted"):
        load_private_key(pem)
    with pytest.raises(ConfigError, match="Wrong passphrase"):
        load_private_key(pem, "wrong")
    assert public_key_pem(load_private_key(pem, "correct horse")) == public_key_pem(key)


def test_openssh_ed25519_key_is_accepted() -> None:
    key = generate_private_key()
    pem = _pem(key, serialization.PrivateFormat.OpenSSH)
    assert public_key_pem(load_private_key(pem)) == public_key_pem(key)


@pytest.mark.parametrize(
    ("make", "fmt", "words"),
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
         serialization.PrivateFormat.PKCS8, "RSA key"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
         serialization.PrivateFormat.TraditionalOpenSSL, "RSA key"),
        (lambda: ec.generate_private_key(ec.SECP256R1()),
         serialization.PrivateFormat.PKCS8, "elliptic-curve"),
        (lambda: ec.generate_private_key(ec.SECP256R1()),
         serialization.PrivateFormat.TraditionalOpenSSL, "elliptic-curve"),
        (ed448.Ed448PrivateKey.generate, serialization.PrivateFormat.PKCS8, "Ed448"),
    ],
)
def test_other_key_types_are_named(
    make: object, fmt: serialization.PrivateFormat, words: str
) -> None:
    pem = _pem(make(), fmt)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=words) as info:
        load_private_key(pem)
    assert "Ed25519" in str(info.value)


def test_public_key_pasted_by_mistake() -> None:
    with pytest.raises(ConfigError, match="is a public key, not the private key"):
        load_private_key(public_key_pem(Ed25519PrivateKey.generate()))


@pytest.mark.parametrize("text", ["", "hello", "MC4CAQAwBQYDK2VwBCIEIFMSbiie3sYstkM3gSCUb"])
def test_not_a_pem_at_all(text: str) -> None:
    with pytest.raises(ConfigError, match="not a PEM key file"):
        load_private_key(text)


def test_damaged_pem_body() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError, match="could not be read as a private key"):
        load_private_key(pem)
