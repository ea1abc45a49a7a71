"""The ledger of unattended Open Banking requests (the bank allows 4 per 24 h per account,
endpoint and consent when the user is not present).

Requests are reserved *before* they are sent: the bank counts a request whether or not its answer
reaches us, so a crash or timeout after sending must still use up a slot. The ledger lives in the
data directory and is rewritten atomically, so a cron job and the desktop app share it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from balance_desk.paths import atomic_write_text, move_aside

QUOTA_FILE = "bank-quota.json"
UNATTENDED_LIMIT = 4
WINDOW = timedelta(hours=24)
STALE_TEMP_S = 60.0

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class QuotaLedger:
    """Rolling-window counts of unattended requests, keyed by consent identity, endpoint and
    account. User-present requests are neither limited nor counted."""

    def __init__(
        self,
        directory: Path,
        *,
        limit: int = UNATTENDED_LIMIT,
        clock: Callable[[], datetime] = _now,
        file_name: str = QUOTA_FILE,
    ) -> None:
        self.path = directory / file_name
        self._lock_path = directory / (file_name + ".lock")
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        # Set while the ledger was lost: every key counts as used until then.
        self._all_used_until: datetime | None = None
        _remove_stale_temp_files(directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One reader-modifier-writer at a time, across threads and across processes (the app
        and a cron `snapshot --unattended` share the ledger: neither may take the other's slot)."""
        with self._lock:
            if os.name != "posix":  # pragma: no cover - Windows: the thread lock is what we have
                yield
                return
            import fcntl

            self._lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock

    @staticmethod
    def key(identity: str, endpoint: str, account_id: str) -> str:
        return f"{identity}|{endpoint}|{account_id}"

    def next_allowed_at(self, key: str, count: int = 1) -> datetime | None:
        """None when `count` more requests fit in the window now; else when they will."""
        try:
            with self._locked():
                requests, _ = self._load()
                return self._blocked_until(requests.get(key, []), count)
        except OSError as exc:
            return self._unusable(exc)

    def try_reserve(self, key: str) -> datetime | None:
        """Record one unattended request if it fits. Returns None when recorded, else the time
        at which it would be allowed (nothing is recorded then)."""
        try:
            with self._locked():
                requests, last_present = self._load()
                times = requests.get(key, [])
                blocked = self._blocked_until(times, 1)
                if blocked is not None:
                    return blocked
                requests[key] = [*times, self._clock()]
                self._save(requests, last_present)
                return None
        except OSError as exc:
            return self._unusable(exc)

    def last_user_present_at(self) -> datetime | None:
        try:
            with self._locked():
                return self._load()[1]
        except OSError:
            return None

    def mark_user_present(self) -> None:
        """Remember when the user last asked for data (sent as x-fapi-customer-last-logged-time
        on later unattended requests). A ledger that cannot be written is no reason not to
        fetch while the user waits."""
        try:
            with self._locked():
                requests, _ = self._load()
                self._save(requests, self._clock())
        except OSError as exc:
            log.warning("Cannot write the bank quota ledger %s: %s", self.path,
                        exc.strerror or exc)

    def _unusable(self, exc: OSError) -> datetime:
        """A ledger that cannot be read or written cannot count unattended requests, and the
        bank would hold a fifth against the consent: none are made until it can."""
        log.warning(
            "Cannot use the bank quota ledger %s (%s): unattended bank requests are paused; "
            "refreshing yourself is not limited.", self.path, exc.strerror or exc,
        )
        return self._clock() + WINDOW

    def _blocked_until(self, times: list[datetime], count: int) -> datetime | None:
        if self._all_used_until is not None and self._all_used_until > self._clock():
            return self._all_used_until
        if len(times) + count <= self.limit:
            return None
        # The oldest requests have to leave the window before `count` more fit.
        must_expire = len(times) + count - self.limit
        return sorted(times)[must_expire - 1] + WINDOW

    def _load(self) -> tuple[dict[str, list[datetime]], datetime | None]:
        self._all_used_until = None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            cutoff = self._clock() - WINDOW
            requests = {
                str(key): kept
                for key, stamps in dict(raw.get("requests", {})).items()
                if (kept := [t for s in stamps if (t := _parse(s)) > cutoff])
            }
            present = raw.get("last_user_present_at")
            all_used = raw.get("all_used_until")
            self._all_used_until = _parse(all_used) if all_used else None
            return requests, _parse(present) if present else None
        except FileNotFoundError:
            return {}, None
        except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            return self._damaged(exc)

    def _damaged(self, exc: Exception) -> tuple[dict[str, list[datetime]], datetime | None]:
        """What the ledger said is lost, so today's slots may already be used: the bank would
        count a fifth request against the consent. Assume they are, for the next 24 hours, and
        say so; the damaged file is kept beside it."""
        aside = move_aside(self.path)
        self._all_used_until = self._clock() + WINDOW
        log.warning(
            "The bank quota ledger %s was damaged (%s)%s; unattended bank requests pause until "
            "%s, as today's 4 may already be used. Refreshing yourself is not limited.",
            self.path, type(exc).__name__, f" and was moved aside to {aside.name}" if aside else "",
            self._all_used_until.isoformat(timespec="minutes"),
        )
        with contextlib.suppress(OSError):
            self._save({}, None)
        return {}, None

    def _save(self, requests: dict[str, list[datetime]], last_present: datetime | None) -> None:
        doc = {
            "v": 1,
            "requests": {k: [t.isoformat() for t in v] for k, v in sorted(requests.items())},
            "last_user_present_at": last_present.isoformat() if last_present else None,
            "all_used_until": (
                self._all_used_until.isoformat() if self._all_used_until is not None else None
            ),
        }
        atomic_write_text(self.path, json.dumps(doc, indent=1) + "\n")


def _remove_stale_temp_files(directory: Path) -> None:
    """A kill -9 in the middle of an atomic write leaves its temporary file; clean those up
    (one younger than a minute may belong to a writer still at work)."""
    import time

    with contextlib.suppress(OSError):
        for leftover in directory.glob(f".{QUOTA_FILE}.*"):
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > STALE_TEMP_S:
                    leftover.unlink()


def _parse(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError("timestamp is not a string")
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return stamp
