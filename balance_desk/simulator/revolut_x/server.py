"""A loopback Revolut X: checks API key, timestamp window and Ed25519 signature exactly as the
real service does, serves realistic balances, and lets tests switch on faults."""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from balance_desk.simulator.base import LoopbackServer, QuietHandler
from balance_desk.simulator.revolut_x.balances import demo_balances, many_balances
from balance_desk.simulator.revolut_x.tickers import (
    DEMO_TICKERS,
    pairs_document,
    ticker_entries,
)
from balance_desk.sources.revolut_x.keys import (
    generate_private_key,
    private_key_pem,
    public_key_pem,
)
from balance_desk.sources.revolut_x.signing import verify_signature

API_PREFIX = "/api/1.0"
# The documented example messages, used when a fault does not bring its own.
DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Request timestamp is in the future",
    429: "Rate Limit Exceeded",
}
IP_NOT_ALLOWED = "API key can only be used for authentication from whitelisted IP"


def new_api_key() -> str:
    """64 alphanumeric characters, like the keys Revolut X shows."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))


@dataclass
class Fault:
    """What the next matching request(s) get instead of the normal answer.

    `status` None keeps the normal answer (useful with `delay_s` or `truncate_to`). `body`
    replaces the documented error JSON (an HTML page, an empty body, wrong types...).
    """

    status: int | None = 500
    message: str | None = None
    retry_after_ms: int | None = None
    delay_s: float = 0.0
    body: bytes | None = None
    content_type: str = "application/json"
    truncate_to: int | None = None  # send only this many body bytes, then hang up
    trickle_s: float = 0.0  # send the body one byte this often
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1  # None = every request until cleared
    # Which endpoint it hits: "balances", "tickers" (signed or public) or "pairs".
    endpoint: str = "balances"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    api_key: str | None
    timestamp: str | None
    signature: str | None
    status: int


class RevolutXSimulator(LoopbackServer):
    """`with RevolutXSimulator() as sim:` then point a client at `sim.api_root` with
    `sim.api_key` and `sim.private_key_pem` (a fresh demo pair registered at start)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        currencies: int | None = None,
        verify_auth: bool = True,
        future_tolerance_ms: int = 1_000,
        replay_window_ms: int = 10_000,
    ) -> None:
        super().__init__(host=host, port=port)
        self.handler = _RevolutXHandler
        self._lock = threading.Lock()
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self.verify_auth = verify_auth
        self.future_tolerance_ms = future_tolerance_ms
        self.replay_window_ms = replay_window_ms
        self.clock_skew_ms = 0  # the simulated server's clock minus the real one
        self.allowed_ips: set[str] | None = None
        private = generate_private_key()
        self.private_key_pem = private_key_pem(private)
        self.public_key_pem = public_key_pem(private)
        self.api_key = new_api_key()
        self.register_key(self.api_key, private.public_key())
        self._body = b""
        self.set_balances(many_balances(currencies) if currencies else demo_balances())
        self.tickers: dict[str, tuple[str, str]] = dict(DEMO_TICKERS)
        # The public endpoints allow one request a second per address.
        self.public_interval_s = 1.0
        self._public_last: dict[str, float] = {}

    @property
    def api_root(self) -> str:
        return self.base_url + API_PREFIX

    # --- test controls --------------------------------------------------------------------------

    def register_key(self, api_key: str, public_key: Ed25519PublicKey | str) -> None:
        if isinstance(public_key, str):
            loaded = serialization.load_pem_public_key(public_key.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                raise ValueError("Revolut X public keys are Ed25519")
            public_key = loaded
        with self._lock:
            self._keys[api_key] = public_key

    def set_balances(self, balances: Sequence[dict[str, Any]]) -> None:
        self.set_balances_document(list(balances))

    def set_balances_document(self, document: object) -> None:
        """Any JSON document as the `/balances` answer (wrong types included)."""
        body = json.dumps(document, separators=(",", ":")).encode()
        with self._lock:
            self._body = body

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def fail(self, status: int | None, *, times: int | None = 1, **options: Any) -> None:
        self.add_fault(Fault(status=status, times=times, **options))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_skew_ms

    # --- used by the handler --------------------------------------------------------------------

    def next_fault(self, endpoint: str = "balances") -> Fault | None:
        with self._lock:
            fault = next((f for f in self._faults if f.endpoint == endpoint), None)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault

    def balances_body(self) -> bytes:
        with self._lock:
            return self._body

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def check_auth(  # noqa: PLR0911 - one return per way the real service rejects
        self, method: str, raw_path: str, headers: Any, body: bytes, client_ip: str
    ) -> tuple[int, str] | None:
        """None when the request is authentic, else (status, message) as Revolut X answers."""
        if not self.verify_auth:
            return None
        api_key = headers.get("X-Revx-API-Key")
        stamp = headers.get("X-Revx-Timestamp", "")
        signature = headers.get("X-Revx-Signature")
        with self._lock:
            public_key = self._keys.get(api_key or "")
            allowed = self.allowed_ips
        if not api_key or public_key is None:
            return 401, "Invalid API key"
        if allowed is not None and client_ip not in allowed:
            return 401, IP_NOT_ALLOWED
        if not stamp.isdigit():
            return 401, "Invalid request timestamp"
        timestamp = int(stamp)
        now = self.now_ms()
        if timestamp > now + self.future_tolerance_ms:
            return 409, DEFAULT_MESSAGES[409]
        if timestamp < now - self.replay_window_ms:
            return 401, "Request timestamp is too old"
        path, _, query = raw_path.partition("?")
        if not signature or not verify_signature(
            public_key, signature, timestamp_ms=timestamp, method=method, path=path,
            query=query, body=body,
        ):
            return 401, "Invalid signature"
        return None

    def public_too_soon(self, client_ip: str) -> int | None:
        """Milliseconds until `client_ip` may call a public endpoint again, or None."""
        with self._lock:
            now = time.monotonic()
            last = self._public_last.get(client_ip)
            if last is not None and now - last < self.public_interval_s:
                return max(1, int((self.public_interval_s - (now - last)) * 1000))
            self._public_last[client_ip] = now
            return None

    def answer(self, method: str, raw_path: str) -> tuple[int, bytes, str, dict[str, str]]:
        """(status, body, endpoint, headers) for an authentic request."""
        path, _, query = raw_path.partition("?")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if method != "GET":
            return 404, self.error_body(404, None), "", {}
        if path == API_PREFIX + "/balances":
            return 200, self.balances_body(), "balances", {}
        if path in (API_PREFIX + "/tickers", API_PREFIX + "/public/tickers"):
            symbols = [s.replace("-", "/") for s in params.get("symbols", "").split(",") if s]
            region = params.get("region") if path.endswith("/public/tickers") else None
            doc = {
                "data": ticker_entries(self.tickers, symbols, region),
                "metadata": {"timestamp": self.now_ms()},
            }
            return 200, json.dumps(doc).encode(), "tickers", {}
        if path == API_PREFIX + "/public/configuration/pairs":
            return 200, json.dumps(pairs_document(self.tickers)).encode(), "pairs", {}
        return 404, self.error_body(404, None), "", {}

    def error_body(self, status: int, message: str | None) -> bytes:
        text = message or DEFAULT_MESSAGES.get(status) or "Something went wrong!"
        doc = {"error_id": str(uuid.uuid4()), "message": text, "timestamp": self.now_ms()}
        return json.dumps(doc).encode()


class _RevolutXHandler(QuietHandler):
    @property
    def app(self) -> RevolutXSimulator:
        return self.server.app  # type: ignore[attr-defined,no-any-return]

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the simulated clock, as a skewed server's would.
        return formatdate(self.app.now_ms() / 1000, usegmt=True)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        app = self.app
        body = self.read_body()
        public = self.path.startswith(API_PREFIX + "/public/")
        client_ip = self.client_address[0]
        rejected = None if public else app.check_auth(
            method, self.path, self.headers, body, client_ip
        )
        content_type = "application/json"
        headers: dict[str, str] = {}
        fault = None
        wait_ms = app.public_too_soon(client_ip) if public else None
        if rejected is not None:
            status, payload = rejected[0], app.error_body(*rejected)
        elif wait_ms is not None:
            status, payload = 429, app.error_body(429, None)
            headers["Retry-After"] = str(wait_ms)
        else:
            status, payload, endpoint, headers = app.answer(method, self.path)
            fault = app.next_fault(endpoint) if endpoint else None
        if fault is not None:
            if fault.delay_s and app.stopping.wait(fault.delay_s):
                return
            if fault.status is not None:
                status = fault.status
                payload = (
                    fault.body if fault.body is not None else app.error_body(status, fault.message)
                )
                content_type = fault.content_type
            if fault.retry_after_ms is not None:
                headers["Retry-After"] = str(fault.retry_after_ms)
            headers.update(fault.headers)
        app.record(
            RecordedRequest(
                method=method,
                path=self.path,
                api_key=self.headers.get("X-Revx-API-Key"),
                timestamp=self.headers.get("X-Revx-Timestamp"),
                signature=self.headers.get("X-Revx-Signature"),
                status=status,
            )
        )
        if fault is not None and fault.trickle_s:
            self.send_trickle(status, payload, content_type, fault.trickle_s, app.stopping)
            return
        if fault is not None and fault.truncate_to is not None:
            self._send_truncated(status, payload, fault.truncate_to, content_type)
            return
        self.send_bytes(status, payload, content_type=content_type, headers=headers)

    def _send_truncated(self, status: int, payload: bytes, keep: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[:keep])
        self.wfile.flush()
        self.close_connection = True
