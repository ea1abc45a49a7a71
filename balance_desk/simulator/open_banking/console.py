"""The bank's part of `balance-desk simulator`: start it and say how to point Balance Desk at it."""

from __future__ import annotations

import os
from pathlib import Path

from balance_desk.simulator.console import RunningSimulator
from balance_desk.simulator.open_banking.server import BankSimulator


def _write_private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def start_bank(workdir: Path, command: str = "balance-desk") -> RunningSimulator:
    """The bank simulator on a free loopback port, its first tokens written to `workdir` (its
    certificates live in its own temporary folder until it stops)."""
    server = BankSimulator().start()
    try:
        tokens = server.issue_tokens(client_id="sim-client")
        access = _write_private(workdir / "bank-access-token.txt", tokens.access_token + "\n")
        refresh = _write_private(workdir / "bank-refresh-token.txt", tokens.refresh_token + "\n")
    except BaseException:
        server.stop()
        raise
    tls = server.tls
    return RunningSimulator(
        server,
        [
            f"Bank (Open Banking) simulator: {server.url} (mutual TLS)",
            "  Point Balance Desk at it with its throwaway certificate and tokens (this replaces",
            "  any bank credentials stored in your keyring):",
            f"    {command} keys set bank --preset custom --url {server.url} \\",
            f"      --financial-id {server.financial_id} \\",
            f"      --cert {tls.client.cert_path} --key {tls.client.key_path} \\",
            f"      --ca-bundle {tls.ca_cert} \\",
            f"      --access-token-file {access} --refresh-token-file {refresh} \\",
            "      --client-id sim-client",
            f"    {command} snapshot --source bank",
            "  Access tokens last an hour and are refreshed at /token; unattended requests",
            "  (snapshot --unattended) are limited to 4 a day per account, as at the bank.",
        ],
    )
