"""Logging to a rotating file in the data directory, with a last-line filter against secrets."""

from __future__ import annotations

import io
import logging
import logging.handlers
import re
import sys
from pathlib import Path

from balance_desk.paths import data_dir

LOG_FILE = "balance-desk.log"
# Libraries that log every request at INFO: kept at WARNING, as their INFO lines add nothing.
NOISY_LOGGERS = ("httpx", "httpcore", "hpack")

# Anything that looks like a credential is blanked even if a bug ever tried to log it.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
    re.compile(r"(?i)((?:authorization|x-revx-api-key|x-revx-signature|refresh_token|"
               r"access_token|api_key|passphrase)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"\b[A-Za-z0-9]{48,}\b"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text
        )
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Opens the log, and each new one after a rotation, as the user's alone (0600), like
    every file in the data folder, whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        import os

        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):  # not on Windows, where the mode means little
            os.fchmod(fd, 0o600)  # a file made earlier, by a looser version
        stream = os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        assert isinstance(stream, io.TextIOWrapper)
        return stream


def setup_logging(verbose: bool = False, directory: Path | None = None) -> Path:
    """Warnings and errors by default; `verbose` adds the info and debug lines."""
    path = (directory or data_dir()) / "logs" / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_balance_desk", False)]:
        root.removeHandler(old)
        old.close()
    handler._balance_desk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # The HTTP stack's own debug lines carry request details we do not want on disk.
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def start_logging(*, verbose: bool) -> None:
    """Open the log file for a command or the app; if it cannot be opened, say so and go on
    without it (a log is no reason not to show balances)."""
    from balance_desk.errors import ConfigError

    try:
        setup_logging(verbose=verbose)
    except (OSError, ConfigError) as exc:
        print(f"balance-desk: cannot open the log file: {exc}", file=sys.stderr)
