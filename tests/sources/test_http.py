"""What every source shares about HTTP: Retry-After read safely, server words made safe."""

from __future__ import annotations

import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from balance_desk.errors import ConfigError
from balance_desk.sources.http import (
    MAX_RETRY_AFTER,
    make_transport,
    retry_after,
    server_words,
    tls_verify,
    when_words,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "unit_s", "expected"),
    [
        ("120", 1, NOW + timedelta(seconds=120)),
        ("1500", 0.001, NOW + timedelta(milliseconds=1500)),
        ("99999999999999999999", 1, NOW + MAX_RETRY_AFTER),  # clamped, not an overflow
        ("999999999999999", 1, NOW + MAX_RETRY_AFTER),
        ("\u0661\u0662", 1, None),  # Arabic-Indic digits: no word from the server
        ("ten", 1, None),
        ("-5", 1, None),
        ("", 1, None),
        (None, 1, None),
        ("Wed, 02 Dec 2026 13:00:00 GMT", 1, NOW + timedelta(hours=1)),
        ("Tue, 01 Dec 2026 13:00:00 GMT", 1, None),  # in the past: ignored
        ("Fri, 31 Dec 9999 23:59:59 GMT", 1, NOW + MAX_RETRY_AFTER),
    ],
)
def test_retry_after_is_read_safely(
    value: str | None, unit_s: float, expected: datetime | None
) -> None:
    assert retry_after(value, NOW, unit_s=unit_s) == expected


def test_a_retry_on_another_day_gives_the_date() -> None:
    later_today = NOW + timedelta(minutes=5)
    assert ":" in when_words(later_today, NOW) and "-" not in when_words(later_today, NOW)
    assert when_words(NOW + timedelta(days=3), NOW).startswith("2026-12-0")


def test_server_words_lose_escapes_and_are_capped() -> None:
    assert server_words("\x1b[31mred\x1b[0m\u202e tail\n") == "[31mred [0m tail"
    long = server_words("x" * 2_000_000)
    assert len(long) == 300 and long.endswith("…")


def test_a_chunked_answer_without_a_length_is_cut_off_at_the_cap() -> None:
    """The chunk-by-chunk loop: no Content-Length to refuse it up front."""
    import http.server
    import threading

    import httpx

    from balance_desk.errors import ProtocolError
    from balance_desk.sources.http import read_capped

    class Chunked(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(64):  # 4 MB in all, in pieces
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client hung up at the cap, as it should

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chunked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with httpx.Client(timeout=10) as client:
            with client.stream("GET", url) as response:
                assert "Content-Length" not in response.headers
                with pytest.raises(ProtocolError, match="larger than 1 MB"):
                    read_capped(response, service="The test", cap=1024 * 1024)
            with client.stream("GET", url) as response:
                assert len(read_capped(response, service="The test")) == 64 * 65536
    finally:
        server.shutdown()
        server.server_close()


def _bundle(path: Path, common_name: str) -> Path:
    from balance_desk.simulator.certs import make_ca, write_cert

    return write_cert(path, make_ca(common_name).cert)


def _authorities(context: ssl.SSLContext) -> set[str]:
    names: set[str] = set()
    for ca in context.get_ca_certs():
        subject: Any = ca["subject"]  # ((("commonName", "..."),), ...)
        for rdn in subject:
            names.update(str(value) for key, value in rdn if key == "commonName")
    return names


def test_a_ca_bundle_is_loaded_once_and_again_when_the_file_changes(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "ca.pem", "First CA")
    first = tls_verify(str(bundle), service="Test")
    assert tls_verify(str(bundle), service="Test") is first  # one load per process
    assert _authorities(first) == {"First CA"}
    replaced = _bundle(tmp_path / "new.pem", "Second CA with a longer name")
    os.replace(replaced, bundle)  # the CA rotated: a new file at the same path
    second = tls_verify(str(bundle), service="Test")
    assert _authorities(second) == {"Second CA with a longer name"}
    assert second.verify_mode == ssl.CERT_REQUIRED and second.check_hostname


def test_without_a_bundle_ssl_cert_file_is_honoured_only_off_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _bundle(tmp_path / "proxy-ca.pem", "Corporate proxy CA")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert _authorities(tls_verify(None, service="Test")) == {"Corporate proxy CA"}
    assert "Corporate proxy CA" not in _authorities(tls_verify(None, service="Test",
                                                               trust_env=False))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        tls_verify(None, service="Test")


def test_a_plain_http_loopback_client_trusts_no_authority_and_still_verifies() -> None:
    # The simulator's plain-http roots never speak TLS: loading certifi's bundle for them
    # only delayed the demo's first figures. Should TLS ever happen, nothing is trusted.
    transport = make_transport("http://127.0.0.1:8080/api", None, service="Test")
    context = transport._pool._ssl_context  # what httpx will verify with
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    transport.close()
