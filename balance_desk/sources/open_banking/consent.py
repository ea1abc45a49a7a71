"""The Open Banking account-access consent, as the bank's API sees it (OBIE v3.1, FAPI 1.0
Advanced): client-credentials tokens, consents (create, read, revoke), the signed request
object, the authorisation page's address and the code exchange. Every call is mutual TLS, capped
and within its deadline; every answer is parsed as strictly as balances.

The steps are in `shared/docs/open-banking-consent.md`; `setup/bank_connect.py` runs them in
order for the command line and the wizard.
"""

from __future__ import annotations

import logging
import secrets
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from balance_desk import __version__
from balance_desk.errors import AuthError, ConfigError, ProtocolError, ServerError, SourceError
from balance_desk.sources.http import (
    DEFAULT_TIMEOUT,
    Deadlines,
    client_transports,
    read_capped,
    request_deadline,
    server_words,
    with_deadlines,
)
from balance_desk.sources.open_banking.client import TOKEN_SECONDS, transport_error
from balance_desk.sources.open_banking.parse import decode_json, obie_error

PERMISSIONS = ("ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances")
# How long the signed request object is good for (the bank allows up to 60 minutes).
REQUEST_OBJECT_LIFETIME = timedelta(minutes=30)
MAX_ID_CHARS = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consent:
    consent_id: str
    status: str
    created_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    refresh_expires_at: datetime | None

    def __repr__(self) -> str:
        return f"Tokens(access_token='***', refresh_token='***', expires_at={self.expires_at!r})"


def _now() -> datetime:
    return datetime.now(UTC)


def _time(value: object) -> datetime | None:
    """An ISO 8601 time from the bank (or Unix seconds), aware; None when absent or odd."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    if TOKEN_SECONDS.fullmatch(value) and len(value) <= 11:
        return datetime.fromtimestamp(int(value), UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS or not (
        value.isascii() and value.isprintable()
    ):
        raise ProtocolError(f"The bank's answer has no usable {what}.")
    return value


class ConsentClient:
    """One bank's consent endpoints with one transport certificate. Use as a context manager."""

    def __init__(
        self,
        *,
        api_root: str,
        financial_id: str,
        client_id: str,
        context: ssl.SSLContext,
        deadlines: Deadlines | None = None,
        clock: Any = _now,
    ) -> None:
        self.api_root = api_root
        self._financial_id = financial_id
        self._client_id = client_id
        self._clock = clock
        self._deadlines = deadlines or Deadlines()
        self._http = httpx.Client(
            verify=context,
            timeout=DEFAULT_TIMEOUT,
            headers={"Accept": "application/json", "User-Agent": f"balance-desk/{__version__}"},
        )
        self._backend = with_deadlines(*client_transports(self._http))
        self._backend.fetch_deadline = time.monotonic() + self._deadlines.fetch_s
        self.secrets: set[str] = set()

    def __enter__(self) -> ConsentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- steps 1, 2 and the other consent calls ----------------------------------------------

    def client_token(self) -> str:
        """Step 1: a client-credentials token (for the consent endpoints only)."""
        doc = self._token_request(
            {"grant_type": "client_credentials", "scope": "accounts",
             "client_id": self._client_id},
            "a client-credentials token",
        )
        token = doc.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("The bank's client-credentials answer has no access_token.")
        self.secrets.add(token)
        return token

    def create_consent(self, token: str, expires_at: datetime | None = None) -> Consent:
        """Step 2: a consent to read accounts and balances, awaiting the holder's approval."""
        data: dict[str, Any] = {"Permissions": list(PERMISSIONS)}
        if expires_at is not None:
            data["ExpirationDateTime"] = expires_at.astimezone(UTC).isoformat(
                timespec="seconds"
            ).replace("+00:00", "Z")
        status, body = self._call(
            "POST", "/account-access-consents", token, json_body={"Data": data, "Risk": {}}
        )
        if status not in (200, 201):
            raise self._error(status, body, "create the consent")
        return self._consent(body, "POST /account-access-consents")

    def consent(self, token: str, consent_id: str) -> Consent:
        status, body = self._call("GET", _consent_path(consent_id), token)
        if status != 200:
            raise self._error(status, body, "read the consent")
        return self._consent(body, "GET /account-access-consents")

    def revoke(self, token: str, consent_id: str) -> bool:
        """DELETE the consent at the bank: True when revoked now, False when the bank no longer
        knew it (already revoked or expired). Anything else raises."""
        status, body = self._call("DELETE", _consent_path(consent_id), token)
        if status in (200, 202, 204):
            return True
        if status in (404, 410):
            return False
        raise self._error(status, body, "revoke the consent")

    # --- step 6 --------------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        """The authorisation code for access and refresh tokens (codes work once)."""
        self.secrets.add(code)
        doc = self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
             "client_id": self._client_id},
            "the tokens for the approved consent",
        )
        access = doc.get("access_token")
        if not isinstance(access, str) or not access:
            raise ProtocolError("The bank's answer to the code exchange has no access_token.")
        refresh = doc.get("refresh_token")
        refresh = refresh if isinstance(refresh, str) and refresh else None
        self.secrets.update(s for s in (access, refresh) if s)
        now = self._clock()
        lifetime = doc.get("expires_in")
        text = str(lifetime) if isinstance(lifetime, int | str) else ""
        expires = (
            now + timedelta(seconds=min(int(text), 365 * 24 * 3600))
            if TOKEN_SECONDS.fullmatch(text) else None
        )
        refresh_expires = _time(doc.get("refresh_token_expires_at"))
        if refresh_expires is None and TOKEN_SECONDS.fullmatch(
            str(doc.get("refresh_token_expires_in", ""))
        ):
            seconds = min(int(str(doc["refresh_token_expires_in"])), 10 * 365 * 24 * 3600)
            refresh_expires = now + timedelta(seconds=seconds)
        return Tokens(access, refresh, expires, refresh_expires)

    # --- plumbing --------------------------------------------------------------------------------

    def _token_request(self, form: dict[str, str], what: str) -> dict[str, Any]:
        url = httpx.URL(self.api_root + "/token")
        headers = {"x-fapi-financial-id": self._financial_id}
        try:
            with (
                request_deadline(self._deadlines.request_s),
                self._http.stream("POST", url, data=form, headers=headers) as response,
            ):
                body = read_capped(response, service="The bank")
        except httpx.TransportError as exc:
            raise transport_error(exc, url) from exc
        if response.status_code != 200:
            raise self._error(response.status_code, body, f"give {what}")
        doc = decode_json(body, what="POST /token")
        if not isinstance(doc, dict):
            raise ProtocolError("The bank's answer to POST /token is not a JSON object.")
        return doc

    def _call(
        self, method: str, path: str, token: str, json_body: Any = None
    ) -> tuple[int, bytes]:
        url = httpx.URL(self.api_root + path)
        headers = {
            "Authorization": f"Bearer {token}",
            "x-fapi-financial-id": self._financial_id,
            "x-fapi-interaction-id": secrets.token_hex(16),
        }
        try:
            with (
                request_deadline(self._deadlines.request_s),
                self._http.stream(method, url, headers=headers, json=json_body) as response,
            ):
                body = read_capped(response, service="The bank")
        except httpx.TransportError as exc:
            raise transport_error(exc, url) from exc
        return response.status_code, body

    def _consent(self, body: bytes, what: str) -> Consent:
        doc = decode_json(body, what=what)
        data = doc.get("Data") if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            raise ProtocolError(f"The bank's answer to {what} has no Data.")
        return Consent(
            consent_id=_identifier(data.get("ConsentId"), "ConsentId"),
            status=server_words(str(data.get("Status") or "unknown"), 40),
            created_at=_time(data.get("CreationDateTime")),
            expires_at=_time(data.get("ExpirationDateTime")),
        )

    def _error(self, status: int, body: bytes, what: str) -> SourceError:
        message, error_id = obie_error(body)
        said = f" ({message})" if message else ""
        common: dict[str, Any] = {
            "http_status": status, "server_message": message, "error_id": error_id
        }
        if status in (400, 401, 403):
            if b"invalid_client" in body or status == 401:
                return AuthError(
                    f"The bank refused to {what}: it does not accept this client id with this "
                    f"transport certificate{said}. Check --client-id and --cert.", **common
                )
            if b"invalid_grant" in body:
                return AuthError(
                    f"The bank refused to {what}: the approval code is expired or was already "
                    f"used{said}. Start the connection again.", **common
                )
            return AuthError(f"The bank refused to {what}{said}.", **common)
        return ServerError(f"The bank could not {what} (HTTP {status}){said}.", **common)


