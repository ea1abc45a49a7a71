"""The signed Revolut X HTTP client: one request per attempt, each freshly signed.

It signs the request object it is about to send (its exact path, query and body bytes), so
what is signed is what goes on the wire.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from balance_desk import __version__
from balance_desk.config import REVOLUT_X_DEFAULT_URL
from balance_desk.errors import (
    ClockError,
    ConfigError,
    NetworkError,
    RateLimitedError,
    ServerError,
    SourceError,
)
from balance_desk.model import CryptoBalance
from balance_desk.sources.http import (
    DEFAULT_TIMEOUT,
    MAX_BODY_BYTES,
    Deadlines,
    backoff_delay,
    check_api_root,
    make_transport,
    send_capped,
    with_deadlines,
    without_secrets,
)
from balance_desk.sources.revolut_x.errors import (
    API_KEYS_PAGE,
    BEHIND_HINT_MS,
    decode_json,
    error_for_response,
    retry_after_ms,
    seconds,
)
from balance_desk.sources.revolut_x.parse import parse_balances
from balance_desk.sources.revolut_x.signing import RequestSigner

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SERVICE = "Revolut X"
_FIXED_HEADERS = {"Accept": "application/json", "User-Agent": f"balance-desk/{__version__}"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2  # extra attempts after a 5xx or network failure
    backoff_s: float = 0.5
    backoff_cap_s: float = 4.0
    max_retry_after_ms: int = 5_000  # a longer 429 wait is reported instead of slept through
    rate_limit_waits: int = 1  # once, as for the bank (sources.http.SHORT_RATE_LIMIT_WAIT)


class RevolutXClient:
    """One authenticated HTTP client. Reuse it: the clock offset it learns is kept."""

    def __init__(
        self,
        api_key: str,
        private_key: Ed25519PrivateKey | str,
        *,
        api_root: str = REVOLUT_X_DEFAULT_URL,
        ca_bundle: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        clock_offset_ms: int = 0,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        deadlines: Deadlines | None = None,
    ) -> None:
        if not api_key.strip():
            raise ConfigError(
                "The Revolut X API key is not set yet: after adding the public key at "
                f"{API_KEYS_PAGE}, store the API key with `balance-desk keys set revolut-x`."
            )
        if not (api_key.strip().isascii() and api_key.strip().isprintable()):
            raise ConfigError(
                "The stored Revolut X API key has characters an API key never has; set it "
                "again with `balance-desk keys set revolut-x`."
            )
        self._api_key = api_key.strip()
        self._signer = RequestSigner(private_key)
        self.api_root = check_api_root(api_root, service=SERVICE)
        self._policy = policy or RetryPolicy()
        self._max_body = max_body_bytes
        self._clock = clock
        self._sleep = sleep
        self.clock_offset_ms = clock_offset_ms
        self._last_timestamp = 0
        # One transport, used directly: no cookie jar (an API client has no use for one and
        # should not carry state between calls) and no redirects (they would change the
        # signed path). That also keeps our per-request cost at a bare GET's.
        self._transport = make_transport(self.api_root, ca_bundle, service=SERVICE)
        self._deadlines = deadlines or Deadlines()
        self._backend = with_deadlines(self._transport)
        self._timeout = timeout.as_dict()

    def __repr__(self) -> str:
        return f"RevolutXClient(api_root={self.api_root!r}, api_key='***')"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> RevolutXClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public calls --------------------------------------------------------------------------

    def get_balances(self) -> tuple[CryptoBalance, ...]:
        return parse_balances(self.get_json("/balances"))

    def get_json(self, path: str, what: str = "the balance list") -> object:
        """GET `api_root + path`, signed, with retries; the parsed JSON of a 2xx answer. Each
        attempt ends within the request deadline, all of them within the fetch deadline."""
        self._backend.fetch_deadline = time.monotonic() + self._deadlines.fetch_s
        try:
            return self._get_json(path, what)
        finally:
            self._backend.fetch_deadline = None

    def _get_json(self, path: str, what: str) -> object:
        url = httpx.URL(self.api_root + path)
        policy = self._policy
        failures = rate_waits = 0
        clock_retried = False
        while True:
            request = self._signed_request("GET", url)
            started = time.perf_counter()
            try:
                response, body = send_capped(
                    self._transport, request, service=SERVICE, cap=self._max_body,
                    deadline_s=self._deadlines.request_s,
                )
            except NetworkError as broken:
                if failures < policy.retries:
                    failures += 1
                    self._retry_after_failure(broken, failures)
                    continue
                raise
            log.debug(
                "GET %s -> %s in %.0f ms",
                request.url.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            if response.is_success:
                return decode_json(body, response, what)
            error, measured = error_for_response(
                response, body, api_root=self.api_root, local_now_ms=int(self._clock() * 1000)
            )
            if not clock_retried and self._learn_offset(error, measured):
                clock_retried = True
                continue
            wait_ms = retry_after_ms(response)
            if (
                isinstance(error, RateLimitedError)
                and wait_ms is not None
                and wait_ms <= policy.max_retry_after_ms
                and rate_waits < policy.rate_limit_waits
            ):
                if not self._time_left_for(wait_ms / 1000):
                    raise error
                rate_waits += 1
                log.info("Revolut X rate limit: waiting %d ms", wait_ms)
                self._sleep(wait_ms / 1000)
                continue
            retryable = isinstance(error, ServerError) and response.status_code >= 500
            if retryable and failures < policy.retries:
                failures += 1
                self._retry_after_failure(error, failures)
                continue
            raise error

    # --- signing and the clock -----------------------------------------------------------------

    def _timestamp_ms(self) -> int:
        # Strictly increasing, so even back-to-back retries never reuse a timestamp.
        now = int(self._clock() * 1000) - self.clock_offset_ms
        self._last_timestamp = max(now, self._last_timestamp + 1)
        return self._last_timestamp

    def auth_headers(self, method: str, raw_path: bytes, body: bytes = b"") -> dict[str, str]:
        """The three Revolut X headers for one attempt (`raw_path` includes any `?query`)."""
        path, _, query = raw_path.partition(b"?")
        timestamp = self._timestamp_ms()
        signature = self._signer.sign(
            timestamp, method, path.decode("ascii"), query.decode("ascii"), body
        )
        return {
            "X-Revx-API-Key": self._api_key,
            "X-Revx-Timestamp": str(timestamp),
            "X-Revx-Signature": signature,
        }

    def _signed_request(self, method: str, url: httpx.URL, body: bytes = b"") -> httpx.Request:
        headers = self.auth_headers(method, url.raw_path, body)
        headers.update(_FIXED_HEADERS)
        request = httpx.Request(
            method, url, headers=headers, content=body or None,
            extensions={"timeout": self._timeout},
        )
        if request.url.raw_path != url.raw_path or request.content != body:
            # Signing other bytes than the ones sent would fail as a baffling 401.
            raise RuntimeError("the request changed after signing")
        return request

    def _learn_offset(self, error: SourceError, offset: int | None) -> bool:
        """Adopt the measured clock offset when retrying with it can cure `error`."""
        if offset is None:
            return False
        if isinstance(error, ClockError):
            if offset <= 0:
                return False  # the server's clock is not behind ours; a retry cannot help
        elif error.http_status != 401 or offset > -BEHIND_HINT_MS:
            return False  # the clock is not the reason for this failure
        log.warning(
            "This computer's clock is %s %s Revolut X's; correcting request timestamps",
            seconds(offset),
            "ahead of" if offset > 0 else "behind",
        )
        self.clock_offset_ms = offset
        self._last_timestamp = 0  # the corrected clock may step back; that is the point
        return True

    def _time_left_for(self, wait_s: float) -> bool:
        """Whether waiting `wait_s` still leaves the fetch time to try again."""
        left = self._backend.left()
        return left is None or left > wait_s + 1.0

    def _retry_after_failure(self, error: SourceError, failures: int) -> None:
        delay = backoff_delay(
            failures - 1, base_s=self._policy.backoff_s, cap_s=self._policy.backoff_cap_s
        )
        if not self._time_left_for(delay):
            raise error
        log.warning(
            "%s Retrying in %.1f s (%d/%d).", without_secrets(str(error), [self._api_key]),
            delay, failures, self._policy.retries,
        )
        self._sleep(delay)
