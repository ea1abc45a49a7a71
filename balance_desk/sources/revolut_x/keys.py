"""Ed25519 private keys for Revolut X: loading what users paste, generating new pairs.

Every failure is a ConfigError that says what the file is and what Revolut X needs instead.
"""

from __future__ import annotations

import re

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from balance_desk.errors import ConfigError

_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_HOW_TO = (
    "Revolut X needs an Ed25519 private key in PEM form (-----BEGIN PRIVATE KEY-----), e.g. from "
    "`openssl genpkey -algorithm ed25519 -out private.pem` or `balance-desk keys generate "
    "revolut-x`."
)


class PassphraseNeeded(ConfigError):
    """The PEM is encrypted and no passphrase was given: ask for one, then load again."""


def is_encrypted_pem(text: str) -> bool:
    return "-----BEGIN ENCRYPTED PRIVATE KEY-----" in text or "Proc-Type: 4,ENCRYPTED" in text


def _key_type_name(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "an RSA key"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"an elliptic-curve ({key.curve.name}) key"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "an Ed448 key"
    if isinstance(key, dsa.DSAPrivateKey):
        return "a DSA key"
    return f"a {type(key).__name__}"


def load_private_key(
    pem: str | bytes, passphrase: str | bytes | None = None, *, source: str = "The key"
) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM (plain or encrypted) or an OpenSSH private key."""
    text = pem.decode("utf-8", "replace") if isinstance(pem, bytes) else pem
    text = text.strip()
    labels = _PEM_LABEL.findall(text)
    if not labels:
        raise ConfigError(
            f"{source} is not a PEM key file (no -----BEGIN ...----- line). {_HOW_TO}"
        )
    label = labels[0]
    if "PUBLIC KEY" in label or label == "CERTIFICATE":
        what = "a certificate" if label == "CERTIFICATE" else "a public key"
        raise ConfigError(
            f"{source} is {what}, not the private key. Give the private half "
            "(-----BEGIN PRIVATE KEY-----); the public half is what you upload to Revolut X."
        )
    if label == "RSA PRIVATE KEY":
        raise ConfigError(f"{source} is an RSA key; {_HOW_TO}")
    if label == "EC PRIVATE KEY":
        raise ConfigError(f"{source} is an elliptic-curve (EC) key; {_HOW_TO}")
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    encrypted = is_encrypted_pem(text)
    if encrypted and not secret:
        raise PassphraseNeeded(f"{source} is encrypted; its passphrase is needed.")
    data = text.encode() + b"\n"
    try:
        if label == "OPENSSH PRIVATE KEY":
            key: object = serialization.load_ssh_private_key(data, secret or None)
        else:
            key = serialization.load_pem_private_key(data, secret if encrypted else None)
    except ValueError as exc:
        if encrypted:
            raise ConfigError(
                f"Wrong passphrase for {source.lower()} (or the file is damaged)."
            ) from None
        raise ConfigError(_unreadable(source, exc)) from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        if isinstance(exc, TypeError) and label == "OPENSSH PRIVATE KEY" and not secret:
            raise PassphraseNeeded(f"{source} is encrypted; its passphrase is needed.") from exc
        raise ConfigError(_unreadable(source, exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{source} is {_key_type_name(key)}; {_HOW_TO}")
    return key


def _unreadable(source: str, exc: Exception) -> str:
    return f"{source} could not be read as a private key ({exc}). {_HOW_TO}"


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM: how keys are stored in the keyring (the keyring protects it)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: Ed25519PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM a user pastes into Revolut X."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
