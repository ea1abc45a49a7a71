"""`balance-desk` as a user runs it: a subprocess against the simulator, keys in the real keyring.

The child inherits the private D-Bus session and gnome-keyring that scripts/test starts; the
`real_keyring_store` fixture skips (or fails on CI) without it and cleans the entries up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from balance_desk.cli.main import build_parser
from balance_desk.credentials import CredentialStore
from balance_desk.simulator.revolut_x.balances import demo_balances
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.revolut_x.keys import generate_private_key, private_key_pem

CONSOLE_SCRIPT = Path(sys.executable).with_name("balance-desk")


def run(*argv: str, stdin: str = "", env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    command = (
        [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "balance_desk"]
    )
    result = subprocess.run(
        [*command, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


@pytest.fixture
def keyring_store(real_keyring_store: CredentialStore) -> CredentialStore:
    return real_keyring_store


def _pem_file(tmp_path: Path, pem: str, name: str = "private.pem") -> Path:
    path = tmp_path / name
    path.write_text(pem)
    return path


def _set_keys(sim: RevolutXSimulator, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(
        "keys", "set", "revolut-x", "--url", sim.api_root, "--api-key-file", "-",
        "--private-key", str(_pem_file(tmp_path, sim.private_key_pem)),
        stdin=sim.api_key + "\n",
    )


def _expected_document_balances() -> list[dict[str, object]]:
    return [
        {
            "currency": b["currency"],
            "available": b["available"],
            "reserved": b["reserved"],
            "staked": b.get("staked"),
            "total": b["total"],
        }
        for b in demo_balances()
    ]


@pytest.mark.keyring
def test_set_show_and_snapshot(
    sim: RevolutXSimulator, keyring_store: CredentialStore, tmp_path: Path, data_home: Path
) -> None:
    stored = _set_keys(sim, tmp_path)
    assert stored.returncode == 0, stored.stderr
    assert "Stored the Revolut X credentials in the system keyring" in stored.stdout
    assert sim.api_key not in stored.stdout + stored.stderr

    shown = run("keys", "show")
    assert shown.returncode == 0
    assert sim.api_key not in shown.stdout
    assert f"…{sim.api_key[-4:]}" in shown.stdout
    for line in sim.private_key_pem.splitlines()[1:-1]:
        assert line not in shown.stdout
    for line in sim.public_key_pem.strip().splitlines():
        assert line in shown.stdout
    assert sim.api_root in shown.stdout
    # Only non-secret settings on disk.
    settings_text = (data_home / "settings.json").read_text()
    assert sim.api_root in settings_text and sim.api_key not in settings_text

    table = run("snapshot", "--source", "revolut-x")
    assert table.returncode == 0, table.stderr
    assert "Revolut X: ok" in table.stdout
    assert re.search(r"^BTC\s+0\.52340000\s+0\.01000000\s+-\s+0\.53340000$", table.stdout, re.M)
    assert re.search(r"^ETH\s+3\.250000000000000000\s", table.stdout, re.M)

    as_json = run("snapshot", "--json", "--source", "revolut-x")
    assert as_json.returncode == 0
    document = json.loads(as_json.stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", document.pop("fetched_at"))
    valuation = document.pop("valuation")
    # BTC/EUR is listed: valued by its own ticker, exactly (0.5334 x 114000).
    btc = next(line for line in valuation["crypto"] if line["currency"] == "BTC")
    assert btc == {"currency": "BTC", "amount": "0.53340000", "value": "60807.60"}
    assert valuation["base"] == "EUR" and valuation["errors"] == []
    assert document == {
        "schema": 1,
        "sources": {
            "revolut_x": {
                "status": "ok",
                "error": None,
                "balances": _expected_document_balances(),
            }
        },
    }


@pytest.mark.keyring
@pytest.mark.parametrize(
    ("status", "kind"), [(401, "auth"), (503, "server"), (429, "rate_limited")]
)
def test_a_failing_source_exits_1_with_its_error_in_the_document(
    sim: RevolutXSimulator, keyring_store: CredentialStore, tmp_path: Path,
    status: int, kind: str,
) -> None:
    assert _set_keys(sim, tmp_path).returncode == 0
    sim.fail(status, times=None)
    result = run("snapshot", "--json", "--source", "revolut-x")
    assert result.returncode == 1
    source = json.loads(result.stdout)["sources"]["revolut_x"]
    assert source["status"] == "error"
    assert source["balances"] == []
    error = source["error"]
    assert set(error) == {"kind", "message", "http_status", "error_id"}
    assert (error["kind"], error["http_status"]) == (kind, status)
    assert re.fullmatch(r"[0-9a-f-]{36}", error["error_id"])

    table = run("snapshot", "--source", "revolut-x")
    assert table.returncode == 1
    assert "Revolut X: error" in table.stdout
    assert f"HTTP {status}" in table.stdout


@pytest.mark.keyring
def test_nothing_configured_exits_2(keyring_store: CredentialStore) -> None:
    result = run("snapshot", "--source", "revolut-x")
    assert result.returncode == 2
    assert "Nothing is configured" in result.stderr
    assert "Revolut X: not configured" in result.stdout


@pytest.mark.keyring
def test_generate_then_add_the_api_key(
    sim: RevolutXSimulator, keyring_store: CredentialStore
) -> None:
    generated = run("keys", "generate", "revolut-x")
    assert generated.returncode == 0
    public = re.search(
        r"-----BEGIN PUBLIC KEY-----\n.+?\n-----END PUBLIC KEY-----", generated.stdout, re.S
    )
    assert public is not None
    assert "exchange.revolut.com/account/api-keys" in generated.stdout
    assert "PRIVATE KEY" not in generated.stdout

    half_done = run("snapshot", "--json", "--source", "revolut-x")
    assert half_done.returncode == 1
    error = json.loads(half_done.stdout)["sources"]["revolut_x"]["error"]
    assert error["kind"] == "config" and "API key is not set yet" in error["message"]

    again = run("keys", "generate", "revolut-x")
    assert again.returncode == 2 and "already stored" in again.stderr

    sim.register_key("C" * 64, public.group(0))
    added = run("keys", "set", "revolut-x", "--url", sim.api_root, "--api-key-file", "-",
                stdin="C" * 64)
    assert added.returncode == 0, added.stderr
    assert run("snapshot", "--source", "revolut-x").returncode == 0

    deleted = run("keys", "delete", "revolut-x")
    assert deleted.returncode == 0 and "Deleted" in deleted.stdout
    assert "none stored" in run("keys", "show").stdout


@pytest.mark.keyring
def test_encrypted_key_with_passphrase_file(
    sim: RevolutXSimulator, keyring_store: CredentialStore, tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(sim.private_key_pem.encode(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"open sesame"),
    ).decode()
    pem = _pem_file(tmp_path, encrypted)
    api_key_file = tmp_path / "api-key.txt"
    api_key_file.write_text(sim.api_key)
    base = ["keys", "set", "revolut-x", "--url", sim.api_root, "--api-key-file",
            str(api_key_file), "--private-key", str(pem), "--passphrase-file", "-"]
    wrong = run(*base, stdin="nope\n")
    assert wrong.returncode == 2 and "Wrong passphrase" in wrong.stderr
    right = run(*base, stdin="open sesame\n")
    assert right.returncode == 0, right.stderr
    stored = keyring_store.get_revolut_x()
    assert stored is not None
    assert stored.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")  # decrypted
    assert run("snapshot", "--source", "revolut-x").returncode == 0


@pytest.mark.keyring
def test_verbose_log_holds_no_secret(
    sim: RevolutXSimulator, keyring_store: CredentialStore, tmp_path: Path, data_home: Path
) -> None:
    assert _set_keys(sim, tmp_path).returncode == 0
    sim.fail(401)
    assert run("-v", "snapshot", "--source", "revolut-x").returncode == 1
    log_text = "".join(p.read_text() for p in (data_home / "logs").glob("*.log*"))
    assert "HTTP 401" in log_text
    assert sim.api_key not in log_text
    for line in sim.private_key_pem.splitlines()[1:-1]:
        assert line not in log_text


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    no_key = run("keys", "set", "revolut-x", "--private-key", str(tmp_path / "missing.pem"))
    assert no_key.returncode == 2
    assert "Cannot read the private key" in no_key.stderr
    public = _pem_file(
        tmp_path,
        generate_private_key().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
    )
    pasted = run("keys", "set", "revolut-x", "--private-key", str(public), "--api-key-file", "-",
                 stdin="A" * 64)
    assert pasted.returncode == 2
    assert "is a public key, not the private key" in pasted.stderr
    plain_http = run("keys", "set", "revolut-x", "--url", "http://example.com/api/1.0")
    assert plain_http.returncode == 2 and "Refusing the plain http://" in plain_http.stderr
    assert run("keys", "set", "revolut-x", "--api-key", "A" * 64).returncode == 2


def test_without_a_keyring_the_message_says_what_to_do(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    shown = run("keys", "show", env=env)
    assert shown.returncode == 1
    assert "no system keyring is available" in shown.stderr
    pem = _pem_file(tmp_path, private_key_pem(generate_private_key()))
    stored = run("keys", "set", "revolut-x", "--private-key", str(pem), "--api-key-file", "-",
                 stdin="A" * 64, env=env)
    assert stored.returncode == 1
    assert "no system keyring" in stored.stderr
    snapshot = run("snapshot", "--json", "--source", "revolut-x", env=env)
    assert snapshot.returncode == 1
    error = json.loads(snapshot.stdout)["sources"]["revolut_x"]["error"]
    assert error["kind"] == "config"


def _options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _options(sub)


def test_no_option_takes_a_secret_on_the_command_line() -> None:
    secretish = re.compile(r"api_key|token|passphrase|secret|password")
    for action in _options(build_parser()):
        if secretish.search(action.dest):
            assert action.dest.endswith("_file"), action.option_strings


@pytest.mark.keyring
def test_simulator_command(keyring_store: CredentialStore, data_home: Path) -> None:
    command = (
        [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "balance_desk"]
    )
    child = subprocess.Popen(
        [*command, "simulator"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
        text = "".join(lines)
        root = re.search(r"http://127\.0\.0\.1:\d+/api/1\.0", text)
        key_file = re.search(r"--api-key-file (\S+)", text)
        pem_file = re.search(r"--private-key (\S+)", text)
        assert root and key_file and pem_file, text
        workdir = Path(pem_file.group(1)).parent
        assert not workdir.is_relative_to(data_home)
        assert oct(Path(pem_file.group(1)).stat().st_mode & 0o777) == "0o600"
        stored = run("keys", "set", "revolut-x", "--url", root.group(0), "--api-key-file",
                     key_file.group(1), "--private-key", pem_file.group(1))
        assert stored.returncode == 0, stored.stderr
        assert run("snapshot", "--source", "revolut-x").returncode == 0
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0
        assert not workdir.exists()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            assert "Traceback" not in child.stderr.read()
            child.stderr.close()


@pytest.mark.keyring
def test_clock_ahead_is_corrected_and_reported(
    sim: RevolutXSimulator, keyring_store: CredentialStore, tmp_path: Path
) -> None:
    assert _set_keys(sim, tmp_path).returncode == 0
    sim.clock_skew_ms = -30_000
    table = run("snapshot", "--source", "revolut-x")
    assert table.returncode == 0
    assert re.search(r"note: this computer's clock is (29|30|31)\.\d s ahead of", table.stdout)
    as_json = run("snapshot", "--json", "--source", "revolut-x")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["sources"]["revolut_x"]["status"] == "ok"
    assert "clock is" in as_json.stderr
