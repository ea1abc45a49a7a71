"""`balance-desk bank connect|renew|disconnect|list` end to end (issue 14): real processes, the
real keyring, the bank simulator's consent page approved by a test browser, the address pasted
back or caught by the loopback listener; and no token, code or key in the output, the data
directory or any command line."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from balance_desk.config import BankSettings
from balance_desk.credentials import CredentialStore
from balance_desk.simulator.open_banking.consent_desk import browse
from balance_desk.simulator.open_banking.data import second_bank_accounts
from balance_desk.simulator.open_banking.server import BankSimulator
from tests.cli.test_canary_secrets import _tree

pytestmark = pytest.mark.keyring


def _args(sim: BankSimulator, connection: BankSettings, *extra: str) -> list[str]:
    return [
        "bank", "connect", "--name", connection.connection_name, "--preset", "custom",
        "--url", sim.url, "--financial-id", sim.financial_id, "--auth-url", sim.desk.auth_url,
        "--client-id", sim.desk.client_id, "--cert", str(sim.tls.client.cert_path),
        "--key", str(sim.tls.client.key_path), "--ca-bundle", str(sim.tls.ca_cert),
        "--signing-key", str(sim.desk.signing_key_path), "--kid", sim.desk.kid,
        "--redirect-uri", connection.redirect_uri, "--no-browser", *extra,
    ]


class Run:
    """A `balance-desk` process whose output is read as it comes, with a watch on the command
    lines of it and its children."""

    def __init__(self, home: Path, argv: list[str]) -> None:
        env = {**os.environ, "BALANCE_DESK_HOME": str(home)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "balance_desk", *argv], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.cmdlines: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.out.append(line)
            self.lines.put(line)
        self.lines.put("")

    def url(self) -> str:
        while line := self.lines.get(timeout=60):
            if line.startswith("http"):
                self._watch()
                return line.strip()
        raise AssertionError("no authorisation address printed")

    def _watch(self) -> None:
        for pid in _tree(self.process.pid):
            try:
                self.cmdlines.append(Path(f"/proc/{pid}/cmdline").read_text())
            except OSError:
                continue

    def finish(self, stdin: str = "") -> tuple[int, str, str]:
        assert self.process.stdin is not None and self.process.stderr is not None
        try:
            self.process.stdin.write(stdin)
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # it already ended
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        err = self.process.stderr.read()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode, "".join(self.out), err


def _cli(home: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "balance_desk", *argv], input=stdin, capture_output=True,
        text=True, timeout=60, env={**os.environ, "BALANCE_DESK_HOME": str(home)}, check=False,
    )


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as bank:
        yield bank


def _secrets_in(store: CredentialStore, name: str) -> list[str]:
    creds = store.get_bank(f"bank:{name}")
    assert creds is not None
    return [s for s in (creds.access_token, creds.refresh_token) if s]


def _leaks(home: Path, texts: list[str], secrets: list[str]) -> list[str]:
    found = [s for s in secrets if any(s in text for text in texts)]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{s[:4]}… in {path.name}" for s in secrets if s.encode() in data]
    return found


def test_connect_by_pasting_the_address_back_then_list_renew_disconnect(
    real_keyring_store: CredentialStore, sim: BankSimulator, data_home: Path
) -> None:
    connection = sim.connection_settings("Everyday")
    run = Run(data_home, _args(sim, connection))
    landed = browse(run.url())
    code = landed.split("code=")[1].split("&")[0]
    status, out, err = run.finish(landed + "\n")
    assert status == 0, err
    assert "Connected 'Everyday'" in out
    assert "Main GBP (GBP)" in out and "Accounts it can read now (7)" in out
    secrets = [*_secrets_in(real_keyring_store, "Everyday"), code]
    listed = _cli(data_home, "bank", "list")
    assert "Everyday" in listed.stdout and "authorised" in listed.stdout
    shown = _cli(data_home, "keys", "show")
    assert "Bank connections" in shown.stdout and "Everyday" in shown.stdout
    consent = real_keyring_store.get_bank("bank:Everyday")
    assert consent is not None and consent.consent_id
    assert consent.consent_id[:6] in listed.stdout

    # Renew: a new consent for the same connection; the old one is revoked.
    renew = Run(data_home, ["bank", "renew", "Everyday", "--no-browser"])
    status, out, err = renew.finish(browse(renew.url()) + "\n")
    assert status == 0, err
    renewed = real_keyring_store.get_bank("bank:Everyday")
    assert renewed is not None and renewed.consent_id != consent.consent_id
    assert sim.desk.consents[consent.consent_id].status == "Revoked"
    secrets += _secrets_in(real_keyring_store, "Everyday")

    gone = _cli(data_home, "bank", "disconnect", "Everyday")
    assert gone.returncode == 0, gone.stderr
    assert "The bank revoked the consent" in gone.stdout
    assert sim.desk.consents[str(renewed.consent_id)].status == "Revoked"
    assert real_keyring_store.get_bank("bank:Everyday") is None
    assert "No bank is connected" in _cli(data_home, "bank", "list").stdout
    texts = [out, err, listed.stdout, shown.stdout, gone.stdout, *run.cmdlines, *renew.cmdlines]
    assert _leaks(data_home, texts, secrets) == []


def test_connect_through_the_loopback_listener(
    real_keyring_store: CredentialStore, sim: BankSimulator, data_home: Path, free_port: int
) -> None:
    connection = sim.connection_settings("Loop", f"http://127.0.0.1:{free_port}/cb")
    run = Run(data_home, _args(sim, connection))
    url = run.url()
    threading.Thread(target=browse, args=(url,), daemon=True).start()
    status, out, err = run.finish()
    assert status == 0, err
    assert "Waiting for the bank" in out and "Connected 'Loop'" in out
    assert real_keyring_store.get_bank("bank:Loop") is not None


def test_refusals_are_sentences_and_store_nothing(
    real_keyring_store: CredentialStore, sim: BankSimulator, data_home: Path
) -> None:
    connection = sim.connection_settings("Denied")
    run = Run(data_home, _args(sim, connection))
    status, _out, err = run.finish(browse(run.url(), approve=False) + "\n")
    assert status == 1 and "not approved" in err and "Traceback" not in err
    run = Run(data_home, _args(sim, connection))
    url = run.url()
    status, _out, err = run.finish(browse(url).replace("state=", "state=x") + "\n")
    assert status == 1 and "does not belong to this connection attempt" in err
    assert real_keyring_store.get_bank("bank:Denied") is None
    # A file checked in words before anything is sent.
    wrong = _args(sim, connection)
    wrong[wrong.index("--signing-key") + 1] = str(sim.tls.client.cert_path)
    done = _cli(data_home, *wrong)
    assert done.returncode == 1 and "is a certificate, not its private key" in done.stderr
    assert _cli(data_home, "bank", "renew", "Nowhere").returncode == 1


def test_two_banks_in_one_snapshot_one_failing(
    real_keyring_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator() as first, BankSimulator(
        accounts=second_bank_accounts(), financial_id="0015800001ZEZ1AAAX"
    ) as second:
        for sim, name in ((first, "Everyday"), (second, "Savings")):
            run = Run(data_home, _args(sim, sim.connection_settings(name)))
            status, _out, err = run.finish(browse(run.url()) + "\n")
            assert status == 0, err
        second.fail(500, times=None, path="/accounts")
        snap = _cli(data_home, "snapshot", "--json", "--source", "bank")
    assert snap.returncode == 1  # one bank failed
    bank = json.loads(snap.stdout)["sources"]["bank"]
    assert [(c["name"], c["status"]) for c in bank["connections"]] == [
        ("Everyday", "ok"), ("Savings", "error")
    ]
    assert bank["connections"][1]["consent_expires_at"] is None
    everyday = [a for a in bank["accounts"] if a["connection"] == "Everyday"]
    assert len(everyday) == 7 and all(a["status"] == "ok" for a in everyday)
    assert {a["connection"] for a in bank["accounts"]} == {"Everyday", "Savings"}
