"""Connecting a bank through the Open Banking consent flow, renewing it and disconnecting it:
the rules in words and the steps in order. One copy, used by `balance-desk bank …` and by the
connection wizard (Qt-free; every step blocks, so the wizard runs them on a worker).

`begin` runs steps 1 to 4 (client token, consent, signed request object, the page's address);
the user approves in their browser; `finish` takes the address the browser landed on, checks it,
exchanges the code, stores the tokens with the consent in the keyring and the connection in the
settings (both or neither), and reads the accounts once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.config import BANK_PRESET_TITLES, BANK_PRESETS, BankSettings, Settings
from balance_desk.credentials import BankCredentials, CredentialStore
from balance_desk.errors import ConfigError, SourceError
from balance_desk.setup.bank import endpoint_problems, file_problems
from balance_desk.setup.common import SaveError
from balance_desk.sources.http import Deadlines, check_api_root, without_secrets
from balance_desk.sources.open_banking.client import ssl_context
from balance_desk.sources.open_banking.consent import (
    Consent,
    ConsentClient,
    authorisation_url,
    new_state,
    request_object,
)
from balance_desk.sources.open_banking.files import load_key
from balance_desk.sources.open_banking.redirect import code_from_redirect, redirect_problems

if TYPE_CHECKING:
    from balance_desk.model import BankResult

# The tray and the status bar warn this long before a consent or refresh token lapses.
RENEW_WARNING = timedelta(days=7)
NAME_PATTERN = re.compile(r"[\w .&'()-]{1,40}")
MIN_RSA_BITS = 2048

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectRequest:
    """What the user gave to connect (or renew) one bank."""

    settings: BankSettings
    key_passphrase: str | None = field(default=None, repr=False)
    signing_key_passphrase: str | None = field(default=None, repr=False)
    # The consent's own expiry, when the user picks one (None: as long as the bank allows).
    consent_expires_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.settings.connection_name

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.key_passphrase, self.signing_key_passphrase) if s)


def default_name(preset: str, taken: set[str]) -> str:
    """The preset's bank, numbered when that name is taken."""
    base = BANK_PRESET_TITLES.get(preset, "Bank")
    name, number = base, 2
    while name in taken:
        name, number = f"{base} {number}", number + 1
    return name


def connection_settings(
    *,
    name: str,
    preset: str,
    url: str = "",
    financial_id: str = "",
    auth_url: str = "",
    client_id: str,
    cert_path: str,
    key_path: str,
    ca_bundle: str | None,
    signing_key_path: str,
    kid: str,
    redirect_uri: str,
) -> BankSettings:
    if preset in BANK_PRESETS:
        url, financial_id = BANK_PRESETS[preset]
    def path(text: str) -> str:
        return str(Path(text).expanduser().resolve()) if text else text

    return BankSettings(
        name=name.strip(),
        preset=preset,
        url=url.strip(),
        financial_id=financial_id.strip(),
        auth_url=auth_url.strip(),
        client_id=client_id.strip(),
        cert_path=path(cert_path),
        key_path=path(key_path),
        ca_bundle=path(ca_bundle) if ca_bundle else None,
        signing_key_path=path(signing_key_path),
        kid=kid.strip(),
        redirect_uri=redirect_uri.strip(),
    )


def signing_key_problems(path: str | None, passphrase: str | None) -> list[str]:
    if not path:
        return ["Choose the signing key (the private key whose certificate has your kid)."]
    try:
        key = load_key(path, passphrase)
    except ConfigError as exc:
        return [str(exc).replace("passphrase below", "signing key's passphrase")]
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, rsa.RSAPrivateKey):
        return [f"{Path(path).name} is not an RSA key: the bank needs PS256 (RSA) signatures."]
    if key.key_size < MIN_RSA_BITS:
        return [f"{Path(path).name} is a {key.key_size}-bit key; the bank needs 2048 bits or more."]
    return []


