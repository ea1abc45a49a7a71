"""`balance-desk keys ... revolut-x`: store, generate, show and delete the Revolut X key.

Secrets arrive from files the user names (`-` = stdin) or no-echo prompts, never from argv,
and nothing printed here is a secret. The rules and the save are `setup.revolut_x`'s, shared
with the key set-up dialog.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from balance_desk.cli.args import UsageError, invocation, read_secret
from balance_desk.config import REVOLUT_X_DEFAULT_URL, RevolutXSettings, Settings
from balance_desk.credentials import CredentialStore, RevolutXCredentials, mask_tail
from balance_desk.errors import ConfigError
from balance_desk.setup.common import save_setup, stored_words
from balance_desk.setup.revolut_x import (
    REVOLUT_X,
    api_key_problem,
    read_key_file,
    settings_section,
)
from balance_desk.sources.revolut_x.errors import API_KEYS_PAGE
from balance_desk.sources.revolut_x.keys import (
    generate_private_key,
    is_encrypted_pem,
    load_private_key,
    private_key_pem,
    public_key_pem,
)


def _checked_api_key(value: str) -> str:
    key = value.strip()
    problem = api_key_problem(key)
    if problem:
        raise UsageError(problem)
    return key


def _private_key_from_args(args: argparse.Namespace) -> str:
    path = Path(args.private_key).expanduser()
    try:
        text = read_key_file(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    passphrase = None
    if is_encrypted_pem(text):
        passphrase = read_secret(args.passphrase_file, f"Passphrase for {path}: ")
    try:
        key = load_private_key(text, passphrase, source=str(path))
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    return private_key_pem(key)  # decrypted: the keyring is the protection now


def _settings_from_args(args: argparse.Namespace, current: RevolutXSettings) -> RevolutXSettings:
    try:
        section = settings_section(args.url or current.url, args.ca_bundle)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    if not args.ca_bundle:  # unchanged: the stored one stays as it is
        section = section.model_copy(update={"ca_bundle": current.ca_bundle})
    return section


def set_revolut_x(args: argparse.Namespace, store: CredentialStore) -> None:
    if [args.api_key_file, args.passphrase_file].count("-") > 1:
        raise UsageError("Only one of --api-key-file and --passphrase-file can read stdin (-).")
    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
    new_settings = _settings_from_args(args, settings.revolut_x)
    existing = store.get_revolut_x()
    if args.private_key:
        private_pem = _private_key_from_args(args)
    elif existing is not None:
        private_pem = existing.private_key_pem
    else:
        raise UsageError(
            "No private key yet: give --private-key PATH (your Ed25519 PEM file), or create a "
            "new pair with `balance-desk keys generate revolut-x`."
        )
    stored_key = existing.api_key if existing is not None else ""
    changes = [args.private_key, args.url, args.ca_bundle]
    if stored_key and args.api_key_file is None and not sys.stdin.isatty():
        if not any(changes):
            raise UsageError(
                "Nothing to change: the Revolut X keys are stored already. Give --api-key-file, "
                "--private-key, --url or --ca-bundle to change them (keys show lists them)."
            )
        api_key = stored_key  # only the key file or the settings change
    else:
        prompt = "Revolut X API key (Enter keeps the stored one): " if stored_key else (
            "Revolut X API key: "
        )
        entered = read_secret(args.api_key_file, prompt, required=not stored_key)
        if not entered and not any(changes):
            raise UsageError("Nothing to change: the stored Revolut X keys are kept as they are.")
        api_key = _checked_api_key(entered) if entered else stored_key
    creds = RevolutXCredentials(api_key=api_key, private_key_pem=private_pem)
    settings = save_setup(REVOLUT_X, store, creds, new_settings, fallback=settings)
    print(stored_words(REVOLUT_X.title, store.backend_name))
    print(*show_revolut_x(store, settings)[1:], sep="\n")
    print(f"Check them against Revolut X with: {invocation()} snapshot --source revolut-x")


def generate_revolut_x(store: CredentialStore) -> None:
    existing = store.get_revolut_x()
    if existing is not None:
        raise UsageError(
            "A Revolut X private key is already stored; generating another would orphan the API "
            "key made for it. To start over, run `balance-desk keys delete revolut-x` first."
        )
    key = generate_private_key()
    store.set_revolut_x(RevolutXCredentials(api_key="", private_key_pem=private_key_pem(key)))
    print("Created a new Ed25519 key pair; the private half is in the keyring.\n")
    print("1. Add this public key in Revolut X at", API_KEYS_PAGE)
    print("   (Add API key, paste it, choose the permissions and optionally an IP allow-list):\n")
    print(public_key_pem(key))
    command = invocation()
    print("2. Revolut X then shows the API key. Store it with:")
    print(f"   {command} keys set revolut-x            (asks for it without echo)")
    print(f"   or: {command} keys set revolut-x --api-key-file FILE   (- for stdin)")


def show_revolut_x(store: CredentialStore, settings: Settings) -> list[str]:
    """The `keys show` section: what is stored, never a secret."""
    creds = store.get_revolut_x()
    rx = settings.revolut_x
    default = " (default)" if rx.url == REVOLUT_X_DEFAULT_URL else ""
    lines = ["Revolut X"]
    if creds is None:
        lines.append("  Credentials: none stored (balance-desk keys set revolut-x)")
    else:
        api_key = mask_tail(creds.api_key) if creds.api_key else "not set yet (keys set revolut-x)"
        lines.append(f"  API key:     {api_key}")
        try:
            public = public_key_pem(load_private_key(creds.private_key_pem))
            lines.append("  Public key:  (must match the one registered with this API key)")
            lines += [f"    {line}" for line in public.strip().splitlines()]
        except ConfigError as exc:
            lines.append(f"  Public key:  unreadable: {exc}")
    lines.append(f"  API root:    {rx.url}{default}")
    lines.append(f"  CA bundle:   {rx.ca_bundle or 'system certificates'}")
    return lines


def delete_revolut_x(store: CredentialStore) -> None:
    if store.delete_revolut_x():
        print("Deleted the Revolut X API key and private key from the keyring.")
    else:
        print("No Revolut X credentials were stored.")
