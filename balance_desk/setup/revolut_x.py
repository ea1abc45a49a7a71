"""Setting up Revolut X: the rules for an API key, a private key file and the API root, in
words; where the set-up is stored; and the connection check. One copy, used by
`balance-desk keys … revolut-x` and by the key set-up dialog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.config import REVOLUT_X_DEFAULT_URL, RevolutXSettings
from balance_desk.credentials import CredentialStore, MemoryKeyring, RevolutXCredentials
from balance_desk.errors import ConfigError
from balance_desk.setup.common import (
    CheckOutcome,
    failed_check,
    fetch_once,
    plural,
    shown_file,
)
from balance_desk.sources.http import check_api_root, tls_verify
from balance_desk.sources.revolut_x.errors import API_KEYS_PAGE

if TYPE_CHECKING:
    from balance_desk.sources.base import SourceName

SERVICE = "Revolut X"
API_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{64}")
# A PEM key is a few hundred bytes; anything huge is not one (and is not read into memory).
MAX_KEY_FILE_BYTES = 64 * 1024


def api_key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key, or None."""
    if not key:
        return "Enter the API key shown at exchange.revolut.com → API keys."
    if "-----BEGIN" in key:
        return (
            "That is a key file, not the API key. The API key is the 64-character code Revolut X "
            f"shows at {API_KEYS_PAGE} after you add the public key."
        )
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        return (
            "The API key has spaces, line breaks or characters an API key never has; "
            "copy it again."
        )
    return api_key_shape_note(key)


def api_key_shape_note(key: str) -> str | None:
    """Why a key cannot be a Revolut X API key by its length or letters (it may have been cut
    short when copied), or None. Shown as the user types, and refused when saving."""
    if not key or API_KEY_SHAPE.fullmatch(key):
        return None
    return (
        f"Revolut X API keys are 64 letters and digits; this one has {len(key)} characters"
        f"{'' if key.isalnum() else ', not all of them letters or digits'}. Check that it was "
        "copied whole."
    )


def read_key_file(path: Path) -> str:
    """The text of a private key file, refusing a file far too large to be one."""
    shown = shown_file(str(path))
    path = path.expanduser()
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise ConfigError(f"{shown} is far too large to be a private key file.")
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the private key {shown}: {exc.strerror or exc}."
        ) from exc


def settings_problems(url: str, ca_bundle: str | None) -> list[str]:
    """Everything wrong with an API root and a CA bundle, each as a sentence."""
    problems = []
    try:
        check_api_root(url, service=SERVICE)
    except ConfigError as exc:
        problems.append(str(exc))
    if ca_bundle:
        try:
            tls_verify(str(Path(ca_bundle).expanduser()), service=SERVICE)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def settings_section(url: str | None, ca_bundle: str | None) -> RevolutXSettings:
    """The settings to store; raises ConfigError with the first problem."""
    url = (url or "").strip().rstrip("/") or REVOLUT_X_DEFAULT_URL
    problems = settings_problems(url, ca_bundle)
    if problems:
        raise ConfigError(problems[0])
    return RevolutXSettings(
        url=check_api_root(url, service=SERVICE),
        ca_bundle=str(Path(ca_bundle).expanduser().resolve()) if ca_bundle else None,
    )


def check_revolut_x(creds: RevolutXCredentials, settings: RevolutXSettings) -> CheckOutcome:
    """One real GET /balances with these (unsaved) credentials, through RevolutXSource."""
    from balance_desk.model import RevolutXResult
    from balance_desk.sources.revolut_x.source import RetryPolicy, RevolutXSource

    store = CredentialStore(MemoryKeyring())
    store.set_revolut_x(creds)
    # One attempt: the user is waiting, and a failure is the answer they asked for.
    policy = RetryPolicy(retries=0, rate_limit_waits=0)
    result = fetch_once(lambda: RevolutXSource(store, settings, policy=policy))
    if isinstance(result, CheckOutcome):
        return result
    if result.status == "ok" and isinstance(result, RevolutXResult):
        return CheckOutcome(True, plural(len(result.balances), "currency", "currencies"))
    return failed_check(result.error)


@dataclass(frozen=True)
class RevolutXSetup:
    """Where a Revolut X set-up lives: the keys in the keyring, the API root in the settings."""

    name: SourceName = "revolut_x"
    title: str = SERVICE

    def stored(self, store: CredentialStore) -> RevolutXCredentials | None:
        return store.get_revolut_x()

    def put(self, store: CredentialStore, creds: RevolutXCredentials) -> None:
        store.set_revolut_x(creds)

    def remove(self, store: CredentialStore, directory: Path | None = None) -> bool:
        return store.delete_revolut_x()


REVOLUT_X = RevolutXSetup()
