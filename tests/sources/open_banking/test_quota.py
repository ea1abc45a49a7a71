"""The unattended-request ledger: 4 per 24 h per key, persisted, rolling, and robust."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from balance_desk.sources.open_banking.quota import QUOTA_FILE, QuotaLedger


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_fifth_request_is_refused_until_the_first_leaves_the_window(tmp_path: Path) -> None:
    clock = Clock()
    ledger = QuotaLedger(tmp_path, clock=clock)
    key = ledger.key("c1", "balances", "acc-1")
    first = clock.now
    for _ in range(4):
        assert ledger.try_reserve(key) is None
        clock.now += timedelta(hours=1)
    assert ledger.try_reserve(key) == first + timedelta(hours=24)
    # Other accounts and endpoints have their own allowance.
    assert ledger.try_reserve(ledger.key("c1", "balances", "acc-2")) is None
    assert ledger.try_reserve(ledger.key("c1", "accounts", "*")) is None
    clock.now = first + timedelta(hours=24, seconds=1)
    assert ledger.try_reserve(key) is None
    assert ledger.try_reserve(key) == first + timedelta(hours=25)


def test_ledger_survives_a_restart_and_a_refusal_records_nothing(tmp_path: Path) -> None:
    clock = Clock()
    key = QuotaLedger.key("c1", "balances", "acc-1")
    for _ in range(4):
        assert QuotaLedger(tmp_path, clock=clock).try_reserve(key) is None
    again = QuotaLedger(tmp_path, clock=clock)
    assert again.try_reserve(key) is not None
    stored = json.loads((tmp_path / QUOTA_FILE).read_text())
    assert len(stored["requests"][key]) == 4


def test_next_allowed_at_for_several_requests(tmp_path: Path) -> None:
    clock = Clock()
    ledger = QuotaLedger(tmp_path, clock=clock)
    key = ledger.key("c1", "balances", "acc-1")
    start = clock.now
    for _ in range(3):
        ledger.try_reserve(key)
        clock.now += timedelta(minutes=10)
    assert ledger.next_allowed_at(key, 1) is None
    assert ledger.next_allowed_at(key, 2) == start + timedelta(hours=24)
    assert ledger.next_allowed_at(key, 3) == start + timedelta(hours=24, minutes=10)


@pytest.mark.parametrize(
    "damage", [b"{not json", b"\xff\xfe", b"[" * 100_000, b'{"requests": {"k": [5]}}', "dir"]
)
def test_a_damaged_ledger_assumes_todays_slots_are_used_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    if damage == "dir":
        (tmp_path / QUOTA_FILE).mkdir()
    else:
        assert isinstance(damage, bytes)
        (tmp_path / QUOTA_FILE).write_bytes(damage)
    clock = Clock()
    ledger = QuotaLedger(tmp_path, clock=clock)
    blocked = ledger.try_reserve("k")
    # Silently starting again would allow 4 more requests the bank may already have counted.
    assert blocked == clock.now + timedelta(hours=24)
    assert any("was damaged" in r.getMessage() for r in caplog.records)
    assert list(tmp_path.glob(f"{QUOTA_FILE}.damaged-*"))  # kept, not deleted
    # Another process reading the new ledger sees the same pause.
    assert QuotaLedger(tmp_path, clock=clock).next_allowed_at("other") is not None
    clock.now += timedelta(hours=24, seconds=1)
    assert QuotaLedger(tmp_path, clock=clock).try_reserve("k") is None


def test_temporary_files_left_by_a_killed_writer_are_cleaned_up(tmp_path: Path) -> None:
    import os
    import time

    stale = tmp_path / f".{QUOTA_FILE}.abc123"
    fresh = tmp_path / f".{QUOTA_FILE}.def456"
    stale.write_text("{")
    fresh.write_text("{")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    QuotaLedger(tmp_path)
    assert not stale.exists() and fresh.exists()  # a writer may still be at work on that one


def test_last_user_present_time_is_remembered(tmp_path: Path) -> None:
    clock = Clock()
    QuotaLedger(tmp_path, clock=clock).mark_user_present()
    assert QuotaLedger(tmp_path, clock=clock).last_user_present_at() == clock.now


def test_concurrent_reservations_never_exceed_the_limit(tmp_path: Path) -> None:
    ledger = QuotaLedger(tmp_path)
    granted: list[bool] = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        barrier.wait()
        granted.append(ledger.try_reserve("k") is None)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 4


def test_a_ledger_that_cannot_be_written_pauses_unattended_requests_only(
    tmp_path: Path,
) -> None:
    """A read-only or missing data folder: the user's own refreshes go on, unattended ones
    cannot be counted and so are not made."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    ledger = QuotaLedger(blocked / "inside")
    ledger.mark_user_present()  # no exception: the user is waiting for their balances
    assert ledger.last_user_present_at() is None
    until = ledger.try_reserve("key")
    assert until is not None and until > datetime.now(UTC)
    assert ledger.next_allowed_at("key") is not None