def connect_problems(
    request: ConnectRequest, taken: set[str], now: datetime, *, renewing: bool = False
) -> list[str]:
    """Every problem with what the user gave, each as a sentence, before anything is sent."""
    s = request.settings
    problems: list[str] = []
    if not renewing:
        if not s.name or not NAME_PATTERN.fullmatch(s.name):
            problems.append(
                "Name the connection (letters, digits, spaces and . & ' ( ) -, up to 40)."
            )
        elif s.name in taken:
            problems.append(f"A bank connection named '{s.name}' exists; choose another name.")
    if s.preset == "custom":
        problems += endpoint_problems(s.url, s.financial_id)
    if not s.auth_page:
        problems.append("Enter the bank's authorisation page (where you approve the consent).")
    else:
        try:
            check_api_root(s.auth_page.split("?")[0], service="authorisation page")
        except ConfigError as exc:
            problems.append(str(exc).replace("API root", "address"))
    if not s.client_id:
        problems.append("Enter the client id of your Open Banking app.")
    _, file_words = file_problems(
        s.cert_path, s.key_path, request.key_passphrase, s.ca_bundle, now
    )
    problems += file_words
    problems += signing_key_problems(s.signing_key_path, request.signing_key_passphrase)
    if not s.kid:
        problems.append("Enter the kid of your signing certificate (from the directory).")
    if not s.redirect_uri:
        problems.append("Enter a redirect URI registered for your app.")
    else:
        problems += redirect_problems(s.redirect_uri)
    return problems


@dataclass(frozen=True)
class PendingConnection:
    """A consent awaiting the holder's approval: open `url`, then `finish` with the address the
    browser lands on. Holds passphrases, so its repr shows none."""

    request: ConnectRequest = field(repr=False)
    consent: Consent
    state: str = field(repr=False)
    url: str = field(repr=False)
    # The connection's secrets before renewal (None when connecting anew).
    previous: BankCredentials | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.request.name


def _context(request: ConnectRequest) -> object:
    s = request.settings
    assert s.cert_path and s.key_path
    return ssl_context(s.cert_path, s.key_path, request.key_passphrase, s.ca_bundle)


def _client(request: ConnectRequest, deadlines: Deadlines | None) -> ConsentClient:
    import ssl

    s = request.settings
    context = _context(request)
    assert isinstance(context, ssl.SSLContext)
    return ConsentClient(
        api_root=check_api_root(s.api_root, service="bank"),
        financial_id=s.fapi_financial_id,
        client_id=s.client_id,
        context=context,
        deadlines=deadlines,
    )


def _scrubbed(exc: SourceError, secrets: set[str]) -> SourceError:
    """The error with no secret of ours in its words (a server may echo what it was sent)."""
    if secrets:
        exc.message = without_secrets(exc.message, secrets)
        if exc.server_message:
            exc.server_message = without_secrets(exc.server_message, secrets)
        exc.args = (exc.message,)
    return exc


def begin(
    request: ConnectRequest,
    *,
    previous: BankCredentials | None = None,
    deadlines: Deadlines | None = None,
) -> PendingConnection:
    """Steps 1 to 4: a consent at the bank and the address where the holder approves it."""
    s = request.settings
    now = _now()
    assert s.signing_key_path
    signing_key = load_key(s.signing_key_path, request.signing_key_passphrase)
    with _client(request, deadlines) as client:
        try:
            token = client.client_token()
            consent = client.create_consent(token, request.consent_expires_at)
        except SourceError as exc:
            raise _scrubbed(exc, client.secrets | set(request.secrets)) from None
    state = new_state()
    jwt = request_object(
        signing_key=signing_key,
        kid=s.kid,
        client_id=s.client_id,
        redirect_uri=s.redirect_uri,
        audience=check_api_root(s.api_root, service="bank"),
        consent_id=consent.consent_id,
        state=state,
        nonce=new_state(),
        now=now,
    )
    url = authorisation_url(
        s.auth_page, client_id=s.client_id, redirect_uri=s.redirect_uri, request=jwt, state=state
    )
    log.info("Created consent %s for the bank connection '%s'", short_id(consent.consent_id),
             request.name)
    return PendingConnection(request, consent, state, url, previous)


@dataclass(frozen=True)
class Connected:
    name: str
    result: BankResult
    # Said when the old consent could not be revoked after a renewal (it lapses by itself).
    note: str | None = None


class ConnectCancelled(Exception):
    """The user cancelled while the approval was being exchanged: nothing was stored, and the
    consent just approved was revoked at the bank (or expires there unused)."""


