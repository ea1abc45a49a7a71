"""No secret reaches the log file, even at --verbose and even for failed requests."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest

from balance_desk.config import RevolutXSettings
from balance_desk.credentials import CredentialStore, RevolutXCredentials
from balance_desk.logs import redact, setup_logging
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.revolut_x.source import RetryPolicy, RevolutXSource


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    level = root.level
    path = setup_logging(verbose=True, directory=tmp_path)
    yield path
    for handler in [h for h in root.handlers if getattr(h, "_balance_desk", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def _secret_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_failed_requests_log_no_secret(
    log_file: Path, memory_store: CredentialStore
) -> None:
    with RevolutXSimulator() as sim:
        memory_store.set_revolut_x(
            RevolutXCredentials(api_key=sim.api_key, private_key_pem=sim.private_key_pem)
        )
        source = RevolutXSource(
            memory_store,
            RevolutXSettings(url=sim.api_root),
            policy=RetryPolicy(retries=1, backoff_s=0.001),
        )
        try:
            for status in (401, 500, 409, 429):
                sim.fail(status, times=None)
                source.fetch(user_present=True)
                sim.clear_faults()
            sim.fail(None, truncate_to=5, times=None)
            source.fetch(user_present=True)
            sim.clear_faults()
            assert source.fetch(user_present=True).status == "ok"
        finally:
            source.close()
        signatures = [r.signature for r in sim.requests if r.signature]
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    # The log did record the failures (so this test looks at a real log)...
    assert "HTTP 401" in text and "Retrying" in text and "GET /api/1.0/balances" in text
    # ...and none of the secrets.
    assert sim.api_key not in text
    for line in _secret_lines(sim.private_key_pem):
        assert line not in text
    assert signatures
    for signature in signatures:
        assert signature not in text


def test_unexpected_errors_are_logged_with_a_traceback_but_no_secret(
    log_file: Path, memory_store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RevolutXSimulator() as sim:
        memory_store.set_revolut_x(
            RevolutXCredentials(api_key=sim.api_key, private_key_pem=sim.private_key_pem)
        )
        source = RevolutXSource(memory_store, RevolutXSettings(url=sim.api_root))

        def broken(doc: object) -> tuple[()]:
            raise KeyError("a bug")

        monkeypatch.setattr("balance_desk.sources.revolut_x.client.parse_balances", broken)
        try:
            result = source.fetch(user_present=True)
        finally:
            source.close()
    assert result.status == "error"
    assert result.error is not None and "details are in the log file" in result.error.message
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback" in text and "a bug" in text
    assert sim.api_key not in text


def test_redact_blanks_anything_that_looks_like_a_credential() -> None:
    api_key = "k3Y" * 21 + "Z"
    line = (
        f"headers={{'X-Revx-API-Key': '{api_key}', 'X-Revx-Signature': 'abc+/=='}} "
        "Authorization: Bearer eyJhbGciOi.secret refresh_token=rt-123"
    )
    cleaned = redact(line)
    assert api_key not in cleaned
    assert "abc+/==" not in cleaned
    assert "eyJhbGciOi" not in cleaned
    assert "rt-123" not in cleaned
    pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQ\n-----END PRIVATE KEY-----"
    assert "MC4CAQ" not in redact(f"oops {pem}")


def test_default_level_keeps_info_out(tmp_path: Path) -> None:
    root = logging.getLogger()
    level = root.level
    try:
        path = setup_logging(verbose=False, directory=tmp_path)
        logging.getLogger("balance_desk.test").info("routine detail")
        logging.getLogger("balance_desk.test").warning("worth knowing")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_balance_desk", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
    assert "worth knowing" in text
    assert "routine detail" not in text


def test_the_log_and_its_rotated_files_are_the_users_alone(log_file: Path) -> None:
    """Like every file in the data folder: 0600 whatever the umask, rotated ones too."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        handler = next(h for h in logging.getLogger().handlers
                       if getattr(h, "_balance_desk", False))
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        logging.getLogger("balance_desk.test").warning("first")
        handler.doRollover()
        logging.getLogger("balance_desk.test").warning("second")
        handler.flush()
    finally:
        os.umask(old)
    files = sorted(log_file.parent.iterdir())
    assert len(files) == 2
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
