"""HTTP plumbing any source can share: API-root checks, TLS options, capped body reads, human
messages for transport failures and retry back-off. Nothing here knows a particular API."""

from __future__ import annotations

import ipaddress
import os
import random
import re
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from balance_desk.errors import ConfigError, NetworkError, ProtocolError

if TYPE_CHECKING:
    from balance_desk.model import ErrorInfo

# Connect fails fast (a dead host should not freeze a refresh); reads allow a slow server.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0)
# Far above any real balance list, far below what could hurt memory.
MAX_BODY_BYTES = 4 * 1024 * 1024


# --- wall-clock deadlines -------------------------------------------------------------------------
#
# httpx's timeouts are per network operation: a server sending one byte a second never trips a
# 15 s read timeout. A deadline bounds the whole: every connect, read and write is given at most
# the time left, and one that would start after the deadline fails at once, whether the server
# is silent, trickling headers or trickling the body.


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long one request (its answer read in full) and one whole refresh (retries and waits
    included) may take."""

    request_s: float = 30.0
    fetch_s: float = 60.0


DEADLINE_MARK = "deadline passed"
_request_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Requests made in this block (on this thread) end within `seconds` in all."""
    end = time.monotonic() + seconds
    outer = _request_deadline.get()
    token = _request_deadline.set(end if outer is None else min(end, outer))
    try:
        yield
    finally:
        _request_deadline.reset(token)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every operation bounded by the deadlines in force: this
    thread's request deadline and the client's `fetch_deadline` (a monotonic time)."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner
        self.fetch_deadline: float | None = None

    def left(self) -> float | None:
        ends = [d for d in (self.fetch_deadline, _request_deadline.get()) if d is not None]
        return None if not ends else min(ends) - time.monotonic()

    def bound(self, timeout: float | None, kind: type[Exception]) -> float | None:
        left = self.left()
        if left is None:
            return timeout
        if left <= 0:
            raise kind(DEADLINE_MARK)
        return left if timeout is None else min(timeout, left)

    def over(self) -> bool:
        left = self.left()
        return left is not None and left <= 0

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            stream = self._inner.connect_tcp(
                host, port, self.bound(timeout, httpcore.ConnectTimeout), local_address,
                socket_options,
            )
        except httpcore.ConnectTimeout:
            if self.over():
                raise httpcore.ConnectTimeout(DEADLINE_MARK) from None
            raise
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - we never use unix sockets
        stream = self._inner.connect_unix_socket(
            path, self.bound(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, self._backend.bound(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout:
            if self._backend.over():
                raise httpcore.ReadTimeout(DEADLINE_MARK) from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, self._backend.bound(timeout, httpcore.WriteTimeout))
        except httpcore.WriteTimeout:
            if self._backend.over():
                raise httpcore.WriteTimeout(DEADLINE_MARK) from None
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            inner = self._inner.start_tls(
                ssl_context, server_hostname, self._backend.bound(timeout, httpcore.ConnectTimeout)
            )
        except httpcore.ConnectTimeout:
            if self._backend.over():
                raise httpcore.ConnectTimeout(DEADLINE_MARK) from None
            raise
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def with_deadlines(*transports: httpx.BaseTransport) -> DeadlineBackend:
    """Bound every network operation of these transports by the deadlines in force (one
    backend, so one `fetch_deadline`, for all of them). httpx does not expose its pool's
    network backend; `tests/sources/test_http.py` fails at once should that attribute move."""
    backend: DeadlineBackend | None = None
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if inner is None:
            raise RuntimeError("httpx's transport no longer has a pool with a network backend")
        if isinstance(inner, DeadlineBackend):
            backend = inner
            continue
        backend = backend or DeadlineBackend(inner)
        pool._network_backend = backend  # type: ignore[union-attr]
    assert backend is not None, "no transport given"
    return backend


def client_transports(client: httpx.Client) -> list[httpx.BaseTransport]:
    """The transports an httpx.Client may use: its own and any proxy's."""
    mounts = [t for t in client._mounts.values() if t is not None]
    return [client._transport, *mounts]


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_root(url: str, *, service: str) -> str:
    """The API root without a trailing slash; plain http only for this computer (simulators)."""
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError(f"The {service} API root {text!r} is not a valid URL.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(
            f"The {service} API root {text!r} must be an https:// URL with a host name."
        )
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise ConfigError(
            f"Refusing the plain http:// API root {text!r}: keys and balances must not cross "
            "the network unencrypted. Use https:// (plain http is allowed only for 127.0.0.1, "
            "where the simulator runs)."
        )
    if parsed.query or parsed.fragment:
        raise ConfigError(f"The {service} API root {text!r} must not have a query or fragment.")
    return text.rstrip("/")


# Verifying client contexts, one per set of authorities and version of their file: loading a
# bundle (certifi's is 300 KB) costs about 10 ms, and every client would otherwise load it again.
# Shared between clients and threads, never changed once made.
_VERIFY_CONTEXTS: dict[tuple[str, str, int, int, int], ssl.SSLContext] = {}
_VERIFY_LOCK = threading.Lock()


def verify_context(*, cafile: str | None = None, capath: str | None = None) -> ssl.SSLContext:
    """A client context that verifies servers against `cafile` or `capath` (certifi's bundle
    when neither), made once per process for each version of the file."""
    import certifi

    where = cafile or capath or certifi.where()
    stamp = os.stat(where)  # a missing file raises here, as loading it would
    key = ("dir" if capath and not cafile else "file", where, stamp.st_ino, stamp.st_mtime_ns,
           stamp.st_size)
    with _VERIFY_LOCK:
        context = _VERIFY_CONTEXTS.get(key)
        if context is None:
            if key[0] == "dir":
                context = ssl.create_default_context(capath=where)
            else:
                context = ssl.create_default_context(cafile=where)
            _VERIFY_CONTEXTS[key] = context
    return context


def tls_verify(
    ca_bundle: str | None, *, service: str, trust_env: bool = True
) -> ssl.SSLContext:
    """Verification is always on; a CA bundle only adds the authorities a proxy or test uses.
    Without one: SSL_CERT_FILE or SSL_CERT_DIR when `trust_env` (as httpx would), else
    certifi's."""
    if not ca_bundle:
        cert_file = os.environ.get("SSL_CERT_FILE") if trust_env else None
        cert_dir = os.environ.get("SSL_CERT_DIR") if trust_env else None
        try:
            return verify_context(cafile=cert_file or None,
                                  capath=None if cert_file else cert_dir or None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"The certificate authorities that SSL_CERT_FILE or SSL_CERT_DIR name cannot "
                f"be read ({exc}); {service} cannot be verified."
            ) from exc
    path = Path(ca_bundle).expanduser()
    try:
        return verify_context(cafile=str(path))
    except FileNotFoundError as exc:
        raise ConfigError(f"The {service} CA bundle {path} does not exist.") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"The {service} CA bundle {path} is not a readable PEM certificate file ({exc})."
        ) from exc


def environment_proxy(url: httpx.URL) -> httpx.Proxy | None:
    """The proxy the environment (HTTPS_PROXY, NO_PROXY...) asks for; never for loopback."""
    if is_loopback_host(url.host) or urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    return httpx.Proxy(proxy) if proxy else None


def make_transport(
    api_root: str, ca_bundle: str | None, *, service: str
) -> httpx.HTTPTransport:
    """A keep-alive transport for one API root: TLS verified, environment proxy honoured."""
    url = httpx.URL(api_root)
    loopback = is_loopback_host(url.host)
    if url.scheme == "http" and not ca_bundle:
        # Plain http (loopback only, see api_root): no TLS to verify, so no authority is worth
        # loading (certifi's bundle costs ~10 ms); verification stays on and trusts nobody.
        verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        verify = tls_verify(ca_bundle, service=service, trust_env=not loopback)
    return httpx.HTTPTransport(
        verify=verify,
        proxy=environment_proxy(url),
        trust_env=not loopback,  # SSL_CERT_FILE and friends
    )


def read_capped(response: httpx.Response, *, service: str, cap: int = MAX_BODY_BYTES) -> bytes:
    """The whole (decoded) body of a streamed response, refused unparsed when it passes `cap`."""
    too_big = ProtocolError(
        f"{service} sent an answer larger than {cap / 1_048_576:g} MB; refusing to read it "
        "(is something other than the API answering at this address?).",
        http_status=response.status_code,
    )
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit():
        if int(declared) > cap:
            raise too_big
        if "Content-Encoding" not in response.headers:
            # The length is known and nothing will inflate it: read it in one go.
            return response.read()
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def send_capped(
    transport: httpx.BaseTransport,
    request: httpx.Request,
    *,
    service: str,
    cap: int = MAX_BODY_BYTES,
    deadline_s: float,
) -> tuple[httpx.Response, bytes]:
    """Send one request and read its whole answer (capped), within `deadline_s`; a connection
    that fails is a NetworkError in words (the httpx error is its cause)."""
    try:
        with request_deadline(deadline_s):
            response = transport.handle_request(request)
            response.request = request
            try:
                return response, read_capped(response, service=service, cap=cap)
            finally:
                response.close()
    except httpx.TransportError as exc:
        raise network_error(exc, service=service, url=request.url) from exc


# The longest wait a Retry-After is taken at its word for; a longer one is clamped to this.
MAX_RETRY_AFTER = timedelta(days=7)
_WAIT = re.compile(r"[0-9]+")


def retry_after(value: str | None, now: datetime, *, unit_s: float) -> datetime | None:
    """When a server asks to be tried again: a count of `unit_s` (Revolut X: milliseconds,
    Open Banking: seconds) or an HTTP date. A date in the past, a value that is not plain ASCII
    digits or a date, and an empty header mean "no word from the server" (None); a wait past
    seven days is clamped to seven days."""
    import email.utils

    text = (value or "").strip()
    if _WAIT.fullmatch(text):
        longest = MAX_RETRY_AFTER.total_seconds()
        # Beyond 15 digits it is past any sane wait anyway (and int() of a huge string costs).
        seconds = int(text) * unit_s if len(text) <= 15 else longest
        return now + timedelta(seconds=min(seconds, longest))
    if not text.isascii():
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= now:
        return None
    return min(when, now + MAX_RETRY_AFTER)


# A 429 asking for at most this long is waited out (once) while the user waits; a longer one is
# reported with the time to try again. Both sources follow this rule.
SHORT_RATE_LIMIT_WAIT = timedelta(seconds=5)


def short_wait(error: Exception, now: datetime) -> float | None:
    """Seconds to sleep before trying once more, when `error` is a rate limit with a short
    Retry-After; None when it should be reported instead."""
    from balance_desk.errors import RateLimitedError

    if not isinstance(error, RateLimitedError) or error.retry_at is None:
        return None
    wait = error.retry_at - now
    return max(wait.total_seconds(), 0.0) if wait <= SHORT_RATE_LIMIT_WAIT else None


def when_words(moment: datetime, now: datetime) -> str:
    """A retry time as a person reads it: the clock time today, the date and time after."""
    local, today = moment.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


# How much of a server's own words we show: enough for a sentence and an id, never a page.
SERVER_WORDS_LIMIT = 300


def server_words(text: str, limit: int = SERVER_WORDS_LIMIT) -> str:
    """A server's text made safe to show on a terminal or in the window: no control, escape,
    bidi or invisible characters, and at most `limit` characters ("…" when cut)."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


REDACTED = "[redacted]"


def without_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every stored secret in it replaced: a server that echoes our request headers
    (the API key, a bearer token) must not put them on the screen, in the JSON or in the log."""
    for secret in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def error_without_secrets(info: ErrorInfo, secrets: Iterable[str]) -> ErrorInfo:
    known = [s for s in secrets if s]
    if not known:
        return info
    return info.model_copy(update={
        "message": without_secrets(info.message, known),
        "server_message": None if info.server_message is None
        else without_secrets(info.server_message, known),
        "error_id": None if info.error_id is None else without_secrets(info.error_id, known),
    })


def describe_body(body: bytes, content_type: str | None) -> str:
    """A few words for an answer that is not the API's JSON, for error messages."""
    head = body.lstrip()[:200].lower()
    if not head:
        return "an empty answer"
    if "html" in (content_type or "").lower() or head.startswith((b"<!doctype", b"<html")):
        return "an HTML page (often a proxy, firewall or captive portal)"
    return f"an answer that is not JSON ({content_type or 'no content type'})"


def _is_tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def network_error(exc: httpx.TransportError, *, service: str, url: httpx.URL) -> NetworkError:
    """A sentence a user can act on for every way the connection itself can fail."""
    where = f"{url.host}:{url.port}" if url.port else url.host
    tls = _is_tls_failure(exc)
    if tls is not None:
        reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        message = (
            f"The secure connection to {where} failed ({reason}). If you reach {service} "
            "through a proxy or test server with its own certificate authority, give its CA "
            "bundle with --ca-bundle; verification is never switched off."
        )
    elif _in_chain(exc, socket.gaierror):
        message = (
            f"Could not find {url.host} (the name lookup failed); check your internet "
            "connection and the API root."
        )
    elif DEADLINE_MARK in str(exc):
        message = (
            f"{service} at {where} did not finish answering within the time allowed, so "
            "Balance Desk stopped waiting (a stuck or very slow server); try again later."
        )
    elif isinstance(exc, httpx.ConnectTimeout):
        message = f"Connecting to {service} at {where} timed out; check your network."
    elif isinstance(exc, httpx.ConnectError):
        message = (
            f"Could not connect to {service} at {where} ({_first_line(exc)}); check your network "
            "and the API root."
        )
    elif isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        message = f"{service} at {where} did not answer in time; try again later."
    elif isinstance(exc, httpx.RemoteProtocolError):
        message = f"The connection to {service} at {where} broke before the whole answer arrived."
    else:
        message = f"Network problem talking to {service} at {where}: {_first_line(exc)}."
    # A sentence starts with a capital, whatever the service's name ("bank at … did not").
    return NetworkError(message[:1].upper() + message[1:])


def _in_chain(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def backoff_delay(attempt: int, *, base_s: float, cap_s: float) -> float:
    """Full-jitter exponential back-off, so many clients never retry in lock step."""
    return random.uniform(0, min(cap_s, base_s * (2**attempt)))  # noqa: S311 - not crypto
