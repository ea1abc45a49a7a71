"""A loopback Open Banking (OBIE v3.1 AISP) server with mutual TLS, for `--demo` and the tests.

It makes its own throwaway CA, server and client certificates in a temporary folder (removed on
`stop()`), and refuses any connection without a client certificate from that CA. It serves
paginated accounts and balances, issues access tokens that expire and refreshes them at
`POST /token`, enforces the 4-a-day rule for requests without `x-fapi-customer-ip-address`, and
has fault switches for every error path the client handles.
"""

from __future__ import annotations

import json
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from balance_desk.config import BANK_PRESETS, BankSettings
from balance_desk.credentials import BankCredentials
from balance_desk.simulator.base import LoopbackHTTPServer, LoopbackServer
from balance_desk.simulator.certs import TlsFiles, make_tls_files
from balance_desk.simulator.open_banking.consent_desk import ConsentDesk
from balance_desk.simulator.open_banking.data import (
    SimAccount,
    default_accounts,
    generated_accounts,
)
from balance_desk.simulator.open_banking.transport import (
    BankHandler,
    Reply,
    TlsServer,
    obie_error,
)

REVOLUT_FINANCIAL_ID = BANK_PRESETS["revolut"][1]
HTML_BODY = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
TRUNCATED_BODY = b'{"Data": {"Balance": [{"AccountId": "acc'
QUOTA_WINDOW_S = 24 * 3600


@dataclass
class BankFault:
    """What matching requests get instead of the normal answer (the same switches as the
    Revolut X simulator's `Fault`, plus `path`).

    `status` None keeps the normal answer (with `delay_s` or `truncate_to`); `body` None means an
    OBIE error body for `status` with `message`; `path` is a substring of the request path
    ("" = every API path except /token); `times` None = every request until cleared."""

    status: int | None = 500
    message: str | None = None
    path: str = ""
    retry_after_s: int | None = None
    delay_s: float = 0.0
    body: bytes | None = None
    content_type: str = "application/json"
    truncate_to: int | None = None  # send only this many body bytes, then hang up
    trickle_s: float = 0.0  # send the body one byte this often
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1


@dataclass(frozen=True)
class SimTokens:
    access_token: str
    refresh_token: str
    client_id: str
    expires_at: datetime


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class _Consent:
    client_id: str
    refresh_tokens: set[str] = field(default_factory=set)


