"""The Open Banking HTTP client: mutual TLS, FAPI headers, pagination, OBIE errors and token
refresh. One instance serves one fetch and may be used from several threads at once."""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import certifi
import httpx

from balance_desk import __version__
from balance_desk.credentials import BankCredentials
from balance_desk.errors import (
    AuthError,
    ConfigError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SourceError,
)
from balance_desk.sources.http import (
    DEFAULT_TIMEOUT,
    Deadlines,
    client_transports,
    describe_body,
    network_error,
    read_capped,
    request_deadline,
    retry_after,
    short_wait,
    when_words,
    with_deadlines,
)
from balance_desk.sources.open_banking.parse import Page, decode_json, obie_error, read_page

SERVICE = "the bank"
# Refresh this long before the stated expiry, so a token never dies mid-fetch.
EXPIRY_MARGIN = timedelta(seconds=60)
MAX_PAGES = 1000
NEW_CONSENT = (
    "A new consent is needed: approve Balance Desk again in the bank's consent page, then store "
    "the new tokens with `balance-desk keys set bank --access-token-file F "
    "--refresh-token-file F`."
)
# TLS alerts that mean "the bank does not accept our transport certificate".
_CLIENT_CERT_ALERTS = (
    "CERTIFICATE_REQUIRED",
    "BAD_CERTIFICATE",
    "UNKNOWN_CA",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_REVOKED",
    "CERTIFICATE_UNKNOWN",
    "HANDSHAKE_FAILURE",
    "ACCESS_DENIED",
    # The bank could not verify our certificate's signature: issued by another authority of
    # the same name as one it trusts (our side's verification failing says VERIFY_FAILED).
    "ALERT_DECRYPT_ERROR",
)


log = logging.getLogger(__name__)

# `expires_in` as a plain count of seconds (ASCII digits, at most a long one); longer lifetimes
# than a year are clamped to it.
TOKEN_SECONDS = re.compile(r"[0-9]{1,30}")
MAX_TOKEN_LIFETIME_S = 365 * 24 * 3600


class RateGate:
    """No one-second window ever holds more than `per_second` request starts: a burst up to
    that many goes at once (a few accounts never wait), the next waits for the oldest start in
    the window to leave it."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limit = max(1, int(per_second))
        self._starts: deque[float] = deque()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - 1.0:
                self._starts.popleft()
            start = max(now, self._starts[-1]) if self._starts else now  # in order
            if len(self._starts) >= self._limit:
                start = max(start, self._starts[-self._limit] + 1.0)
            self._starts.append(start)
        if start > now:
            self._sleep(start - now)  # pacing, not synchronisation


@dataclass(frozen=True)
class Presence:
    """What the FAPI headers say about the user for this fetch."""

    user_present: bool
    last_logged: datetime | None
    customer_ip: str | None


def ssl_context(
    cert_path: str, key_path: str, passphrase: str | None, ca_bundle: str | None
) -> ssl.SSLContext:
    """Client-certificate TLS context; server verification always on (certifi or the bundle)."""
    cafile = str(Path(ca_bundle).expanduser()) if ca_bundle else certifi.where()
    try:
        ctx = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"The bank CA bundle {cafile} is not a readable PEM certificate file; fix the path "
            "with `balance-desk keys set bank --ca-bundle PATH`."
        ) from exc
    cert = Path(cert_path).expanduser()
    key = Path(key_path).expanduser()
    for label, path in (("transport certificate", cert), ("transport key", key)):
        if not path.is_file():
            raise ConfigError(
                f"The {label} file {path} does not exist; set it with `balance-desk keys set "
                "bank --cert PATH --key PATH`."
            )
    secret = passphrase or ""
    try:
        # A callable, never None: OpenSSL would otherwise prompt on the terminal.
        ctx.load_cert_chain(str(cert), str(key), password=lambda: secret)
    except (OSError, ssl.SSLError) as exc:
        hint = (
            "the passphrase is wrong"
            if passphrase
            else "the key may be encrypted and no passphrase is stored"
        )
        raise ConfigError(
            f"Could not use the transport certificate {cert} with the key {key}: {hint}, or the "
            f"two do not belong together ({getattr(exc, 'reason', None) or exc})."
        ) from exc
    return ctx


def customer_ip(host: str, port: int) -> str:
    """This computer's address on the route to the bank (no packet is sent)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(address)
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