def finish(
    pending: PendingConnection,
    landed: str,
    store: CredentialStore,
    *,
    directory: Path | None = None,
    deadlines: Deadlines | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Connected:
    """Steps 5 and 6, then the tokens and the consent stored (keyring and settings, both or
    neither) and the accounts read once, user present. `cancelled` is asked once the tokens
    are in hand (the exchange itself cannot be interrupted): when it says so, nothing is
    stored and the new consent is revoked, as the user who pressed Cancel expects."""
    request = pending.request
    s = request.settings
    creds = approved_credentials(pending, landed, deadlines=deadlines)
    if cancelled is not None and cancelled():
        if creds.consent_id:
            _revoke_quietly(request, creds.consent_id, deadlines)
        raise ConnectCancelled("Connecting was cancelled; nothing was stored.")
    _save(store, creds, s, pending.previous, directory)
    note = None
    old = pending.previous
    if old is not None and old.consent_id and old.consent_id != creds.consent_id:
        note = _revoke_quietly(request, old.consent_id, deadlines)
    from balance_desk.paths import data_dir
    from balance_desk.sources.open_banking.source import OpenBankingSource

    source = OpenBankingSource(store, s, directory or data_dir(), deadlines=deadlines)
    try:
        result = source.fetch(user_present=True)
    finally:
        source.close()
    return Connected(request.name, result, note)


def approved_credentials(
    pending: PendingConnection, landed: str, *, deadlines: Deadlines | None = None
) -> BankCredentials:
    """Steps 5 and 6: the address the browser landed on checked, the code exchanged; the
    connection's secrets, not yet stored."""
    request = pending.request
    s = request.settings
    code = code_from_redirect(landed, pending.state, s.redirect_uri)
    with _client(request, deadlines) as client:
        try:
            tokens = client.exchange_code(code, s.redirect_uri)
        except SourceError as exc:
            raise _scrubbed(exc, client.secrets | set(request.secrets) | {code}) from None
    consent = pending.consent
    return BankCredentials(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        client_id=s.client_id,
        expires_at=tokens.expires_at,
        key_passphrase=request.key_passphrase,
        consent_id=consent.consent_id,
        consent_created_at=consent.created_at or _now(),
        consent_expires_at=consent.expires_at,
        refresh_expires_at=tokens.refresh_expires_at,
        signing_key_passphrase=request.signing_key_passphrase,
    )


def _save(
    store: CredentialStore,
    creds: BankCredentials,
    connection: BankSettings,
    previous: BankCredentials | None,
    directory: Path | None,
) -> None:
    entry = connection.entry
    try:
        store.set_bank(creds, entry)
    except ConfigError as exc:
        raise SaveError(f"Nothing was saved. {exc}") from exc
    try:
        current, _problem = Settings.load_or_defaults(directory)
        current.with_connection(connection).save(directory)
    except OSError as exc:
        try:
            if previous is None:
                store.delete_bank(entry)
            else:
                store.set_bank(previous, entry)
        except ConfigError:
            log.warning("Could not put the keyring back after a failed save")
        raise SaveError(
            f"Nothing was saved: the settings file could not be written ({exc.strerror or exc})."
        ) from exc


def _revoke_quietly(
    request: ConnectRequest, consent_id: str, deadlines: Deadlines | None
) -> str | None:
    try:
        with _client(request, deadlines) as client:
            client.revoke(client.client_token(), consent_id)
    except (SourceError, ConfigError) as exc:
        log.warning("Could not revoke the replaced consent %s: %s", short_id(consent_id),
                    type(exc).__name__)
        return (
            f"The previous consent ({short_id(consent_id)}) could not be revoked at the bank; it "
            "stops working when it expires."
        )
    return None


# --- renew, disconnect, list -------------------------------------------------------------------


def _stored(
    settings: Settings, name: str, store: CredentialStore
) -> tuple[BankSettings, BankCredentials | None]:
    """The connection named `name` and its secrets (None when missing or damaged)."""
    connection = settings.connection(name)
    if connection is None:
        raise ConfigError(f"There is no bank connection named '{name}'. {names_words(settings)}")
    try:
        return connection, store.get_bank(connection.entry)
    except ConfigError:
        return connection, None


def renewal_request(
    settings: Settings, name: str, store: CredentialStore
) -> tuple[ConnectRequest, BankCredentials | None]:
    """The request that connects `name` again, as it was set up, and its current secrets."""
    connection, old = _stored(settings, name, store)
    if not connection.signing_key_path or not connection.kid or not connection.redirect_uri:
        raise ConfigError(
            f"The connection '{name}' was set up with tokens obtained elsewhere (keys set bank): "
            "connect it with `balance-desk bank connect` to renew it from the app."
        )
    request = ConnectRequest(
        settings=connection,
        key_passphrase=old.key_passphrase if old else None,
        signing_key_passphrase=old.signing_key_passphrase if old else None,
    )
    return request, old


def names_words(settings: Settings) -> str:
    names = [c.connection_name for c in settings.connections()]
    if not names:
        return "No bank is connected yet (balance-desk bank connect)."
    return "Connections: " + ", ".join(names) + "."


@dataclass(frozen=True)
class Disconnected:
    revoked: bool  # False: the bank no longer knew the consent
    removed: bool


def revoke_at_bank(
    settings: Settings, name: str, store: CredentialStore, deadlines: Deadlines | None = None
) -> bool:
    """DELETE the consent at the bank (step one of disconnecting); raises when the bank cannot be
    reached or refuses, so that the caller can ask before removing locally."""
    connection, old = _stored(settings, name, store)
    if old is None or not old.consent_id:
        return False
    if not connection.client_id and old.client_id:
        connection = connection.model_copy(update={"client_id": old.client_id})
    request = ConnectRequest(connection, old.key_passphrase)
    with _client(request, deadlines) as client:
        try:
            return client.revoke(client.client_token(), old.consent_id)
        except SourceError as exc:
            raise _scrubbed(exc, client.secrets | set(old.secrets)) from None


def remove_locally(
    settings: Settings, name: str, store: CredentialStore, directory: Path | None = None
) -> Settings:
    """The connection's secrets, account list and quota ledger gone, and its settings."""
    from balance_desk.paths import data_dir
    from balance_desk.sources.open_banking.source import accounts_file, quota_file

    connection = settings.connection(name)
    if connection is None:
        raise ConfigError(f"There is no bank connection named '{name}'. {names_words(settings)}")
    store.delete_bank(connection.entry)
    folder = directory or data_dir()
    ledger = quota_file(connection)
    for file_name in (accounts_file(connection), ledger, ledger + ".lock"):
        (folder / file_name).unlink(missing_ok=True)
    updated = settings.without_connection(name)
    updated.save(directory)
    return updated


@dataclass(frozen=True)
class ConnectionInfo:
    """One line of `bank list` and of the dialog's list: never a secret."""

    name: str
    bank: str
    consent_id: str | None
    status: str
    created_at: datetime | None
    consent_expires_at: datetime | None
    refresh_expires_at: datetime | None
    renewable: bool

    @property
    def lapses_at(self) -> datetime | None:
        dates = [d for d in (self.consent_expires_at, self.refresh_expires_at) if d]
        return min(dates) if dates else None


def connection_infos(
    settings: Settings, store: CredentialStore, now: datetime | None = None
) -> list[ConnectionInfo]:
    now = now or _now()
    infos = []
    for connection in settings.connections():
        try:
            creds = store.get_bank(connection.entry)
            damaged = False
        except ConfigError:
            creds, damaged = None, True
        info = ConnectionInfo(
            name=connection.connection_name,
            bank=BANK_PRESET_TITLES.get(connection.preset, "Custom bank")
            if connection.preset != "custom" else connection.api_root,
            consent_id=creds.consent_id if creds else None,
            status="",
            created_at=creds.consent_created_at if creds else None,
            consent_expires_at=creds.consent_expires_at if creds else None,
            refresh_expires_at=creds.refresh_expires_at if creds else None,
            renewable=bool(connection.signing_key_path and connection.kid),
        )
        infos.append(_with_status(info, creds is not None, damaged, now))
    return infos


def _with_status(info: ConnectionInfo, has_tokens: bool, damaged: bool, now: datetime) -> (
    ConnectionInfo
):
    from dataclasses import replace

    if damaged:
        status = "keyring entry damaged: renew"
    elif not has_tokens:
        status = "no tokens: renew"
    elif info.lapses_at is not None and info.lapses_at <= now:
        status = "lapsed: renew"
    elif info.lapses_at is not None and info.lapses_at - now <= RENEW_WARNING:
        status = f"lapses in {max(1, (info.lapses_at - now).days)} days: renew"
    elif info.consent_id:
        status = "authorised"
    else:
        status = "tokens set by hand"
    return replace(info, status=status)


def short_id(consent_id: str | None) -> str:
    if not consent_id:
        return "—"
    return consent_id if len(consent_id) <= 14 else f"{consent_id[:6]}…{consent_id[-6:]}"
