"""`balance-desk keys set bank` and `snapshot --json --source bank`: files checked before anything
is stored, secrets only from files/stdin, and the exact JSON document from a real subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from balance_desk.cli.args import UsageError
from balance_desk.cli.keys_bank import keys_set_bank, show_lines
from balance_desk.cli.main import build_parser
from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.errors import ConfigError
from balance_desk.money import plain
from balance_desk.simulator.certs import load_ca, make_tls_files, write_client
from balance_desk.simulator.ecb import EcbSimulator
from balance_desk.simulator.open_banking.data import SimAccount, balance
from balance_desk.simulator.open_banking.server import BankSimulator


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as simulator:
        yield simulator


def files(tmp_path: Path, sim: BankSimulator) -> dict[str, Path]:
    tokens = sim.issue_tokens(client_id="cli-client")
    access = tmp_path / "access.txt"
    refresh = tmp_path / "refresh.txt"
    access.write_text(tokens.access_token + "\n")
    refresh.write_text(tokens.refresh_token + "\n")
    return {"access": access, "refresh": refresh}


def set_args(sim: BankSimulator, tmp: dict[str, Path], *extra: str) -> list[str]:
    return [
        "keys", "set", "bank", "--preset", "custom", "--url", sim.url,
        "--financial-id", sim.financial_id,
        "--cert", str(sim.tls.client.cert_path), "--key", str(sim.tls.client.key_path),
        "--ca-bundle", str(sim.tls.ca_cert),
        "--access-token-file", str(tmp["access"]), "--refresh-token-file", str(tmp["refresh"]),
        "--client-id", "cli-client", *extra,
    ]


def run_set(argv: list[str], store: CredentialStore, stdin: str = "") -> str:
    out = io.StringIO()
    keys_set_bank(build_parser().parse_args(argv), store=store, stdin=io.StringIO(stdin), out=out)
    return out.getvalue()


def test_set_stores_secrets_in_the_keyring_and_the_rest_in_settings(
    sim: BankSimulator, memory_store: CredentialStore, tmp_path: Path, data_home: Path
) -> None:
    tmp = files(tmp_path, sim)
    out = run_set(set_args(sim, tmp), memory_store)
    assert "Stored the bank credentials in the system keyring" in out
    creds = memory_store.get_bank()
    assert creds is not None
    assert creds.access_token == tmp["access"].read_text().strip()
    assert creds.refresh_token == tmp["refresh"].read_text().strip()
    assert creds.client_id == "cli-client"
    settings = Settings.load().bank
    assert settings.preset == "custom"
    assert settings.url == sim.url
    assert settings.cert_path == str(sim.tls.client.cert_path.resolve())
    # No secret reaches the settings file.
    text = (data_home / "settings.json").read_text()
    assert creds.access_token not in text
    assert creds.refresh_token is not None
    assert creds.refresh_token not in text
    shown = "\n".join(show_lines(settings, memory_store))
    assert "Refresh token: yes" in shown
    assert "CN=Balance Desk client" in shown
    assert creds.access_token[-6:] not in shown


def test_changing_only_the_certificate_keeps_the_tokens(
    sim: BankSimulator, memory_store: CredentialStore, tmp_path: Path
) -> None:
    tmp = files(tmp_path, sim)
    run_set(set_args(sim, tmp), memory_store)
    before = memory_store.get_bank()
    renewed = write_client(tmp_path, load_ca(sim.tls), "renewed")
    run_set(
        ["keys", "set", "bank", "--cert", str(renewed.cert_path), "--key",
         str(renewed.key_path)],
        memory_store,
    )
    assert memory_store.get_bank() == before
    assert Settings.load().bank.cert_path == str(renewed.cert_path.resolve())
    assert Settings.load().bank.url == sim.url


def test_token_from_stdin(
    sim: BankSimulator, memory_store: CredentialStore, tmp_path: Path
) -> None:
    tmp = files(tmp_path, sim)
    argv = set_args(sim, tmp)
    argv[argv.index("--access-token-file") + 1] = "-"
    run_set(argv, memory_store, stdin="  from-stdin-token \n")
    creds = memory_store.get_bank()
    assert creds is not None
    assert creds.access_token == "from-stdin-token"


@pytest.mark.parametrize(
    "case",
    ["missing-cert", "key-of-another", "expired", "key-as-cert", "bad-ca", "preset-conflict",
     "two-stdins", "no-token", "http-url"],
)
def test_bad_input_is_refused_before_anything_is_stored(
    sim: BankSimulator, memory_store: CredentialStore, tmp_path: Path, case: str
) -> None:
    tmp = files(tmp_path, sim)
    argv = set_args(sim, tmp)
    stranger = make_tls_files(tmp_path / "other").client

    def put(flag: str, value: str) -> None:
        argv[argv.index(flag) + 1] = value

    words = {
        "missing-cert": "does not exist",
        "key-of-another": "does not belong to the certificate",
        "expired": "expired on",
        "key-as-cert": "holds a private key, not the certificate",
        "bad-ca": "is not a CA bundle",
        "preset-conflict": "go with --preset custom",
        "two-stdins": "Only one of the secret files can be -",
        "no-token": "Access token is needed",
        "http-url": "must be https://",
    }[case]
    if case == "missing-cert":
        put("--cert", str(tmp_path / "nope.crt"))
    elif case == "key-of-another":
        put("--key", str(stranger.key_path))
    elif case == "expired":
        old = write_client(
            tmp_path, load_ca(sim.tls), "old",
            not_before=datetime.now(UTC) - timedelta(days=40),
            not_after=datetime.now(UTC) - timedelta(days=1),
        )
        put("--cert", str(old.cert_path))
        put("--key", str(old.key_path))
    elif case == "key-as-cert":
        put("--cert", str(sim.tls.client.key_path))
    elif case == "bad-ca":
        put("--ca-bundle", str(tmp["access"]))
    elif case == "preset-conflict":
        put("--preset", "revolut")
    elif case == "two-stdins":
        put("--access-token-file", "-")
        put("--refresh-token-file", "-")
    elif case == "no-token":
        i = argv.index("--access-token-file")
        del argv[i : i + 2]
    elif case == "http-url":
        put("--url", sim.url.replace("https://", "http://"))
    with pytest.raises((UsageError, ConfigError)) as caught:
        run_set(argv, memory_store)
    assert words in str(caught.value)
    assert memory_store.get_bank() is None
    assert Settings.load().bank.cert_path is None


def test_encrypted_key_needs_its_passphrase(
    memory_store: CredentialStore, tmp_path: Path
) -> None:
    with BankSimulator(client_key_passphrase="open sesame") as locked:
        tmp = files(tmp_path, locked)
        with pytest.raises(UsageError, match="is encrypted: give its passphrase"):
            run_set(set_args(locked, tmp), memory_store)
        wrong = tmp_path / "wrong.txt"
        wrong.write_text("nope\n")
        with pytest.raises(ConfigError, match="Wrong passphrase"):
            run_set(set_args(locked, tmp, "--key-passphrase-file", str(wrong)), memory_store)
        assert memory_store.get_bank() is None
        right = tmp_path / "right.txt"
        right.write_text("open sesame\n")
        run_set(set_args(locked, tmp, "--key-passphrase-file", str(right)), memory_store)
    creds = memory_store.get_bank()
    assert creds is not None
    assert creds.key_passphrase == "open sesame"


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BALANCE_DESK_HOME"] = str(home)
    return env


def _cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "balance_desk", *argv],
        capture_output=True, text=True, timeout=60, env=_env(home), stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.keyring
def test_cli_set_then_snapshot_json_is_the_exact_document(
    real_keyring_store: CredentialStore, tmp_path: Path, data_home: Path,
    local_rates: EcbSimulator,
) -> None:
    accounts = [
        SimAccount(
            {"AccountId": "a-1", "Currency": "GBP", "AccountType": "Personal",
             "AccountSubType": "CurrentAccount", "Nickname": "Main"},
            [balance("a-1", "InterimAvailable", "Credit", "300.00", "GBP",
                     "2026-11-21T08:00:00Z",
                     lines=[(False, "Available", "500.00"), (False, "Pre-Agreed", "500.00")]),
             balance("a-1", "InterimBooked", "Debit", "0.10000", "GBP",
                     "2026-11-21T09:00:00+01:00")],
        ),
        SimAccount(
            {"AccountId": "a-2", "Currency": "EUR", "AccountType": "Personal",
             "AccountSubType": "CreditCard"},
            [balance("a-2", "InterimAvailable", "Credit", "1749", "EUR", "2026-11-21T08:00:00Z",
                     lines=[(True, "Available", "2000.00")])],
        ),
    ]
    with BankSimulator(accounts=accounts, accounts_per_page=1, balances_per_page=1) as live:
        tmp = files(tmp_path, live)
        done = _cli(data_home, *set_args(live, tmp))
        assert done.returncode == 0, done.stderr
        assert "Stored the bank credentials in the system keyring" in done.stdout
        snap = _cli(data_home, "snapshot", "--json", "--source", "bank")
        assert snap.returncode == 0, snap.stderr
        shown = _cli(data_home, "keys", "show")
    doc = json.loads(snap.stdout)
    assert set(doc) == {"schema", "fetched_at", "sources", "valuation"}
    assert list(doc["sources"]) == ["bank"]
    line = {"included": False, "type": "Available", "amount": "500.00", "currency": "GBP"}
    assert doc["sources"]["bank"] == {
        "status": "ok",
        "error": None,
        "accounts": [
            {
                "account_id": "a-1", "nickname": "Main", "currency": "GBP",
                "account_type": "Personal", "account_subtype": "CurrentAccount",
                "connection": "custom",
                "status": "ok", "error": None, "next_allowed_at": None,
                "balances": [
                    {
                        "type": "InterimAvailable", "credit_debit": "Credit",
                        "amount": "300.00", "signed_amount": "300.00", "currency": "GBP",
                        "date_time": "2026-11-21T08:00:00+00:00",
                        "credit_lines": [line, {**line, "type": "Pre-Agreed"}],
                        "amount_without_included_credit": "300.00",
                        "amount_with_unused_credit": "800.00",
                        "included_credit": "0", "unused_credit": "500.00",
                        "standard_type": "InterimAvailable",
                    },
                    {
                        "type": "InterimBooked", "credit_debit": "Debit",
                        "amount": "0.10000", "signed_amount": "-0.10000", "currency": "GBP",
                        "date_time": "2026-11-21T09:00:00+01:00", "credit_lines": [],
                        "amount_without_included_credit": "-0.10000",
                        "amount_with_unused_credit": "-0.10000",
                        "included_credit": "0", "unused_credit": "0",
                        "standard_type": "InterimBooked",
                    },
                ],
            },
            {
                "account_id": "a-2", "nickname": None, "currency": "EUR",
                "account_type": "Personal", "account_subtype": "CreditCard",
                "connection": "custom",
                "status": "ok", "error": None, "next_allowed_at": None,
                "balances": [
                    {
                        "type": "InterimAvailable", "credit_debit": "Credit",
                        "amount": "1749", "signed_amount": "1749", "currency": "EUR",
                        "date_time": "2026-11-21T08:00:00+00:00",
                        "credit_lines": [{"included": True, "type": "Available",
                                          "amount": "2000.00", "currency": "EUR"}],
                        "amount_without_included_credit": "-251.00",
                        "amount_with_unused_credit": "1749.00",
                        "included_credit": "2000.00", "unused_credit": "2000.00",
                        "standard_type": "InterimAvailable",
                    },
                ],
            },
        ],
        # Tokens set with `keys set bank`: a connection named after its preset, no consent dates.
        "connections": [{"name": "custom", "status": "ok", "error": None,
                         "consent_expires_at": None, "refresh_token_expires_at": None}],
    }
    # Valued in EUR: the GBP account by the ECB rate (a quotient, 28 digits), the card as what is
    # owed (its own money without the 2,000.00 of credit inside the 1,749), credit apart.
    valuation = doc["valuation"]
    (gbp,) = [r for r in valuation["rates"] if r["from"] == "GBP"]
    with localcontext(prec=28):
        expected_rate = Decimal(1) / Decimal(local_rates.rates["GBP"])
    assert Decimal(gbp["rate"]) == expected_rate and gbp["source"] == "ecb"
    assert valuation["bank"] == [
        {"account_id": "a-1", "type": "InterimAvailable", "owed": False, "amount": "300.00",
         "currency": "GBP", "value": plain(Decimal("300.00") * expected_rate)},
        {"account_id": "a-2", "type": "InterimAvailable", "owed": True, "amount": "-251.00",
         "currency": "EUR", "value": "-251.00"},
    ]
    assert [c["amount"] for c in valuation["credit_available"]] == ["500.00", "1749.00"]
    assert Decimal(valuation["totals"]["net_worth"]) == (
        Decimal("300.00") * expected_rate - Decimal("251.00")
    )
    if shown.returncode == 0:  # once `keys show` exists it must never print a token
        assert tmp["access"].read_text().strip() not in shown.stdout
        assert tmp["refresh"].read_text().strip() not in shown.stdout


@pytest.mark.keyring
def test_cli_snapshot_failure_is_a_sentence_not_a_traceback(
    real_keyring_store: CredentialStore, tmp_path: Path, data_home: Path
) -> None:
    with BankSimulator() as live:
        tmp = files(tmp_path, live)
        assert _cli(data_home, *set_args(live, tmp)).returncode == 0
        live.revoke_refresh_tokens()
        live.expire_access_tokens()
        snap = _cli(data_home, "snapshot", "--source", "bank")
    assert snap.returncode == 1
    assert "Traceback" not in snap.stderr + snap.stdout
    assert "new consent is needed" in snap.stdout