def _consent_path(consent_id: str) -> str:
    return f"/account-access-consents/{quote(consent_id, safe='')}"


# --- step 3: the request object, and step 4: the page ---------------------------------------


def request_object(
    *,
    signing_key: Any,
    kid: str,
    client_id: str,
    redirect_uri: str,
    audience: str,
    consent_id: str,
    state: str,
    nonce: str,
    now: datetime,
) -> str:
    """The JWT the authorisation page is given: PS256 with the signing key, header `kid`."""
    import jwt  # PyJWT, loaded only when a bank is being connected

    issued = int(now.timestamp())
    claims = {
        "iss": client_id,
        "response_type": "code id_token",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "accounts",
        "state": state,
        "nonce": nonce,
        "aud": audience,
        "nbf": issued,
        "iat": issued,
        "exp": issued + int(REQUEST_OBJECT_LIFETIME.total_seconds()),
        "claims": {
            "id_token": {"openbanking_intent_id": {"value": consent_id, "essential": True}}
        },
    }
    try:
        return jwt.encode(claims, signing_key, algorithm="PS256", headers={"kid": kid})
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise ConfigError(
            "The signing key cannot sign a PS256 request object: it must be an RSA private key "
            f"({type(exc).__name__})."
        ) from exc


def authorisation_url(
    page: str, *, client_id: str, redirect_uri: str, request: str, state: str
) -> str:
    query = urlencode(
        {
            "response_type": "code id_token",
            "scope": "accounts",
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "request": request,
            "state": state,
        },
        quote_via=quote,
    )
    return f"{page}{'&' if '?' in page else '?'}{query}"


def new_state() -> str:
    return secrets.token_urlsafe(24)
