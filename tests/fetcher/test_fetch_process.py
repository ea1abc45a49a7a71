"""The fetch process: the app's sources run, parse and format there, and only finished rows reach
the window's process. Real processes, real simulators on loopback."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from balance_desk.fetcher.outcome import SetupError, run_fetch
from balance_desk.fetcher.parent import EXIT_TIMEOUT_S, FetchHost, HostedFactory
from balance_desk.gui.poller import Poller
from balance_desk.present.formatting import NumberFormat
from balance_desk.simulator.demo import DemoEnvironment, start_demo
from balance_desk.simulator.revolut_x.server import Fault
from balance_desk.sources.factory import build_sources
from tests import REPO

NUMBER = NumberFormat()


def given(env: DemoEnvironment) -> HostedFactory:
    """The demo environment's keys and settings, handed to the fetch process over its pipe."""
    return HostedFactory(
        "balance_desk.fetcher.targets:given_sources",
        (env.store.get_revolut_x(), env.store.get_bank(), env.settings),
    )


@pytest.fixture(name="env")
def env_fixture() -> Iterator[DemoEnvironment]:
    with start_demo() as env:
        yield env


@pytest.fixture(name="host")
def host_fixture(env: DemoEnvironment) -> Iterator[FetchHost]:
    host = FetchHost(given(env), NUMBER)
    yield host
    host.close()


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split()[2] == "Z":
            return True  # exited; its parent has not collected it yet
        time.sleep(0.02)
    return False


def test_rows_from_the_fetch_process_are_the_rows_built_in_process(
    env: DemoEnvironment, host: FetchHost
) -> None:
    assert sorted(host.start()) == ["bank", "revolut_x"]
    assert all(configured for _name, configured in host.configured())
    local = {s.name: s for s in build_sources(env.store, env.settings)}
    for name in ("revolut_x", "bank"):
        remote = host.fetch(name, True)
        here, _ = run_fetch(local[name], True, NUMBER, None)
        local[name].close()
        assert remote.result.status == here.result.status == "ok"
        assert remote.table is not None and here.table is not None
        assert [r.texts for r in remote.table.rows] == [r.texts for r in here.table.rows]
        assert [r.values for r in remote.table.rows] == [r.values for r in here.table.rows]
        assert remote.table.totals == here.table.totals
    # The process that parses never loads Qt: it stays small and holds no GUI state.
    assert host.pid is not None
    maps = mapped_files(host.pid)
    assert "libQt6" not in maps and "PySide6" not in maps


def test_a_server_error_crosses_with_its_message_and_id(
    env: DemoEnvironment, host: FetchHost
) -> None:
    host.start()
    env.revolut_x.fail(503, times=None, message="Down for maintenance")
    outcome = host.fetch("revolut_x", True)
    assert outcome.result.status == "error" and outcome.table is None
    error = outcome.result.error
    assert error is not None and error.kind == "server"
    assert error.http_status == 503 and error.error_id
    assert "Down for maintenance" in (error.server_message or "")


def test_a_fetch_process_that_dies_is_reported_then_replaced(
    env: DemoEnvironment, host: FetchHost
) -> None:
    host.start()
    first = host.pid
    assert first is not None
    env.revolut_x.add_fault(Fault(status=None, delay_s=5.0))
    killer_delay = 0.5

    def kill_soon() -> None:
        time.sleep(killer_delay)
        os.kill(first, signal.SIGKILL)

    threading.Thread(target=kill_soon, daemon=True).start()
    started = time.monotonic()
    outcome = host.fetch("revolut_x", True)
    assert time.monotonic() - started < 4.0  # not the 5 s the server would have taken
    assert outcome.result.status == "error"
    assert outcome.result.error is not None
    assert "fetching process stopped unexpectedly" in outcome.result.error.message
    assert "starts again at the next refresh" in outcome.result.error.message

    env.revolut_x.clear_faults()
    again = host.fetch("revolut_x", True)
    assert again.result.status == "ok" and again.table is not None
    assert host.pid not in (None, first)


def test_sources_that_cannot_be_set_up_say_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # so that the process finds tests.fetcher.targets
    caplog.set_level(logging.WARNING)
    with pytest.raises(SetupError) as raised:
        FetchHost(HostedFactory("tests.fetcher.targets:broken"), NUMBER).start()
    assert raised.value.info.kind == "config"
    assert "/nowhere/cert.pem does not exist" in raised.value.info.message
    # The fetch process's log lines reach the window's log (which owns the log file).
    assert any(
        r.name == "balance_desk.fetcher.child" and "/nowhere/cert.pem" in r.getMessage()
        for r in caplog.records
    )


