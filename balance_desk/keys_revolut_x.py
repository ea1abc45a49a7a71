"""`balance-desk keys ... revolut-x`: store, generate, show and delete the Revolut X key.

Secrets arrive from files the user names (`-` = stdin) or no-echo prompts, never from argv,
and nothing printed here is a secret.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from balance_desk.cli import UsageError, read_secret
from balance_desk.config import REVOLUT_X_DEFAULT_URL, RevolutXSettings, Settings
from balance_desk.credentials import CredentialStore, RevolutXCredentials, mask_tail
from balance_desk.sources.errors import ConfigError
from balance_desk.sources.http import check_api_root, tls_verify
from balance_desk.sources.keys import (
    generate_private_key,
    is_encrypted_pem,
    load_private_key,
    private_key_pem,
    public_key_pem,
)
from balance_desk.sources.revolut_x_errors import API_KEYS_PAGE

SERVICE = "Revolut X"
_MAX_KEY_FILE_BYTES = 64 * 1024
_API_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{64}")


def _read_key_file(path_arg: str) -> tuple[Path, str]:
    path = Path(path_arg).expanduser()
    try:
        if path.stat().st_size > _MAX_KEY_FILE_BYTES:
            raise UsageError(f"{path} is far too large to be a private key file.")
        return path, path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"Cannot read the private key {path}: {exc.strerror}") from exc


def _checked_api_key(value: str) -> str:
    key = value.strip()
    if "-----BEGIN" in key:
        raise UsageError(
            "That is a key file, not the API key. The API key is the 64-character code Revolut X "
            f"shows at {API_KEYS_PAGE} after you add the public key."
        )
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise UsageError("The API key has spaces or characters an API key never has.")
    if not _API_KEY_SHAPE.fullmatch(key):
        print(
            f"Note: Revolut X API keys are 64 letters and digits; this one has {len(key)} "
            "characters. Stored anyway.",
            file=sys.stderr,
        )
    return key


def _private_key_from_args(args: argparse.Namespace) -> str:
    path, text = _read_key_file(args.private_key)
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
        url = check_api_root(args.url, service=SERVICE) if args.url else current.url
        ca_bundle = current.ca_bundle
        if args.ca_bundle:
            ca_bundle = str(Path(args.ca_bundle).expanduser().resolve())
            tls_verify(ca_bundle, service=SERVICE)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    return RevolutXSettings(url=url, ca_bundle=ca_bundle)


def set_revolut_x(args: argparse.Namespace, store: CredentialStore) -> None:
    if [args.api_key_file, args.passphrase_file].count("-") > 1:
        raise UsageError("Only one of --api-key-file and --passphrase-file can read stdin (-).")
    settings = Settings.load()
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
    if stored_key and args.api_key_file is None and not sys.stdin.isatty():
        api_key = stored_key  # only the key file or the settings change
    else:
        prompt = "Revolut X API key (Enter keeps the stored one): " if stored_key else (
            "Revolut X API key: "
        )
        entered = read_secret(args.api_key_file, prompt, required=not stored_key)
        api_key = _checked_api_key(entered) if entered else stored_key
    store.set_revolut_x(RevolutXCredentials(api_key=api_key, private_key_pem=private_pem))
    settings.revolut_x = new_settings
    settings.save()
    print(f"Stored the Revolut X credentials in the keyring ({store.backend_name}).")
    print(*show_revolut_x(store, settings)[1:], sep="\n")
    print("Check them against Revolut X with: balance-desk snapshot --source revolut-x")


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
    print("2. Revolut X then shows the API key. Store it with:")
    print("   balance-desk keys set revolut-x            (asks for it without echo)")
    print("   or: balance-desk keys set revolut-x --api-key-file FILE   (- for stdin)")


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