class BankClient:
    def __init__(
        self,
        *,
        api_root: str,
        financial_id: str,
        context: ssl.SSLContext,
        credentials: BankCredentials,
        save_credentials: Callable[[BankCredentials], None],
        max_connections: int,
        gate: RateGate,
        clock: Callable[[], datetime],
        deadlines: Deadlines | None = None,
    ) -> None:
        self.api_root = api_root
        self._origin = httpx.URL(api_root)
        self._financial_id = financial_id
        self._creds = credentials
        self._save = save_credentials
        self._gate = gate
        self._clock = clock
        self._version = 0
        self._refresh_lock = threading.Lock()
        self._refreshed = False
        self._refresh_failure: SourceError | None = None
        self._http = httpx.Client(
            verify=context,
            timeout=DEFAULT_TIMEOUT,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"Accept": "application/json", "User-Agent": f"balance-desk/{__version__}"},
        )
        # One client per fetch: the whole fetch (every page, account and retry) ends by the
        # fetch deadline, each request by the request deadline.
        self._deadlines = deadlines or Deadlines()
        self._backend = with_deadlines(*client_transports(self._http))
        self._backend.fetch_deadline = time.monotonic() + self._deadlines.fetch_s

    def close(self) -> None:
        self._http.close()

    @property
    def credentials(self) -> BankCredentials:
        return self._creds

    # --- tokens ---------------------------------------------------------------------------------

    def refresh_if_expiring(self) -> None:
        expires = self._creds.expires_at
        if expires is not None and expires - EXPIRY_MARGIN <= self._clock():
            self._refresh(self._version, reason="The access token has expired")

    def _refresh(self, seen_version: int, *, reason: str) -> None:
        """Refresh at most once per fetch, however many threads saw the token fail."""
        with self._refresh_lock:
            if self._refresh_failure is not None:
                raise self._refresh_failure
            if self._version != seen_version:
                return  # another request already refreshed it
            try:
                if self._refreshed:
                    raise AuthError(
                        f"The bank refused a freshly refreshed access token: the consent was "
                        f"revoked or has expired. {NEW_CONSENT}",
                        http_status=401,
                    )
                self._refreshed = True
                self._creds = self._post_refresh(reason)
                self._version += 1
            except SourceError as exc:
                self._refresh_failure = exc
                raise
            # Stored before anyone uses it: a rotated refresh token must never be lost.
            self._save(self._creds)

    def _post_refresh(self, reason: str) -> BankCredentials:
        creds = self._creds
        if not creds.refresh_token:
            raise AuthError(f"{reason} and there is no refresh token. {NEW_CONSENT}")
        form = {"grant_type": "refresh_token", "refresh_token": creds.refresh_token}
        if creds.client_id:
            form["client_id"] = creds.client_id
        url = httpx.URL(self.api_root + "/token")
        self._gate.wait()
        try:
            headers = {"x-fapi-financial-id": self._financial_id}
            with (
                request_deadline(self._deadlines.request_s),
                self._http.stream("POST", url, data=form, headers=headers) as response,
            ):
                # Capped like every other answer: a 200 MB reply must not take 640 MB.
                body = read_capped(response, service="The bank")
        except httpx.TransportError as exc:
            raise self._network_error(exc, url) from exc
        if response.status_code in (400, 401, 403):
            message, error_id = obie_error(body)
            raise AuthError(
                f"{reason} and the bank refused to refresh it"
                f"{f' ({message})' if message else ''}. {NEW_CONSENT}",
                http_status=response.status_code,
                server_message=message,
                error_id=error_id,
            )
        if response.status_code != 200:
            raise self._status_error(response, body, "POST /token")
        doc = decode_json(body, what="POST /token")
        new_refresh = doc.get("refresh_token") if isinstance(doc, dict) else None
        if isinstance(new_refresh, str) and new_refresh and new_refresh != creds.refresh_token:
            # First, whatever else in the answer is odd: the bank may already have retired the
            # old refresh token, and losing the new one would mean a new consent.
            creds = replace(creds, refresh_token=new_refresh)
            self._creds = creds
            self._save(creds)
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise ProtocolError("The bank's answer to POST /token has no access_token.")
        return replace(
            creds, access_token=token, expires_at=self._token_expiry(doc.get("expires_in"))
        )

    def _token_expiry(self, expires_in: object) -> datetime | None:
        """When the new access token expires: `expires_in` seconds from now, at most a year (a
        silly value is clamped, not a crash); None when the bank gave no usable figure (the
        token is then refreshed when the bank refuses it)."""
        text = str(expires_in) if isinstance(expires_in, int | str) else ""
        if not TOKEN_SECONDS.fullmatch(text):
            return None
        seconds = int(text)
        if seconds > MAX_TOKEN_LIFETIME_S:
            log.warning(
                "The bank says its access token lasts %s seconds; counting %d instead.",
                text[:20], MAX_TOKEN_LIFETIME_S,
            )
            seconds = MAX_TOKEN_LIFETIME_S
        return self._clock() + timedelta(seconds=seconds)

    # --- requests -------------------------------------------------------------------------------

    def pages(
        self,
        path: str,
        *,
        collection: str,
        presence: Presence,
        before_request: Callable[[], None] | None = None,
    ) -> Iterator[Page]:
        """Every page of a collection, following `Links.Next` verbatim until it is absent."""
        url = httpx.URL(self.api_root + path)
        what = f"GET {path}"
        seen: set[str] = set()
        while True:
            if str(url) in seen or len(seen) >= MAX_PAGES:
                raise ProtocolError(
                    f"The bank's pages for {what} lead back to a page already read "
                    "(a pagination loop); stopped."
                )
            seen.add(str(url))
            if before_request is not None:
                before_request()
            page = read_page(self.get_json(url, presence, what), collection=collection, what=what)
            yield page
            if page.next_url is None:
                return
            url = self._next_url(url, page.next_url, what)

    def _next_url(self, current: httpx.URL, link: str, what: str) -> httpx.URL:
        try:
            url = current.join(link)
        except httpx.InvalidURL as exc:
            raise ProtocolError(f"The bank's Links.Next for {what} is not a URL.") from exc
        if (url.scheme, url.host, url.port) != (self._origin.scheme, self._origin.host,
                                                self._origin.port):
            # The token and certificate go only to the API root the user configured.
            raise ProtocolError(
                f"The bank's Links.Next for {what} points to another server ({url.host}); "
                "not following it."
            )
        return url

    def get_json(self, url: httpx.URL, presence: Presence, what: str) -> Any:
        refreshed = waited = False
        while True:
            version = self._version
            token = self._creds.access_token
            self._gate.wait()
            try:
                with (
                    request_deadline(self._deadlines.request_s),
                    self._http.stream("GET", url, headers=self._headers(token, presence)) as resp,
                ):
                    body = read_capped(resp, service="The bank")
            except httpx.TransportError as exc:
                raise self._network_error(exc, url) from exc
            if resp.status_code == 401 and not refreshed:
                refreshed = True
                self._refresh(version, reason="The bank no longer accepts the access token")
                continue
            if resp.status_code == 200:
                return decode_json(body, what=what, content_type=resp.headers.get("content-type"))
            error = self._status_error(resp, body, what)
            wait = short_wait(error, self._clock())
            left = self._backend.left()
            if wait is not None and not waited and (left is None or left > wait + 1.0):
                # The same rule as Revolut X: a short pause is waited out and tried once more.
                waited = True
                time.sleep(wait)
                continue
            raise error

    def _headers(self, token: str, presence: Presence) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {token}",
            "x-fapi-financial-id": self._financial_id,
            "x-fapi-interaction-id": str(uuid.uuid4()),
        }
        last = self._clock() if presence.user_present else presence.last_logged
        if last is not None:
            headers["x-fapi-customer-last-logged-time"] = email.utils.format_datetime(
                last.astimezone(UTC), usegmt=True
            )
        if presence.user_present and presence.customer_ip:
            headers["x-fapi-customer-ip-address"] = presence.customer_ip
        return headers

    # --- errors ---------------------------------------------------------------------------------

    def _status_error(self, resp: httpx.Response, body: bytes, what: str) -> SourceError:
        status = resp.status_code
        message, error_id = obie_error(body)
        said = f": {message}" if message else _no_details(body, resp)
        common: dict[str, Any] = {
            "http_status": status, "server_message": message, "error_id": error_id
        }
        if status == 401:
            return AuthError(
                f"The bank refused the refreshed access token{said}. {NEW_CONSENT}", **common
            )
        if status == 403:
            return AuthError(
                f"The bank refused {what}{said}. The consent may lack the ReadAccountsBasic, "
                f"ReadAccountsDetail or ReadBalances permission, or have expired. {NEW_CONSENT}",
                **common,
            )
        if status == 429:
            now = self._clock()
            retry_at = retry_after(resp.headers.get("Retry-After"), now, unit_s=1)
            when = f" Try again after {when_words(retry_at, now)}." if retry_at else ""
            return RateLimitedError(
                f"The bank is limiting requests (429){said}.{when}", retry_at=retry_at, **common
            )
        if status >= 500:
            return ServerError(
                f"The bank had a problem answering {what} (HTTP {status}){said}. Try again "
                "later.",
                **common,
            )
        if status in (400, 405, 406, 415):
            return ProtocolError(
                f"The bank rejected {what} as malformed (HTTP {status}){said}. Check the API "
                "root and financial id (`balance-desk keys show`).",
                **common,
            )
        return ServerError(f"The bank answered {what} with HTTP {status}{said}.", **common)

    def _network_error(self, exc: httpx.TransportError, url: httpx.URL) -> NetworkError:
        return transport_error(exc, url)


def transport_error(exc: httpx.TransportError, url: httpx.URL) -> NetworkError:
    """A failed connection in words; the bank refusing our certificate is named as such, not
    blamed on a CA bundle."""
    text = repr(exc) + repr(exc.__cause__) + repr(exc.__context__)
    if any(alert in text.upper() for alert in _CLIENT_CERT_ALERTS):
        return NetworkError(
            f"The bank at {url.host} refused the TLS connection: it does not accept the "
            "transport certificate (not issued for this bank, or by another authority of the "
            "same name; expired or revoked). Check the --cert and --key given to "
            "`balance-desk keys set bank`."
        )
    return network_error(exc, service=SERVICE, url=url)


def _no_details(body: bytes, resp: httpx.Response) -> str:
    if body.strip() in (b"{}", b""):
        return " (no details given)"
    return f" ({describe_body(body, resp.headers.get('Content-Type'))})"
