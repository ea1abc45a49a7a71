"""Throwaway certificates for the loopback bank simulator: a CA, a server certificate for
127.0.0.1/localhost and a client (transport) certificate, as the Open Banking directory would
issue them. Made fresh for every run; nothing here is ever trusted outside the simulator."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class ClientFiles:
    cert_path: Path
    key_path: Path
    passphrase: str | None


@dataclass(frozen=True)
class TlsFiles:
    """Where the simulator's certificates live; the client ones are handed to callers."""

    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client: ClientFiles


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Balance Desk simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(common_name: str = "Balance Desk simulator CA") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(
    ca: Issued,
    common_name: str,
    *,
    server: bool,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(minutes=5))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def write_key(path: Path, key: ec.EllipticCurvePrivateKey, passphrase: str | None = None) -> Path:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
    )
    path.chmod(0o600)
    return path


def write_client(
    directory: Path,
    ca: Issued,
    stem: str = "client",
    *,
    passphrase: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> ClientFiles:
    issued = issue(
        ca, f"Balance Desk {stem}", server=False, not_before=not_before, not_after=not_after
    )
    return ClientFiles(
        cert_path=write_cert(directory / f"{stem}.crt", issued.cert),
        key_path=write_key(directory / f"{stem}.key", issued.key, passphrase),
        passphrase=passphrase,
    )


def make_tls_files(directory: Path, *, client_passphrase: str | None = None) -> TlsFiles:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, written to
    `directory`. Returns the CA too, so tests can issue more client certificates."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca()
    server = issue(ca, "127.0.0.1", server=True)
    write_key(directory / "ca.key", ca.key)
    return TlsFiles(
        directory=directory,
        ca_cert=write_cert(directory / "ca.crt", ca.cert),
        server_cert=write_cert(directory / "server.crt", server.cert),
        server_key=write_key(directory / "server.key", server.key),
        client=write_client(directory, ca, passphrase=client_passphrase),
    )


def load_ca(files: TlsFiles) -> Issued:
    """The simulator CA again, to issue extra client certificates (expired ones, say)."""
    cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = serialization.load_pem_private_key((files.directory / "ca.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Issued(cert, key)
