"""Revolut X as a Source: reads the keyring at every fetch, reuses one signed client."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from balance_desk.config import RevolutXSettings
from balance_desk.errors import ConfigError, InternalError, SourceError
from balance_desk.model import RevolutXResult
from balance_desk.sources.base import SourceName
from balance_desk.sources.http import DEFAULT_TIMEOUT, Deadlines, error_without_secrets
from balance_desk.sources.revolut_x.client import SERVICE, RetryPolicy, RevolutXClient
from balance_desk.sources.revolut_x.keys import load_private_key
from balance_desk.sources.revolut_x.parse import parse_balances

if TYPE_CHECKING:
    from balance_desk.credentials import CredentialStore, RevolutXCredentials

__all__ = ["SERVICE", "RetryPolicy", "RevolutXClient", "RevolutXSource", "parse_balances"]

log = logging.getLogger(__name__)


class RevolutXSource:
    """Reads credentials at every fetch (they may have been changed) and reuses one client."""

    name: SourceName = "revolut_x"

    def __init__(
        self,
        store: CredentialStore,
        settings: RevolutXSettings,
        *,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadlines: Deadlines | None = None,
    ) -> None:
        self._deadlines = deadlines
        self._store = store
        self._settings = settings
        self._policy = policy
        self._timeout = timeout
        self._lock = threading.Lock()
        self._client: RevolutXClient | None = None
        self._client_key: tuple[str, str, str, str | None] | None = None
        self._clock_offset_ms = 0

    @property
    def clock_offset_ms(self) -> int:
        """How far this computer's clock was found to be ahead of the server's (0 = in sync)."""
        return self._clock_offset_ms

    def is_configured(self) -> bool:
        try:
            return self._store.get_revolut_x() is not None
        except ConfigError:
            return True  # configured but unreadable: fetch reports why

    def fetch(self, *, user_present: bool) -> RevolutXResult:
        with self._lock:
            secrets: list[str] = []
            try:
                creds = self._store.get_revolut_x()
                if creds is None:
                    return RevolutXResult(status="not_configured")
                secrets.append(creds.api_key.strip())
                client = self._client_for(creds)
                balances = client.get_balances()
            except SourceError as exc:
                # A server may echo our headers back: never show the API key it read there.
                info = error_without_secrets(exc.to_info(), secrets)
                log.warning("Revolut X: %s", info.message)
                return RevolutXResult(status="error", error=info, fetched_at=_now())
            except Exception as exc:  # a bug: this source's failure, never anyone else's
                log.exception("Revolut X fetch failed unexpectedly")
                failure = InternalError.from_bug(exc, "Revolut X")
                return RevolutXResult(status="error", error=failure.to_info(), fetched_at=_now())
            self._clock_offset_ms = client.clock_offset_ms
            return RevolutXResult(
                status="ok",
                balances=balances,
                fetched_at=_now(),
                clock_offset_ms=client.clock_offset_ms or None,
            )

    def _client_for(self, creds: RevolutXCredentials) -> RevolutXClient:
        key = (creds.api_key, creds.private_key_pem, self._settings.url, self._settings.ca_bundle)
        if self._client is not None and self._client_key == key:
            return self._client
        self.close()
        private_key = load_private_key(creds.private_key_pem, source="The stored private key")
        self._client = RevolutXClient(
            creds.api_key,
            private_key,
            api_root=self._settings.url,
            ca_bundle=self._settings.ca_bundle,
            timeout=self._timeout,
            policy=self._policy,
            clock_offset_ms=self._clock_offset_ms,
            deadlines=self._deadlines,
        )
        self._client_key = key
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            self._client_key = None


def _now() -> datetime:
    return datetime.now(UTC)
