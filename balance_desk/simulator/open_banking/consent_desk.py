"""The bank simulator's consent flow: client-credentials tokens, account-access consents with
their status changes, the authorisation page (Approve / Deny, on its own plain-http loopback
server as a browser would reach it), request-object verification, one-time codes and revocation.

`browse()` is the tests' and the demo's browser: it opens the page, presses a button and follows
the redirect (through a loopback listener's fragment-forwarding page, as a browser's script would).
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from balance_desk.simulator.base import LoopbackServer, QuietHandler
from balance_desk.simulator.open_banking.transport import Reply, obie_error

SIM_CLIENT_ID = "sim-client"
SIM_KID = "sim-signing-kid-1"
DEFAULT_REDIRECT = "https://balance-desk.invalid/callback"


def _error(status: int, error: str, description: str) -> Reply:
    return Reply(status, json.dumps({"error": error, "error_description": description}).encode())


def _obie(status: int, message: str) -> Reply:
    return Reply(status, obie_error(status, "UK.OBIE.Field.Invalid", message))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class SimConsent:
    consent_id: str
    client_id: str
    status: str = "AwaitingAuthorisation"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    expires: datetime | None = None

    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ConsentId": self.consent_id,
            "Status": self.status,
            "CreationDateTime": _iso(self.created),
            "StatusUpdateDateTime": _iso(datetime.now(UTC)),
            "Permissions": ["ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances"],
        }
        if self.expires is not None:
            data["ExpirationDateTime"] = _iso(self.expires)
        return {"Data": data, "Risk": {}, "Links": {"Self": ""}, "Meta": {}}


@dataclass
class _Code:
    consent_id: str
    redirect_uri: str
    expires: float
    used: bool = False


@dataclass
class _Ticket:
    consent_id: str
    redirect_uri: str
    state: str
    nonce: str


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    """One RSA key per process: making one costs a twentieth of a second, and every simulated
    bank of a run may share it (each still writes its own file)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_signing_key(path: Path) -> rsa.RSAPublicKey:
    """The third party's request-object signing key (RSA 2048), as a PEM file at `path`."""
    key = _signing_key()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key.public_key()


