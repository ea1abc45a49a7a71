"""Revolut X answers that are not a success, turned into the typed error a user can act on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from balance_desk.errors import (
    AuthError,
    ClockError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SourceError,
)
from balance_desk.sources.http import describe_body, retry_after, server_words, when_words

API_KEYS_PAGE = "https://exchange.revolut.com/account/api-keys"
# A server timestamp further off than this is more likely garbage than a real clock error.
PLAUSIBLE_OFFSET_MS = 24 * 3600 * 1000
# A clock this far behind the server's is worth mentioning (and correcting) on a 401.
BEHIND_HINT_MS = 5_000


@dataclass(frozen=True)
class ErrorBody:
    """The documented `{"error_id", "message", "timestamp"}` body, as far as it was there."""

    message: str | None = None
    error_id: str | None = None
    server_time_ms: int | None = None
    not_json: str | None = None  # a few words on a body that is not that JSON


def seconds(ms: int) -> str:
    return f"{abs(ms) / 1000:.1f} s"


def read_error_body(body: bytes, content_type: str | None) -> ErrorBody:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ErrorBody(not_json=describe_body(body, content_type))
    if not isinstance(doc, dict):
        return ErrorBody(not_json="JSON of an unexpected shape")
    message = doc.get("message")
    error_id = doc.get("error_id")
    stamp = doc.get("timestamp")
    return ErrorBody(
        message=(server_words(message) or None) if isinstance(message, str) else None,
        error_id=(server_words(error_id, 100) or None) if isinstance(error_id, str) else None,
        server_time_ms=stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else None,
    )


def date_header_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, IndexError):
        return None


def retry_after_ms(response: httpx.Response) -> int | None:
    """Revolut X sends Retry-After in milliseconds (not the usual seconds); None for no usable
    value (not ASCII digits, a date in the past). A silly wait is clamped to seven days."""
    now = datetime.now(UTC)
    when = retry_after(response.headers.get("Retry-After"), now, unit_s=0.001)
    return None if when is None else int((when - now).total_seconds() * 1000)


def decode_json(
    body: bytes, response: httpx.Response, what: str = "the balance list"
) -> object:
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ProtocolError(
            f"Revolut X sent JSON nested too deeply to be {what} (HTTP {response.status_code}).",
            http_status=response.status_code,
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        kind = describe_body(body, response.headers.get("Content-Type"))
        raise ProtocolError(
            f"Revolut X sent {kind} instead of {what} "
            f"(HTTP {response.status_code}); is the API root right?",
            http_status=response.status_code,
        ) from exc


def measure_offset(response: httpx.Response, info: ErrorBody, local_now_ms: int) -> int | None:
    """How far our clock is ahead of the server's (negative = behind), from the error body's
    timestamp or else the Date header; None when neither gives a plausible time."""
    server_time = info.server_time_ms
    if server_time is None:
        server_time = date_header_ms(response.headers.get("Date"))
    if server_time is None or abs(local_now_ms - server_time) >= PLAUSIBLE_OFFSET_MS:
        return None
    return local_now_ms - server_time


def error_for_response(
    response: httpx.Response, body: bytes, *, api_root: str, local_now_ms: int
) -> tuple[SourceError, int | None]:
    """The typed error for a failed answer, and the clock offset measured from it."""
    status = response.status_code
    info = read_error_body(body, response.headers.get("Content-Type"))
    measured = measure_offset(response, info, local_now_ms)
    said = f": {info.message}" if info.message else ""
    odd = f" The answer was {info.not_json}, not Revolut X's JSON." if info.not_json else ""
    error: SourceError
    if status == 401:
        hint = ""
        if measured is not None and measured <= -BEHIND_HINT_MS:
            hint = (
                f" Also, this computer's clock is {seconds(measured)} behind Revolut X's, "
                "which alone makes requests look stale; turn on automatic time (NTP)."
            )
        error = AuthError(
            f"Revolut X refused the API key or signature (HTTP 401{said}). The usual causes: "
            "the private key does not belong to the public key registered for this API key, "
            "or the API key only accepts whitelisted IP addresses and this computer's "
            f"address is not one of them. Check both at {API_KEYS_PAGE}.{hint}{odd}",
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    elif status == 403:
        error = AuthError(
            f"Revolut X refused access (HTTP 403{said}). The API key may not be allowed to "
            f"read balances; check its permissions at {API_KEYS_PAGE}.{odd}",
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    elif status == 409:
        by = f"by about {seconds(measured)} " if measured is not None and measured > 0 else ""
        error = ClockError(
            f"This computer's clock is ahead of Revolut X's {by}(HTTP 409{said}); requests "
            "look as if they come from the future. Turn on automatic time (NTP) in your "
            f"system settings.{odd}",
            offset_ms=measured,
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    elif status == 429:
        wait_ms = retry_after_ms(response)
        retry_at = None
        when = "in a minute"
        if wait_ms is not None:
            now = datetime.now(UTC)
            retry_at = now + timedelta(milliseconds=wait_ms)
            when = f"after {when_words(retry_at, now)}"
        error = RateLimitedError(
            f"Revolut X is limiting how often we ask (HTTP 429{said}); it will answer again "
            f"{when}.{odd}",
            retry_at=retry_at,
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    elif status >= 500:
        error = ServerError(
            f"Revolut X had a server problem (HTTP {status}{said}); try again later.{odd}",
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    elif 300 <= status < 400:
        error = ServerError(
            f"Revolut X redirected the request to {response.headers.get('Location', '?')} "
            f"(HTTP {status}); check the API root ({api_root}).",
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    else:
        error = ServerError(
            f"Revolut X answered HTTP {status}{said} for {response.url.path}; check the API "
            f"root ({api_root}).{odd}",
            http_status=status,
            server_message=info.message,
            error_id=info.error_id,
        )
    return error, measured
