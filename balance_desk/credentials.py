"""The keyring-backed credential store: the only module that imports `keyring`.

Each source's secrets are one JSON blob, so related values (an access token and its refresh
token) change together. A blob is split into chunks small enough for any backend (Windows
Credential Manager holds 2,560 bytes per entry) and published by rewriting a small header entry
last: a crash mid-write leaves the old header, which still points at the old, complete chunks.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from balance_desk.errors import ConfigError

if TYPE_CHECKING:
    import keyring.backend

SERVICE = "balance-desk"
REVOLUT_X_ENTRY = "revolut-x"
BANK_ENTRY = "bank"
# Characters per chunk; UTF-16 in Windows Credential Manager makes 1,000 chars 2,000 bytes.
CHUNK_CHARS = 1000

log = logging.getLogger(__name__)


def _mask(secret: str | None) -> str:
    return "None" if secret is None else "'***'"


@dataclass(frozen=True)
class RevolutXCredentials:
    api_key: str = field(repr=False)
    private_key_pem: str = field(repr=False)

    def __repr__(self) -> str:
        return f"RevolutXCredentials(api_key={self.masked_api_key!r}, private_key_pem='***')"

    @property
    def masked_api_key(self) -> str:
        return mask_tail(self.api_key)


@dataclass(frozen=True)
class BankCredentials:
    """One bank connection's secrets, and the consent they came from (kept with the tokens, so
    that they change together)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    expires_at: datetime | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    # Set by the consent flow; None for tokens obtained elsewhere.
    consent_id: str | None = None
    consent_created_at: datetime | None = None
    consent_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    signing_key_passphrase: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"BankCredentials(access_token='***', refresh_token={_mask(self.refresh_token)}, "
            f"client_id={self.client_id!r}, expires_at={self.expires_at!r}, "
            f"key_passphrase={_mask(self.key_passphrase)}, consent_id={self.consent_id!r}, "
            f"consent_expires_at={self.consent_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, "
            f"signing_key_passphrase={_mask(self.signing_key_passphrase)})"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret held: none may reach a screen, a log or a file."""
        values = (
            self.access_token, self.refresh_token, self.key_passphrase,
            self.signing_key_passphrase,
        )
        return tuple(v for v in values if v)


def mask_tail(secret: str, keep: int = 4) -> str:
    """'…' plus the last `keep` characters: enough to recognise a key, never to use it."""
    return "…" + secret[-keep:] if len(secret) > keep else "…"


class Backend(Protocol):
    """What the store needs of a keyring: keyring's backends, or `MemoryKeyring`."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class MemoryKeyring:
    """An in-process keyring for demo mode and fast tests, handed to the store explicitly.

    Not one of keyring's backends on purpose: the `keyring` package (about 30 ms and 2 MB:
    entry points, jaraco, urllib) is imported only when the OS keyring is used, so the demo's
    fetch process never loads it."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._entries[(service, username)]
        except KeyError:
            raise LookupError(f"no keyring entry {username!r}") from None

    def entry_names(self) -> list[str]:
        """For tests: which entries exist (names only)."""
        return sorted(user for (_svc, user) in self._entries)


# fail: no keyring at all; null: forgets silently; keyrings.alt: plaintext or weak files.
_UNUSABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


@contextmanager
def _keyring_errors(action: str) -> Iterator[None]:
    """Turn every keyring failure into a ConfigError a user can act on (never a traceback)."""
    try:
        yield
    except ConfigError:
        raise
    except Exception as exc:
        raise _explained(action, exc) from exc


def _explained(action: str, exc: Exception) -> ConfigError:
    import keyring.errors  # loaded already when a real keyring failed; cheap then

    name = type(exc).__name__
    if isinstance(exc, keyring.errors.KeyringLocked):
        return ConfigError(
            f"Could not {action}: the system keyring is locked. Unlock it (log in again, or "
            "open your keyring manager such as Seahorse) and retry."
        )
    if isinstance(exc, keyring.errors.NoKeyringError):
        return ConfigError(no_keyring_message(action))
    if isinstance(exc, keyring.errors.KeyringError):
        return ConfigError(
            f"Could not {action}: the system keyring failed ({name}). "
            "Check that your keyring service is running and unlocked."
        )
    # D-Bus, secretstorage and OS errors surface as anything.
    return ConfigError(
        f"Could not {action}: the system keyring failed ({name}). "
        "Check that your keyring service (Secret Service, e.g. gnome-keyring) is running."
    )


def no_keyring_message(action: str) -> str:
    return (
        f"Could not {action}: no system keyring is available. Balance Desk keeps keys only in "
        "the OS keyring; on Linux install and start a Secret Service (gnome-keyring or KeePassXC "
        "with Secret Service enabled). The demo (balance-desk --demo) works without one."
    )


class CredentialStore:
    """Reads and writes the two sources' secrets. Nothing here ever logs a secret."""

    def __init__(self, backend: Backend | keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> Backend | keyring.backend.KeyringBackend:
        if self._backend is None:
            with _keyring_errors("open the keyring"):
                import keyring

                chosen = keyring.get_keyring()
            self._backend = chosen
        backend = self._backend
        if type(backend).__module__.startswith(_UNUSABLE_BACKENDS):
            # No silent plaintext fallback: a file "keyring" is not the protection we promise.
            raise ConfigError(no_keyring_message("use the keyring"))
        return backend

    @property
    def backend_name(self) -> str:
        return f"{type(self.backend).__module__}.{type(self.backend).__name__}"

    # --- Revolut X ----------------------------------------------------------------------------

    def get_revolut_x(self) -> RevolutXCredentials | None:
        blob = self._get(REVOLUT_X_ENTRY)
        if blob is None:
            return None
        try:
            return RevolutXCredentials(
                api_key=str(blob["api_key"]), private_key_pem=str(blob["private_key_pem"])
            )
        except KeyError as exc:
            raise ConfigError(
                "The stored Revolut X credentials are incomplete; set them again "
                "(balance-desk keys set revolut-x)."
            ) from exc

    def set_revolut_x(self, creds: RevolutXCredentials) -> None:
        self._put(
            REVOLUT_X_ENTRY, {"api_key": creds.api_key, "private_key_pem": creds.private_key_pem}
        )

    def delete_revolut_x(self) -> bool:
        return self._delete(REVOLUT_X_ENTRY)

    # --- Open Banking -------------------------------------------------------------------------

    def get_bank(self, entry: str = BANK_ENTRY) -> BankCredentials | None:
        """A bank connection's secrets (`entry`: "bank" for the first bank, "bank:<name>" for
        a named connection)."""
        blob = self._get(entry)
        if blob is None:
            return None
        try:
            return BankCredentials(
                access_token=str(blob["access_token"]),
                refresh_token=_opt_str(blob.get("refresh_token")),
                client_id=_opt_str(blob.get("client_id")),
                expires_at=_opt_time(blob.get("expires_at")),
                key_passphrase=_opt_str(blob.get("key_passphrase")),
                consent_id=_opt_str(blob.get("consent_id")),
                consent_created_at=_opt_time(blob.get("consent_created_at")),
                consent_expires_at=_opt_time(blob.get("consent_expires_at")),
                refresh_expires_at=_opt_time(blob.get("refresh_expires_at")),
                signing_key_passphrase=_opt_str(blob.get("signing_key_passphrase")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            what = "set them again (balance-desk keys set bank)" if entry == BANK_ENTRY else (
                f"connect the bank again (balance-desk bank renew {entry.partition(':')[2]})"
            )
            raise ConfigError(f"The stored bank credentials are incomplete; {what}.") from exc

    def set_bank(self, creds: BankCredentials, entry: str = BANK_ENTRY) -> None:
        blob: dict[str, object] = {
            "access_token": creds.access_token,
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "expires_at": _time_text(creds.expires_at),
            "key_passphrase": creds.key_passphrase,
        }
        extra = {
            "consent_id": creds.consent_id,
            "consent_created_at": _time_text(creds.consent_created_at),
            "consent_expires_at": _time_text(creds.consent_expires_at),
            "refresh_expires_at": _time_text(creds.refresh_expires_at),
            "signing_key_passphrase": creds.signing_key_passphrase,
        }
        blob.update({k: v for k, v in extra.items() if v is not None})
        self._put(entry, blob)

    def delete_bank(self, entry: str = BANK_ENTRY) -> bool:
        return self._delete(entry)

    # --- chunked, atomically published entries -------------------------------------------------

    def _get(self, name: str) -> dict[str, object] | None:
        backend = self.backend
        with _keyring_errors("read from the keyring"):
            header_text = backend.get_password(SERVICE, name)
            if header_text is None:
                return None
            header = self._parse_header(name, header_text)
            parts = [
                backend.get_password(SERVICE, _chunk_name(name, header[0], i))
                for i in range(header[1])
            ]
        if any(part is None for part in parts):
            raise ConfigError(
                f"The keyring entry '{name}' is damaged (a part is missing); set it up again."
            )
        try:
            blob = json.loads("".join(p for p in parts if p is not None))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ConfigError(f"The keyring entry '{name}' is damaged; set it up again.") from exc
        if not isinstance(blob, dict):
            raise ConfigError(f"The keyring entry '{name}' is damaged; set it up again.")
        return blob

    def _put(self, name: str, blob: dict[str, object]) -> None:
        backend = self.backend
        text = json.dumps(blob, separators=(",", ":"))
        generation = secrets.token_hex(4)
        chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
        with _keyring_errors("save to the keyring"):
            old = backend.get_password(SERVICE, name)
            for i, chunk in enumerate(chunks):
                backend.set_password(SERVICE, _chunk_name(name, generation, i), chunk)
            # The header flips readers to the new generation in one write.
            backend.set_password(
                SERVICE, name, json.dumps({"v": 1, "gen": generation, "n": len(chunks)})
            )
        if old is not None:
            self._delete_chunks(name, old)
        log.info("Stored credentials '%s' in %s", name, type(backend).__name__)

    def _delete(self, name: str) -> bool:
        backend = self.backend
        with _keyring_errors("delete from the keyring"):
            header_text = backend.get_password(SERVICE, name)
            if header_text is None:
                return False
            backend.delete_password(SERVICE, name)
        self._delete_chunks(name, header_text)
        log.info("Deleted credentials '%s'", name)
        return True

    def _delete_chunks(self, name: str, header_text: str) -> None:
        try:
            generation, count = self._parse_header(name, header_text)
        except ConfigError:
            return
        for i in range(count):
            try:
                self.backend.delete_password(SERVICE, _chunk_name(name, generation, i))
            except Exception:
                log.warning("Could not remove an old keyring part of '%s'", name)

    @staticmethod
    def _parse_header(name: str, text: str) -> tuple[str, int]:
        try:
            header = json.loads(text)
            return str(header["gen"]), int(header["n"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError) as exc:
            raise ConfigError(
                f"The keyring entry '{name}' is not one Balance Desk wrote; delete it "
                f"(balance-desk keys delete) and set it up again."
            ) from exc


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_time(value: object) -> datetime | None:
    text = _opt_str(value)
    return datetime.fromisoformat(text) if text else None


def _time_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _chunk_name(name: str, generation: str, index: int) -> str:
    return f"{name}/{generation}/{index}"