class _SigningKey:
    """The signing key, made on a thread of its own at the lowest priority: nothing needs it
    until a consent is asked for, and a bank simulator (the demo's above all) starts without
    waiting for it. `ready()` (behind the desk's `signing_key_path` and `public_key`) waits
    until the file is written; `file` only names it."""

    def __init__(self, path: Path) -> None:
        self.file = path  # where it will be, known at once
        self._public: rsa.RSAPublicKey | None = None
        self._thread = threading.Thread(target=self._make, name="sim-signing-key", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread's own niceness
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        with contextlib.suppress(OSError):  # the simulator stopped first, its folder gone
            self._public = make_signing_key(self.file)

    def ready(self) -> rsa.RSAPublicKey:
        self._thread.join()
        if self._public is None:
            raise RuntimeError(f"the simulator's signing key could not be written to {self.file}")
        return self._public


class ConsentDesk:
    """The consent state of one simulated bank (thread-safe)."""

    def __init__(
        self,
        *,
        audience: Callable[[], str],
        mint: Callable[[str], tuple[str, str | None, datetime]],
        drop_tokens: Callable[[str], None],
    ) -> None:
        self._audience = audience
        self._mint = mint
        self._drop_tokens = drop_tokens
        self._lock = threading.Lock()
        self.client_id = SIM_CLIENT_ID
        self.kid = SIM_KID
        self._key: _SigningKey | None = None
        self.redirect_uris: list[str] = [DEFAULT_REDIRECT]
        self.response_mode: Literal["fragment", "query"] = "fragment"
        self.code_ttl_s = 300.0
        # A refresh token's stated lifetime in the code exchange's answer (None: not stated).
        self.refresh_token_expires_in: int | None = 90 * 24 * 3600
        self.consents: dict[str, SimConsent] = {}
        self._client_tokens: dict[str, float] = {}
        self._codes: dict[str, _Code] = {}
        self._tickets: dict[str, _Ticket] = {}
        self.page_errors: list[str] = []
        # The page server (plain http on loopback, like the browser-facing page of a bank).
        self.page_server = _PageServer(self)

    def setup(self, directory: Path) -> None:
        self._key = _SigningKey(directory / "signing.key")

    @property
    def signing_key_file(self) -> Path:
        """Where the signing key is (or is about to be) written; does not wait for it."""
        assert self._key is not None, "start() the simulator first"
        return self._key.file

    @property
    def signing_key_path(self) -> Path:
        """The signing key's file, once written."""
        assert self._key is not None, "start() the simulator first"
        self._key.ready()
        return self._key.file

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        assert self._key is not None, "start() the simulator first"
        return self._key.ready()

    # --- /token grants other than refresh -------------------------------------------------

    def token(self, form: dict[str, str]) -> Reply | None:
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_id") != self.client_id:
                return _error(401, "invalid_client", "Unknown client_id")
            token = "oa_cc_" + secrets.token_urlsafe(24)
            with self._lock:
                self._client_tokens[token] = time.time() + 2399
            return Reply(200, json.dumps(
                {"access_token": token, "token_type": "Bearer", "expires_in": 2399}
            ).encode())
        if grant == "authorization_code":
            return self._exchange(form)
        return None

    def _exchange(self, form: dict[str, str]) -> Reply:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.expires <= time.time():
                return _error(400, "invalid_grant", "The code is invalid, expired or used")
            code.used = True  # one use, even when the rest of the request is wrong
            if form.get("redirect_uri") != code.redirect_uri:
                return _error(400, "invalid_grant", "redirect_uri does not match")
            consent = self.consents.get(code.consent_id)
            if consent is None or form.get("client_id") != consent.client_id:
                return _error(401, "invalid_client", "Unknown client_id")
        access, refresh, _ = self._mint(code.consent_id)
        doc: dict[str, Any] = {
            "access_token": access, "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": refresh, "id_token": "sim.id.token",
        }
        if self.refresh_token_expires_in is not None:
            doc["refresh_token_expires_at"] = int(time.time()) + self.refresh_token_expires_in
        return Reply(200, json.dumps(doc).encode())

    # --- /account-access-consents -----------------------------------------------------------

    def consent_api(self, method: str, parts: list[str], headers: dict[str, str],
                    body: bytes) -> Reply:
        token = headers.get("authorization", "")[7:]
        with self._lock:
            expiry = self._client_tokens.get(token)
        if expiry is None or expiry <= time.time():
            return _obie(401, "A client-credentials token is needed")
        if len(parts) == 1 and method == "POST":
            return self._create(body)
        if len(parts) == 2:
            with self._lock:
                consent = self.consents.get(parts[1])
                if consent is None:
                    return _obie(404, "No such consent")
                if method == "GET":
                    return Reply(200, json.dumps(consent.document()).encode())
                if method == "DELETE":
                    consent.status = "Revoked"
            if method == "DELETE":
                self._drop_tokens(consent.consent_id)
                return Reply(204, b"")
        return _obie(405, "Method not allowed")

    def _create(self, body: bytes) -> Reply:
        try:
            doc = json.loads(body)
            permissions = doc["Data"]["Permissions"]
            expiry = doc["Data"].get("ExpirationDateTime")
        except (ValueError, KeyError, TypeError):
            return _obie(400, "The consent request is malformed")
        if "ReadBalances" not in permissions or "ReadAccountsBasic" not in permissions:
            return _obie(400, "Permissions must include ReadAccountsBasic and ReadBalances")
        consent = SimConsent(f"cons-{secrets.token_hex(8)}", self.client_id)
        if expiry:
            consent.expires = datetime.fromisoformat(str(expiry).replace("Z", "+00:00"))
        with self._lock:
            self.consents[consent.consent_id] = consent
        return Reply(201, json.dumps(consent.document()).encode())

    def approved_earlier(self, *, days_ago: int, lasts_days: int) -> SimConsent:
        """A consent the holder approved `days_ago` days ago, valid for `lasts_days` in all (a
        returning user's bank, as the demo starts with it)."""
        now = datetime.now(UTC)
        consent = SimConsent(f"cons-{secrets.token_hex(8)}", self.client_id, "Authorised",
                             now - timedelta(days=days_ago),
                             now + timedelta(days=lasts_days - days_ago))
        with self._lock:
            self.consents[consent.consent_id] = consent
        return consent

    def authorised(self, consent_id: str) -> bool:
        """Tokens work only while their consent is authorised (issued directly: always)."""
        with self._lock:
            consent = self.consents.get(consent_id)
        if consent is None:
            return True
        if consent.expires is not None and consent.expires <= datetime.now(UTC):
            return False
        return consent.status == "Authorised"

    # --- the authorisation page ---------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return f"{self.page_server.base_url}/ui/index.html"

    def page(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(target)
        if method == "GET" and parts.path == "/ui/index.html":
            return self._show(parse_qs(parts.query))
        if method == "POST" and parts.path == "/ui/decide":
            form = {k: v[0] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
            return self._decide(form)
        return 404, {}, _page("Not found", "")

    def _claims(self, request: str) -> dict[str, Any]:
        return _claims_of(request, self.public_key, self.kid, self._audience())

    def _refuse(self, reason: str) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.page_errors.append(reason)
        return 400, {}, _page("This request cannot be approved",
                              f'<p class="error">{html.escape(reason)}</p>')

    def _show(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        one = {k: v[0] for k, v in query.items()}
        try:
            claims = self._claims(one.get("request", ""))
            _check_claims(claims, one, self.client_id, self.redirect_uris)
            consent_id = _intent(claims)
        except _Refused as exc:
            return self._refuse(str(exc))
        with self._lock:
            consent = self.consents.get(consent_id)
            if consent is None or consent.status != "AwaitingAuthorisation":
                return self._refuse("The consent does not exist or is not awaiting approval.")
            ticket = secrets.token_urlsafe(16)
            self._tickets[ticket] = _Ticket(
                consent_id, str(claims["redirect_uri"]), str(claims.get("state", "")),
                str(claims.get("nonce", "")),
            )
        form = (
            '<form method="post" action="/ui/decide">'
            f'<input type="hidden" name="ticket" value="{ticket}">'
            '<button name="decision" value="approve">Approve</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        text = (
            f"<p>Balance Desk asks to read your accounts and balances (consent "
            f"{html.escape(consent_id)}).</p>{form}"
        )
        return 200, {}, _page("Simulated bank: approve access", text)

    def _decide(self, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        with self._lock:
            ticket = self._tickets.pop(form.get("ticket", ""), None)
            if ticket is None:
                return 400, {}, _page("This approval has already been used", "")
            consent = self.consents[ticket.consent_id]
            if form.get("decision") == "approve":
                consent.status = "Authorised"
                code = secrets.token_urlsafe(24)
                self._codes[code] = _Code(
                    ticket.consent_id, ticket.redirect_uri, time.time() + self.code_ttl_s
                )
                answer = {"code": code, "id_token": "sim.id.token", "state": ticket.state}
            else:
                consent.status = "Rejected"
                answer = {"error": "access_denied", "error_description": "The user denied access",
                          "state": ticket.state}
        mark = "#" if self.response_mode == "fragment" else "?"
        location = ticket.redirect_uri + mark + urlencode(answer, quote_via=quote)
        return 302, {"Location": location}, _page("Redirecting", "")

    def expire_codes(self) -> None:
        with self._lock:
            for code in self._codes.values():
                code.expires = 0.0


class _Refused(Exception):
    """The page refuses the request object (the message says why)."""


def _claims_of(request: str, public_key: rsa.RSAPublicKey, kid: str, audience: str) -> dict[
    str, Any
]:
    import jwt

    try:
        header = jwt.get_unverified_header(request)
    except jwt.PyJWTError:
        raise _Refused("The request object is not a JWT.") from None
    if header.get("kid") != kid:
        raise _Refused(f"Unknown signing key (kid {header.get('kid')!r}).")
    if header.get("alg") != "PS256":
        raise _Refused("The request object must be signed with PS256.")
    refusals: list[tuple[type[Exception], str]] = [
        (jwt.ExpiredSignatureError, "The request object has expired."),
        (jwt.ImmatureSignatureError, "The request object is not valid yet (nbf)."),
        (jwt.InvalidAudienceError, "The request object's aud is not this bank."),
        (jwt.PyJWTError, "The request object's signature or claims are invalid."),
    ]
    try:
        claims: dict[str, Any] = jwt.decode(
            request, public_key, algorithms=["PS256"], audience=audience,
            options={"require": ["exp", "nbf", "aud"]},
        )
    except jwt.PyJWTError as exc:
        reason = next(text for kind, text in refusals if isinstance(exc, kind))
        raise _Refused(reason) from None
    if int(claims["exp"]) - int(claims["nbf"]) > 3600:
        raise _Refused("The request object is valid for more than 60 minutes.")
    if time.time() - int(claims["nbf"]) > 3600:
        raise _Refused("The request object's nbf is over 60 minutes old.")
    return claims


def _check_claims(
    claims: dict[str, Any], page: dict[str, str], client_id: str, redirects: list[str]
) -> None:
    for name in ("client_id", "redirect_uri", "state", "scope", "response_type"):
        if name in page and claims.get(name) != page[name]:
            raise _Refused(f"The page's {name} differs from the request object's.")
    if claims.get("client_id") != client_id:
        raise _Refused("Unknown client_id.")
    if claims.get("redirect_uri") not in redirects:
        raise _Refused("The redirect_uri is not registered for this client.")
    if claims.get("response_type") != "code id_token" or claims.get("scope") != "accounts":
        raise _Refused("response_type must be 'code id_token' and scope 'accounts'.")


def _intent(claims: dict[str, Any]) -> str:
    try:
        return str(claims["claims"]["id_token"]["openbanking_intent_id"]["value"])
    except (KeyError, TypeError):
        raise _Refused("The request object names no openbanking_intent_id.") from None


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


class _PageHandler(QuietHandler):
    server_version = "BalanceDeskBankPage/1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request object and codes are in the paths: never logged

    def _serve(self, method: str) -> None:
        desk: ConsentDesk = self.server.app.desk  # type: ignore[attr-defined]
        body = self.read_body() if method == "POST" else b""
        status, headers, page = desk.page(method, self.path, body)
        self.send_bytes(status, page.encode(), content_type="text/html; charset=utf-8",
                        headers=headers)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


class _PageServer(LoopbackServer):
    handler = _PageHandler

    def __init__(self, desk: ConsentDesk) -> None:
        super().__init__()
        self.desk = desk


# --- the tests' and the demo's browser ---------------------------------------------------------

_TICKET = re.compile(r'name="ticket" value="([^"]+)"')
_ERROR = re.compile(r'<p class="error">([^<]*)</p>')


class PageRefused(Exception):
    """The authorisation page refused the request (its reason is the message)."""


def browse(url: str, *, approve: bool = True, follow: bool = True) -> str:
    """Open the authorisation page, press Approve (or Deny) and return the address the browser
    lands on. With `follow`, a loopback redirect is also visited, as a browser would (running
    the listener's page that forwards a fragment as a query)."""
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        page = client.get(url)
        if page.status_code != 200:
            reason = _ERROR.search(page.text)
            raise PageRefused(html.unescape(reason.group(1)) if reason else page.text[:200])
        ticket = _TICKET.search(page.text)
        assert ticket is not None, "no approval form on the page"
        action = str(page.url.join("/ui/decide"))
        answer = client.post(action, data={"ticket": ticket.group(1),
                                           "decision": "approve" if approve else "deny"})
        landed = answer.headers["Location"]
        if follow and landed.startswith("http://127.0.0.1"):
            visit(client, landed)
        return landed


def visit(client: httpx.Client, landed: str) -> None:
    """What a browser does at a loopback redirect: the request (without the fragment), then
    the forwarding script's request (the fragment as the query)."""
    base, _, fragment = landed.partition("#")
    first = client.get(base)
    if fragment and "forward-fragment" in first.text:
        client.get(base.split("?")[0] + "?" + fragment)