def test_quitting_mid_request_stops_the_thread_and_the_fetch_process(
    qtbot: QtBot, env: DemoEnvironment
) -> None:
    env.revolut_x.add_fault(Fault(status=None, times=None, delay_s=10.0))
    hosts: list[FetchHost] = []

    def recording_factory() -> FetchHost:
        hosts.append(FetchHost(given(env), NUMBER))
        return hosts[-1]

    poller = Poller(recording_factory, crypto_interval_s=3600, bank_interval_s=3600)
    poller.start()

    def bank_done() -> None:
        bank = poller.latest("bank")
        assert bank is not None and bank.done

    qtbot.waitUntil(bank_done, timeout=10_000)
    crypto = poller.latest("revolut_x")
    assert crypto is not None and crypto.refreshing
    pids = [host.pid for host in hosts]
    started = time.monotonic()
    assert poller.stop(timeout_s=2.0)
    assert time.monotonic() - started < 2.0
    assert pids and pids[0] is not None
    assert wait_gone(pids[0], EXIT_TIMEOUT_S + 1.0)


def test_a_stuck_fetch_process_is_stopped_and_replaced(
    monkeypatch: pytest.MonkeyPatch, env: DemoEnvironment, host: FetchHost
) -> None:
    from balance_desk.fetcher import parent

    host.start()
    stuck = host.pid
    monkeypatch.setattr(parent, "FETCH_TIMEOUT_S", 0.5)
    env.revolut_x.add_fault(Fault(status=None, delay_s=30.0))  # far past the timeout
    started = time.monotonic()
    outcome = host.fetch("revolut_x", True)
    assert time.monotonic() - started < 15.0  # the timeout, not the 30 s answer
    assert outcome.result.status == "error" and outcome.result.error is not None
    assert "stopped unexpectedly" in outcome.result.error.message
    assert stuck is not None and wait_gone(stuck, 5.0)
    env.revolut_x.clear_faults()
    # The replacement process gets the normal timeout: it must start Python, which on a busy
    # machine can take longer than the 0.5 s given to the stuck one.
    monkeypatch.setattr(parent, "FETCH_TIMEOUT_S", 600.0)
    assert host.fetch("revolut_x", True).result.status == "ok"


def test_a_failed_refresh_brings_back_the_last_good_table_as_the_same_table(
    env: DemoEnvironment, host: FetchHost
) -> None:
    host.start()
    good = host.fetch("revolut_x", True)
    assert good.table is not None
    env.revolut_x.fail(503, times=None)
    failed = host.fetch("revolut_x", True)
    assert failed.result.status == "error"
    # Kept in the fetch process, sent again, and recognisably the same table (the window does
    # not show it anew, so the selection and scroll position stay).
    assert failed.table is not None and failed.table is not good.table
    assert failed.table.serial == good.table.serial
    assert failed.table.rows == good.table.rows
    env.revolut_x.clear_faults()
    fresh = host.fetch("revolut_x", True)
    assert fresh.table is not None and fresh.table.serial != good.table.serial


def test_the_last_figures_come_before_the_keyring_answers(tmp_path: Path) -> None:
    # A locked keyring asks its user for a password, and waits. The history's last figures
    # need no key: they reach the window meanwhile, not after the user has typed it.
    from datetime import UTC, datetime

    from balance_desk.fetcher.outcome import FetchOutcome
    from balance_desk.history import History, result_lines
    from balance_desk.model import CryptoBalance, RevolutXResult

    when = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    balance = CryptoBalance.model_validate(
        {"currency": "BTC", "available": "0.5234", "reserved": "0.01", "total": "0.5334"}
    )
    last = RevolutXResult(status="ok", balances=[balance], fetched_at=when)
    history_file = tmp_path / "history.sqlite3"
    history = History(history_file)
    history.record("revolut_x", when, result_lines(last, None), document=last.model_dump_json())
    history.close()
    gate = tmp_path / "unlocked"
    host = FetchHost(HostedFactory("tests.fetcher.targets:locked_keyring",
                                   (str(history_file), str(gate))), NUMBER)
    shown: list[FetchOutcome] = []
    arrived = threading.Event()
    names: list[str] = []

    def sink(outcomes: tuple[FetchOutcome, ...]) -> None:
        shown.extend(outcomes)
        arrived.set()

    starter = threading.Thread(target=lambda: names.extend(host.start(sink)), daemon=True)
    starter.start()
    try:
        assert arrived.wait(30)
        assert starter.is_alive() and not names  # the keyring has not answered yet
        assert [o.result_name for o in shown] == ["revolut_x"]
        table = shown[0].table
        assert table is not None and [row.texts[0] for row in table.rows] == ["BTC"]
        gate.touch()
        starter.join(30)
        assert names == ["revolut_x"]
    finally:
        gate.touch()
        host.close()
