"""Canary secrets: unique secrets in every slot, servers that echo them back in their errors,
`--verbose` on, and then every place a secret could leak is searched: standard output and error,
every file in the data directory (the log included), and the command lines of our processes
while they run. None may hold a canary (issue 15, defect 7 and the canary suite)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from tests.cli.test_keys_bank import files, set_args

COMMAND = [sys.executable, "-m", "balance_desk"]


def _tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def run_watched(argv: list[str], home: Path, stdin: str = "") -> tuple[str, str, list[str]]:
    """Run a command; its output, and every command line its processes showed meanwhile."""
    env = {**os.environ, "BALANCE_DESK_HOME": str(home)}
    with tempfile.TemporaryFile("w+") as given, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        given.write(stdin)
        given.seek(0)
        process = subprocess.Popen(
            [*COMMAND, *argv], stdin=given, stdout=out, stderr=err, text=True, env=env
        )
        cmdlines = _watch(process)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), cmdlines


def _watch(process: subprocess.Popen[str]) -> list[str]:
    cmdlines: list[str] = []
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        for pid in _tree(process.pid):
            try:
                cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode(
                    errors="replace"))
            except OSError:
                continue
        time.sleep(0.02)
    process.wait(timeout=30)
    return cmdlines


def _everything_in(directory: Path) -> str:
    return "\n".join(
        path.read_bytes().decode(errors="replace")
        for path in directory.rglob("*") if path.is_file()
    )


@pytest.mark.keyring
def test_no_canary_escapes_through_output_files_logs_or_command_lines(
    real_keyring_store: CredentialStore, tmp_path: Path, data_home: Path
) -> None:
    with RevolutXSimulator() as crypto, BankSimulator() as bank:
        pem = tmp_path / "private.pem"
        pem.write_text(crypto.private_key_pem)
        tokens = files(tmp_path, bank)
        canaries = {
            "api key": crypto.api_key,
            "access token": tokens["access"].read_text().strip(),
            "refresh token": tokens["refresh"].read_text().strip(),
            **{f"private key line {i}": line
               for i, line in enumerate(crypto.private_key_pem.splitlines()[1:-1])},
        }
        seen: list[tuple[str, str, list[str]]] = []
        seen.append(run_watched(
            ["keys", "set", "revolut-x", "--url", crypto.api_root, "--api-key-file", "-",
             "--private-key", str(pem)], data_home, stdin=crypto.api_key + "\n",
        ))
        seen.append(run_watched(set_args(bank, tokens), data_home))
        # Servers that echo what we sent them, in their error messages.
        crypto.fail(500, times=None, message=f"bad request: X-Revx-API-Key={crypto.api_key}")
        bank.fail(500, times=None, path="/balances",
                  message=f"rejected Authorization: Bearer {canaries['access token']}")
        bank.fail(400, times=None, path="/token",
                  message=f"refresh_token {canaries['refresh token']} is unknown")
        seen.append(run_watched(["--verbose", "snapshot", "--json"], data_home))
        # The balances answer now, the prices echo the key.
        crypto.clear_faults()
        crypto.fail(500, times=None, endpoint="tickers",
                    message=f"tickers failed for key {crypto.api_key}")
        seen.append(run_watched(["--verbose", "snapshot"], data_home))
        seen.append(run_watched(["keys", "show"], data_home))

    out = seen[2][0]
    assert "bad request: X-Revx-API-Key=[redacted]" in out  # the echo arrived, redacted
    assert "rejected Authorization: Bearer [redacted]" in out
    assert "tickers failed for key [redacted]" in seen[3][0]
    stored = _everything_in(data_home)
    assert "balance-desk.log" in {p.name for p in data_home.rglob("*")}
    for name, secret in canaries.items():
        for index, (out, err, cmdlines) in enumerate(seen):
            assert secret not in out, f"{name} on stdout of run {index}"
            assert secret not in err, f"{name} on stderr of run {index}"
            assert not any(secret in line for line in cmdlines), f"{name} in argv, run {index}"
        assert secret not in stored, f"{name} in the data directory"
