"""Checks of the bank's transport certificate, key and CA bundle that say in words what is wrong.

OpenSSL (via `client.ssl_context`) is the final judge and runs last; these checks come first
because its one combined error cannot tell "wrong passphrase" from "key of another certificate"
or "expired". Used by the key setup dialog before anything is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from balance_desk.errors import ConfigError

MAX_FILE_BYTES = 1024 * 1024
EXPIRY_WARNING = timedelta(days=30)
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class TransportFiles:
    """What a user sees once the files check out."""

    subject: str
    not_after: datetime
    expires_soon: bool


def _read(path_text: str, what: str) -> bytes:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ConfigError(f"The {what} file {path} does not exist.")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"The {what} file {path.name} is far too large to be one.")
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from exc


def load_certificate(path_text: str) -> x509.Certificate:
    data = _read(path_text, "certificate")
    name = Path(path_text).name
    if b"-----BEGIN" in data:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            if b"PRIVATE KEY-----" in data:
                raise ConfigError(
                    f"{name} holds a private key, not the certificate. Choose the certificate "
                    "file (-----BEGIN CERTIFICATE-----) here and the key file below."
                )
            raise ConfigError(f"{name} is not a certificate (no -----BEGIN CERTIFICATE-----).")
        try:
            return x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise ConfigError(f"{name} is damaged: it could not be read as a certificate.") from exc
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(
            f"{name} is not a certificate file (PEM -----BEGIN CERTIFICATE----- or DER)."
        ) from exc


def load_key(path_text: str, passphrase: str | None) -> object:
    data = _read(path_text, "key")
    name = Path(path_text).name
    if b"PRIVATE KEY-----" not in data:
        if b"-----BEGIN CERTIFICATE-----" in data:
            raise ConfigError(
                f"{name} is a certificate, not its private key. Choose the key file "
                "(-----BEGIN PRIVATE KEY-----) here."
            )
        if b"PUBLIC KEY-----" in data:
            raise ConfigError(f"{name} is a public key; the private key is needed here.")
        raise ConfigError(f"{name} is not a PEM private key (no -----BEGIN ... PRIVATE KEY-----).")
    try:
        return serialization.load_pem_private_key(
            data, passphrase.encode() if passphrase else None
        )
    except TypeError as exc:
        if passphrase:
            raise ConfigError(f"{name} is not encrypted: leave the passphrase empty.") from exc
        raise ConfigError(f"{name} is encrypted: enter its passphrase below.") from exc
    except ValueError as exc:
        if passphrase:
            raise ConfigError(f"Wrong passphrase for {name} (or the file is damaged).") from exc
        raise ConfigError(f"{name} is damaged: it could not be read as a private key.") from exc
    except UnsupportedAlgorithm as exc:
        raise ConfigError(f"{name} uses a key type this computer cannot read.") from exc


def _subject(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else cert.subject.rfc4514_string()
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def check_transport_files(
    cert_path: str, key_path: str, passphrase: str | None, now: datetime
) -> TransportFiles:
    """The certificate parses and is valid now, the key parses and belongs to it."""
    cert = load_certificate(cert_path)
    if cert.not_valid_after_utc <= now:
        raise ConfigError(
            f"The certificate {Path(cert_path).name} expired on "
            f"{cert.not_valid_after_utc:%d %B %Y}; the bank will refuse it. Get a new one from "
            "your Open Banking directory account."
        )
    if cert.not_valid_before_utc > now:
        raise ConfigError(
            f"The certificate {Path(cert_path).name} is not valid until "
            f"{cert.not_valid_before_utc:%d %B %Y}. Check this computer's date."
        )
    key = load_key(key_path, passphrase)
    public_key = getattr(key, "public_key", None)
    if public_key is None or (
        public_key().public_bytes(*_SPKI) != cert.public_key().public_bytes(*_SPKI)
    ):
        raise ConfigError(
            f"The key {Path(key_path).name} does not belong to the certificate "
            f"{Path(cert_path).name}. Choose the key file that was created with this certificate."
        )
    return TransportFiles(
        subject=_subject(cert),
        not_after=cert.not_valid_after_utc,
        expires_soon=cert.not_valid_after_utc - now < EXPIRY_WARNING,
    )


def check_ca_bundle(path_text: str) -> int:
    """How many CA certificates the bundle holds (at least one)."""
    data = _read(path_text, "CA bundle")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigError(
            f"{Path(path_text).name} is not a CA bundle (PEM certificates, "
            "-----BEGIN CERTIFICATE-----)."
        ) from exc
    return len(certs)
