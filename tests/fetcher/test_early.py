"""The fetch process started before the window (fetcher/early.py): adopted by the app when it
prepares the same sources, its first fetches already under way; let go otherwise."""

from __future__ import annotations

import time

from balance_desk.fetcher import early
from balance_desk.fetcher.parent import FetchHost, HostedFactory
from balance_desk.present.formatting import NumberFormat

DEMO = "balance_desk.fetcher.targets:demo_sources"


def _gone(process: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:  # type: ignore[attr-defined]
            return True
        time.sleep(0.02)
    return False


def test_a_process_started_early_is_adopted_and_answers_at_once() -> None:
    early.start_early(DEMO, prefetch=True)
    started = early._early[DEMO]
    host = FetchHost(HostedFactory(DEMO), NumberFormat())
    try:
        assert sorted(host.start()) == ["bank", "revolut_x"]
        assert host.pid == started.pid  # the same process: no second start-up
        crypto = host.fetch("revolut_x", True)  # the first fetch, started before it was asked
        bank = host.fetch("bank", True)
        assert crypto.result.status == bank.result.status == "ok"
        assert crypto.table is not None and crypto.table.rows
        assert crypto.overview is not None  # valued, as in any fetch
        again = host.fetch("revolut_x", True)  # later fetches are fetched when asked
        assert again.result.status == "ok" and again.result.fetched_at is not None
        assert crypto.result.fetched_at is not None
        assert again.result.fetched_at > crypto.result.fetched_at
    finally:
        host.close()
    assert _gone(started, 10)


def test_a_process_prepared_for_other_sources_is_let_go() -> None:
    early.start_early("balance_desk.fetcher.targets:user_sources", prefetch=False)
    unused = early._early["balance_desk.fetcher.targets:user_sources"]
    host = FetchHost(HostedFactory(DEMO), NumberFormat())
    try:
        host.start()
        assert host.pid is not None and host.pid != unused.pid
    finally:
        host.close()
    assert _gone(unused, 10)
    assert early._early == {}


def test_quitting_before_the_window_needed_it_ends_it() -> None:
    early.start_early(DEMO, prefetch=True)
    started = early._early[DEMO]
    early.drop()
    assert _gone(started, 10)
