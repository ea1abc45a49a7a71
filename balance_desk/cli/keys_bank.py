"""The bank's parts of `balance-desk keys ...`: set (with every file checked before anything is
stored), show (never a secret) and delete. `keys.py` dispatches here; the rules, the save and
the removal are `setup.bank`'s, shared with the key set-up dialog."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from balance_desk.cli.args import UsageError, invocation, key_is_encrypted, read_secret
from balance_desk.config import BANK_PRESETS, BankSettings, Settings
from balance_desk.credentials import BankCredentials, CredentialStore
from balance_desk.errors import EXIT_OK, ConfigError
from balance_desk.setup.bank import (
    BANK,
    endpoint_problems,
    file_problems,
    token_expiry,
    token_problems,
)
from balance_desk.setup.common import save_setup, stored_words
from balance_desk.sources.http import check_api_root
from balance_desk.sources.open_banking.files import load_certificate


def _now() -> datetime:
    return datetime.now(UTC)


def _endpoint(args: argparse.Namespace, current: BankSettings) -> tuple[str, str, str]:
    """(preset, API root, financial id) from the flags, keeping what is not given."""
    if args.preset in BANK_PRESETS:
        if args.url or args.financial_id:
            raise UsageError(
                f"--url and --financial-id go with --preset custom; the {args.preset} preset "
                "sets both."
            )
        url, financial_id = BANK_PRESETS[args.preset]
        return args.preset, url, financial_id
    if args.preset == "custom" or args.url or args.financial_id:
        url = args.url or current.url
        financial_id = args.financial_id or current.financial_id
        problems = endpoint_problems(url, financial_id)
        if problems:
            raise UsageError(problems[0])
        return "custom", check_api_root(url, service="bank"), financial_id.strip()
    return current.preset, current.url, current.financial_id


def _stored(store: CredentialStore) -> BankCredentials | None:
    try:
        return store.get_bank()
    except ConfigError:
        return None  # damaged: this command is how the user replaces it


def _passphrase(
    args: argparse.Namespace, key: str, old: BankCredentials | None, stdin: TextIO | None
) -> str | None:
    if args.key_passphrase_file is not None:
        return read_secret(args.key_passphrase_file, "Key passphrase: ", stdin=stdin)
    if not key_is_encrypted(key):  # unreadable: check_transport_files explains the problem
        return None
    if old is not None and old.key_passphrase:
        return old.key_passphrase
    value = read_secret(None, f"Passphrase of {Path(key).name}: ", stdin=stdin, required=False)
    if value is None:
        raise UsageError(
            f"The key {key} is encrypted: give its passphrase with --key-passphrase-file F "
            "(or - for stdin)."
        )
    return value


def keys_set_bank(
    args: argparse.Namespace,
    *,
    store: CredentialStore | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
    store = store or CredentialStore()
    current = settings.bank
    stdin_files = [
        f for f in (args.access_token_file, args.refresh_token_file, args.key_passphrase_file)
        if f == "-"
    ]
    if len(stdin_files) > 1:
        raise UsageError("Only one of the secret files can be - (stdin).")
    preset, url, financial_id = _endpoint(args, current)

    cert = args.cert or current.cert_path
    key = args.key or current.key_path
    if not cert or not key:
        raise UsageError(
            "The bank needs your transport certificate and its private key: give --cert PATH "
            "and --key PATH (PEM files from your Open Banking directory account)."
        )
    cert = str(Path(cert).expanduser().resolve())
    key = str(Path(key).expanduser().resolve())
    ca_bundle = current.ca_bundle if args.ca_bundle is None else args.ca_bundle
    ca_bundle = str(Path(ca_bundle).expanduser().resolve()) if ca_bundle else None

    old = _stored(store)
    passphrase = _passphrase(args, key, old, stdin)
    # Every file is checked, in words, before anything is stored.
    transport, problems = file_problems(cert, key, passphrase, ca_bundle, _now())
    if transport is None:
        raise ConfigError(problems[0])

    if args.access_token_file is not None or old is None:
        access = read_secret(args.access_token_file, "Access token: ", stdin=stdin)
        assert access is not None
        refresh = read_secret(
            args.refresh_token_file, "Refresh token (Enter for none): ", stdin=stdin,
            required=args.refresh_token_file is not None,
        )
        expires_at = token_expiry(access)
    else:
        access, expires_at = old.access_token, old.expires_at
        refresh = old.refresh_token
        if args.refresh_token_file is not None:
            refresh = read_secret(args.refresh_token_file, "Refresh token: ", stdin=stdin)
    client_id = args.client_id or (old.client_id if old else None)
    problems = token_problems(access, refresh, client_id)
    if problems:
        raise UsageError(problems[0])

    creds = BankCredentials(
        access_token=access,
        refresh_token=refresh,
        client_id=client_id,
        expires_at=expires_at,
        key_passphrase=passphrase,
    )
    section = BankSettings(
        preset=preset, url=url, financial_id=financial_id, cert_path=cert, key_path=key,
        ca_bundle=ca_bundle,
    )
    save_setup(BANK, store, creds, section, fallback=settings)

    print(stored_words(BANK.title, store.backend_name), file=out)
    print(f"  bank:          {preset}, {url} (financial id {financial_id})", file=out)
    print(
        f"  certificate:   {transport.subject}, valid until {transport.not_after:%Y-%m-%d}",
        file=out,
    )
    print(f"  refresh token: {'stored' if refresh else 'none'}", file=out)
    if not refresh:
        print(
            "balance-desk: without a refresh token you will need a new consent when the access "
            "token expires (Revolut: after 60 minutes).",
            file=sys.stderr,
        )
    if transport.expires_soon:
        print(
            f"balance-desk: the transport certificate expires on "
            f"{transport.not_after:%Y-%m-%d}; renew it soon.",
            file=sys.stderr,
        )
    print(f"Try it: {invocation()} snapshot --source bank", file=out)
    return EXIT_OK


def show_lines(settings: BankSettings, store: CredentialStore) -> list[str]:
    """The `keys show` section: what is set up, never a token, passphrase or key."""
    lines = ["Bank (Open Banking)"]
    try:
        creds = store.get_bank()
    except ConfigError as exc:
        creds = None
        lines.append(f"  Credentials:   unreadable: {exc.message}")
    else:
        if creds is None:
            lines.append("  Credentials:   none stored (balance-desk keys set bank)")
    lines += [
        f"  Preset:        {settings.preset}",
        f"  API root:      {settings.url}",
        f"  Financial id:  {settings.financial_id}",
        f"  Certificate:   {_certificate_line(settings.cert_path)}",
        f"  Key:           {settings.key_path or '(not set)'}",
        f"  CA bundle:     {settings.ca_bundle or 'system certificates'}",
    ]
    if creds is not None:
        lines += [
            f"  Access token:  stored, {_expiry_line(creds.expires_at)}",
            f"  Refresh token: {'yes' if creds.refresh_token else 'no'}",
            f"  Client id:     {creds.client_id or '(none)'}",
            f"  Passphrase:    {'stored' if creds.key_passphrase else 'none'}",
        ]
    return lines


def _certificate_line(path: str | None) -> str:
    if not path:
        return "(not set)"
    try:
        cert = load_certificate(path)
    except ConfigError as exc:
        return f"{path} (problem: {exc.message})"
    subject = cert.subject.rfc4514_string()
    until = cert.not_valid_after_utc
    state = "EXPIRED" if until <= _now() else "valid until"
    return f"{path} ({subject}; {state} {until:%Y-%m-%d})"


def _expiry_line(expires_at: datetime | None) -> str:
    if expires_at is None:
        return "expiry unknown (refreshed when the bank refuses it)"
    if expires_at <= _now():
        return f"expired {expires_at:%Y-%m-%d %H:%M %Z} (refreshed on the next fetch)"
    return f"expires {expires_at:%Y-%m-%d %H:%M %Z}"


def delete(store: CredentialStore, out: TextIO | None = None) -> None:
    """Remove the bank's secrets and the cached account list (`setup.bank.BankSetup.remove`)."""
    if BANK.remove(store):
        print("Deleted the bank tokens (and key passphrase) from the keyring.", file=out)
    else:
        print("No bank credentials were stored.", file=out)