class BankSimulator(LoopbackServer):
    """`with BankSimulator() as sim:` then point a client at `sim.url` with the certificate
    files in `sim.tls` and tokens from `sim.issue_tokens()`."""

    def __init__(
        self,
        *,
        port: int = 0,
        accounts: list[SimAccount] | None = None,
        account_count: int | None = None,
        accounts_per_page: int = 4,
        balances_per_page: int = 2,
        latency_s: float = 0.0,
        token_lifetime_s: int = 3600,
        token_length: int = 48,
        rotate_refresh_tokens: bool = True,
        client_key_passphrase: str | None = None,
        financial_id: str = REVOLUT_FINANCIAL_ID,
        quota_limit: int = 4,
    ) -> None:
        super().__init__(port=port)
        if accounts is None:
            accounts = (
                generated_accounts(account_count) if account_count else default_accounts()
            )
        self.accounts = accounts
        self.accounts_per_page = accounts_per_page
        self.balances_per_page = balances_per_page
        self.link_style: Literal["absolute", "root", "relative"] = "absolute"
        self.latency_s = latency_s
        self.token_lifetime_s = token_lifetime_s
        self.token_length = token_length
        self.rotate_refresh_tokens = rotate_refresh_tokens
        # Fields put over the /token answer, as an odd bank might send them (None removes one).
        self.token_answer_changes: dict[str, Any] = {}
        self.financial_id = financial_id
        self.quota_limit = quota_limit
        self._passphrase = client_key_passphrase
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}  # token -> (consent, expiry epoch)
        self._refresh: dict[str, str] = {}  # refresh token -> consent
        self._consents: dict[str, _Consent] = {}
        self._unattended: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._faults: list[BankFault] = []
        self.requests: list[SeenRequest] = []
        self.refresh_count = 0
        self.tls_refusals = 0
        self._tmp: Path | None = None
        self._tls: TlsFiles | None = None
        self.desk = ConsentDesk(
            audience=lambda: self.url, mint=self._mint_for_consent, drop_tokens=self._drop_tokens
        )

    # --- lifecycle ------------------------------------------------------------------------------

    def _make_server(self) -> LoopbackHTTPServer:
        self._tmp = Path(tempfile.mkdtemp(prefix="balance-desk-bank-sim-"))
        try:
            self._tls = make_tls_files(self._tmp, client_passphrase=self._passphrase)
            self.desk.setup(self._tmp)
            self.desk.page_server.start()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self._tls.server_cert, self._tls.server_key)
            context.load_verify_locations(self._tls.ca_cert)
            context.verify_mode = ssl.CERT_REQUIRED
            return TlsServer(self._address, BankHandler, context)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise

    def client_settings(self) -> BankSettings:
        """Settings that point Balance Desk at this simulator with its client certificate."""
        return BankSettings(
            preset="custom",
            url=self.url,
            financial_id=self.financial_id,
            cert_path=str(self.tls.client.cert_path),
            key_path=str(self.tls.client.key_path),
            ca_bundle=str(self.tls.ca_cert),
        )

    def client_credentials(self, client_id: str = "demo-client") -> BankCredentials:
        """Fresh tokens from this simulator, as the keyring would hold them."""
        tokens = self.issue_tokens(client_id=client_id)
        return BankCredentials(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            client_id=tokens.client_id,
            expires_at=tokens.expires_at,
            key_passphrase=self._passphrase,
        )

    def stop(self) -> None:
        super().stop()
        self.desk.page_server.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @property
    def url(self) -> str:
        """The API root (https: every request needs the client certificate)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def tls(self) -> TlsFiles:
        assert self._tls is not None, "start() the simulator first"
        return self._tls

    # --- tokens and switches --------------------------------------------------------------------

    def issue_tokens(
        self, *, client_id: str = "sim-client", lifetime_s: int | None = None
    ) -> SimTokens:
        """A new consent's first tokens (what the consent flow would hand over)."""
        with self._lock:
            consent = f"consent-{secrets.token_hex(4)}"
            self._consents[consent] = _Consent(client_id)
            access, refresh, expires = self._mint(consent, lifetime_s, new_refresh=True)
        assert refresh is not None
        return SimTokens(access, refresh, client_id, expires)

    def _mint_for_consent(self, consent: str) -> tuple[str, str | None, datetime]:
        """The first tokens of a consent the holder approved (the code exchange)."""
        with self._lock:
            self._consents[consent] = _Consent(self.desk.client_id)
            return self._mint(consent, None, new_refresh=True)

    def _drop_tokens(self, consent: str) -> None:
        """A revoked consent: its tokens stop working."""
        with self._lock:
            self._access = {t: v for t, v in self._access.items() if v[0] != consent}
            self._refresh = {t: c for t, c in self._refresh.items() if c != consent}

    def connection_settings(
        self, name: str, redirect_uri: str | None = None, *, key_written: bool = True
    ) -> BankSettings:
        """A named connection to this simulator, as `bank connect` would save it; with
        `key_written` False the signing key's file may still be on its way (see consent_desk)."""
        redirect = redirect_uri or self.desk.redirect_uris[0]
        if redirect not in self.desk.redirect_uris:
            self.desk.redirect_uris.append(redirect)
        return self.client_settings().model_copy(update={
            "name": name,
            "auth_url": self.desk.auth_url,
            "client_id": self.desk.client_id,
            "signing_key_path": str(
                self.desk.signing_key_path if key_written else self.desk.signing_key_file
            ),
            "kid": self.desk.kid,
            "redirect_uri": redirect,
        })

    def connected(self, name: str) -> tuple[BankSettings, BankCredentials]:
        """A named connection approved a month ago, as a returning user has it: its settings
        and the tokens the keyring holds (the flow itself is `bank connect`'s, and tested)."""
        consent = self.desk.approved_earlier(days_ago=30, lasts_days=90)
        access, refresh, expires = self._mint_for_consent(consent.consent_id)
        assert refresh is not None and consent.expires is not None
        refresh_lapses = None
        if self.desk.refresh_token_expires_in is not None:
            refresh_lapses = consent.created + timedelta(
                seconds=self.desk.refresh_token_expires_in)
        return self.connection_settings(name, key_written=False), BankCredentials(
            access_token=access,
            refresh_token=refresh,
            client_id=self.desk.client_id,
            expires_at=expires,
            key_passphrase=self._passphrase,
            consent_id=consent.consent_id,
            consent_created_at=consent.created,
            consent_expires_at=consent.expires,
            refresh_expires_at=refresh_lapses,
        )

    def _mint(
        self, consent: str, lifetime_s: int | None, *, new_refresh: bool
    ) -> tuple[str, str | None, datetime]:
        lifetime = self.token_lifetime_s if lifetime_s is None else lifetime_s
        access = _token("oa_sim_", self.token_length)
        self._access[access] = (consent, time.time() + lifetime)
        refresh = None
        if new_refresh:
            refresh = _token("oa_ref_", self.token_length)
            self._refresh[refresh] = consent
            self._consents[consent].refresh_tokens.add(refresh)
        return access, refresh, datetime.now(UTC) + timedelta(seconds=lifetime)

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = {t: (c, 0.0) for t, (c, _) in self._access.items()}

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    def add_fault(self, fault: BankFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests_to(self, fragment: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if fragment in r.path]

    # --- request handling (called on the handler threads) ---------------------------------------

    def count_tls_refusal(self) -> None:
        with self._lock:
            self.tls_refusals += 1

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path = urlsplit(target).path
        with self._lock:
            self.requests.append(SeenRequest(method, target, headers))
            fault = self._take_fault(path)
        if self.latency_s and self.stopping.wait(self.latency_s):  # simulated network latency
            return Reply(503, b"")
        reply = self._answer(method, target, path, headers, body)
        if fault is None:
            return reply
        if fault.delay_s and self.stopping.wait(fault.delay_s):
            return Reply(503, b"")
        if fault.status is not None:
            reply = Reply(
                fault.status,
                fault.body
                if fault.body is not None
                else obie_error(fault.status, "UK.OBIE.UnexpectedError",
                                fault.message or "Simulated fault"),
                content_type=fault.content_type,
            )
        if fault.retry_after_s is not None:
            reply.headers["Retry-After"] = str(fault.retry_after_s)
        reply.headers.update(fault.headers)
        reply.truncate_to = fault.truncate_to
        reply.trickle_s = fault.trickle_s
        return reply

    def fail(self, status: int | None, *, times: int | None = 1, **options: Any) -> None:
        self.add_fault(BankFault(status=status, times=times, **options))

    def _answer(  # noqa: PLR0911 - one answer per kind of request
        self, method: str, target: str, path: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        if method == "POST" and path == "/token":
            form = {k: v[0] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
            return self.desk.token(form) or self._token(body)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method not in ("GET", "POST", "DELETE") or (
            method != "GET" and parts[0] != "account-access-consents"
        ):
            return Reply(405, obie_error(405, "UK.OBIE.NotSupported", "Method not allowed"))
        if headers.get("x-fapi-financial-id") != self.financial_id:
            return Reply(403, obie_error(403, "UK.OBIE.Header.Invalid",
                                          "x-fapi-financial-id is missing or wrong"))
        if parts[0] == "account-access-consents":
            return self.desk.consent_api(method, parts, headers, body)
        consent = self._authorised(headers.get("authorization", ""))
        if consent is None or not self.desk.authorised(consent):
            return Reply(401, obie_error(401, "UK.OBIE.Resource.Unauthorized",
                                          "Access token is invalid or expired"))
        if "x-fapi-customer-ip-address" not in headers:
            wait = self._count_unattended(consent, path)
            if wait is not None:
                return Reply(
                    429,
                    obie_error(429, "UK.OBIE.Rules.ResourceAccessLimitExceeded",
                               "Unattended access is limited to 4 requests a day"),
                    {"Retry-After": str(wait)},
                )
        return self._route(target, path)

    def _take_fault(self, path: str) -> BankFault | None:
        for fault in self._faults:
            if (fault.path and fault.path in path) or (not fault.path and path != "/token"):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _authorised(self, header: str) -> str | None:
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            entry = self._access.get(token)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def _count_unattended(self, consent: str, path: str) -> int | None:
        now = time.time()
        with self._lock:
            seen = self._unattended[(consent, path)]
            while seen and seen[0] <= now - QUOTA_WINDOW_S:
                seen.popleft()
            if len(seen) >= self.quota_limit:
                return int(seen[0] + QUOTA_WINDOW_S - now) + 1
            seen.append(now)
        return None

    def _token(self, body: bytes) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
        refresh = form.get("refresh_token", "")
        with self._lock:
            consent = self._refresh.get(refresh)
            if form.get("grant_type") != "refresh_token" or consent is None:
                return Reply(400, json.dumps({"error": "invalid_grant",
                                               "error_description": "Refresh token is invalid"
                                               }).encode())
            if form.get("client_id", self._consents[consent].client_id) != (
                self._consents[consent].client_id
            ):
                return Reply(401, json.dumps({"error": "invalid_client"}).encode())
            self.refresh_count += 1
            if self.rotate_refresh_tokens:
                self._refresh.pop(refresh)
            access, new_refresh, _ = self._mint(
                consent, None, new_refresh=self.rotate_refresh_tokens
            )
        doc: dict[str, Any] = {
            "access_token": access, "token_type": "Bearer", "expires_in": self.token_lifetime_s
        }
        if new_refresh:
            doc["refresh_token"] = new_refresh
        for key, value in self.token_answer_changes.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        return Reply(200, json.dumps(doc).encode())

    def _route(self, target: str, path: str) -> Reply:
        query = parse_qs(urlsplit(target).query)
        page = int(query.get("page", ["1"])[0]) if query.get("page", ["1"])[0].isdigit() else 1
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts == ["accounts"]:
            items = [a.account for a in self.accounts]
            return self._page(items, page, "Account", "/accounts", self.accounts_per_page)
        if len(parts) == 3 and parts[0] == "accounts" and parts[2] == "balances":
            for account in self.accounts:
                if account.account_id == parts[1]:
                    return self._page(account.balances, page, "Balance", path,
                                      self.balances_per_page)
            return Reply(404, obie_error(404, "UK.OBIE.Resource.NotFound", "No such account"))
        return Reply(404, obie_error(404, "UK.OBIE.Resource.NotFound", "No such resource"))

    def _link(self, path: str, page: int) -> str:
        """Links.Next as banks write it: absolute, from the host root, or relative to the page
        (`link_style`); RFC 3986 resolves each against the page's own URL."""
        if self.link_style == "root":
            return f"{path}?page={page}"
        if self.link_style == "relative":
            return f"{path.rsplit('/', 1)[-1]}?page={page}"
        return f"{self.url}{path}?page={page}"

    def _page(
        self, items: list[dict[str, Any]], page: int, name: str, path: str, size: int
    ) -> Reply:
        pages = max(1, -(-len(items) // size))
        chunk = items[(page - 1) * size : page * size]
        links = {"Self": f"{self.url}{path}?page={page}"}
        if page < pages:
            links["Next"] = self._link(path, page + 1)
        if page > 1:
            links["Prev"] = f"{self.url}{path}?page={page - 1}"
        doc = {"Data": {name: chunk}, "Links": links, "Meta": {"TotalPages": pages}}
        return Reply(200, json.dumps(doc).encode())


def _token(prefix: str, length: int) -> str:
    return (prefix + secrets.token_urlsafe(length))[: max(length, len(prefix) + 8)]
