"""The history database: exact digits back, the same balance not stored twice, a crash never
losing a committed fetch, a damaged file moved aside, two writers at once."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from balance_desk.cli.export import render
from balance_desk.history import HISTORY_FILE, History, Line, result_lines
from balance_desk.model import CryptoBalance, RevolutXResult
from balance_desk.valuation import Prices, RateInputs, Ticker
from tests import REPO

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _lines(btc: str = "0.53340000", eth: str = "3.250000000000000000") -> list[Line]:
    return [Line("BTC", "total", "BTC", btc, btc, "GBP", "53340.00", "ticker"),
            Line("ETH", "total", "ETH", eth, eth)]


def test_a_fetch_comes_back_digit_for_digit(tmp_path: Path) -> None:
    history = History(tmp_path / HISTORY_FILE)
    history.record("revolut_x", T0, _lines())
    rows = list(history.rows())
    history.close()
    assert [(r.key, r.amount, r.value, r.rate_source, r.base) for r in rows] == [
        ("BTC", "0.53340000", "53340.00", "ticker", "GBP"),
        ("ETH", "3.250000000000000000", None, None, None),
    ]
    assert rows[0].time == T0.isoformat() and rows[0].source == "revolut_x"


def test_the_history_and_its_journal_are_the_users_alone(tmp_path: Path) -> None:
    """Balances are private: 0600 like every other file in the data folder, whatever the
    umask, and a file made earlier with looser permissions is tightened."""
    old = os.umask(0o022)
    try:
        history = History(tmp_path / HISTORY_FILE)
        history.record("revolut_x", T0, _lines())
        files = sorted(tmp_path.glob(f"{HISTORY_FILE}*"))
        assert {f.name for f in files} >= {HISTORY_FILE, f"{HISTORY_FILE}-wal"}
        assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}
        history.close()
        (tmp_path / HISTORY_FILE).chmod(0o644)
        History(tmp_path / HISTORY_FILE).close()
        assert oct((tmp_path / HISTORY_FILE).stat().st_mode & 0o777) == "0o600"
    finally:
        os.umask(old)


def test_an_unchanged_balance_is_not_stored_again_but_the_series_knows_it_held(
    tmp_path: Path,
) -> None:
    history = History(tmp_path / HISTORY_FILE)
    assert history.record("revolut_x", T0, _lines()) == 2
    assert history.record("revolut_x", T0 + timedelta(minutes=1), _lines()) == 0
    assert history.record("revolut_x", T0 + timedelta(minutes=2), _lines(btc="0.6")) == 1
    rows = list(history.rows())
    history.close()
    btc = [r.amount for r in rows if r.key == "BTC"]
    assert btc == ["0.53340000", "0.53340000", "0.6"]  # held, held, changed
    db = sqlite3.connect(tmp_path / HISTORY_FILE)
    assert db.execute("SELECT count(*) FROM states").fetchone()[0] == 3
    db.close()


def test_since_until_and_source_choose_the_rows(tmp_path: Path) -> None:
    history = History(tmp_path / HISTORY_FILE)
    for day in range(3):
        history.record("revolut_x", T0 + timedelta(days=day), _lines(btc=str(day)))
    history.record("bank", T0, [Line("acc-1", "InterimAvailable", "GBP", "10.00", "-10.00")])
    assert [r.amount for r in history.rows(since="2026-12-02", source="revolut_x")
            if r.key == "BTC"] == ["1", "2"]
    assert [r.amount for r in history.rows(until="2026-12-02") if r.key == "BTC"] == ["0", "1"]
    assert [r.signed_amount for r in history.rows(source="bank")] == ["-10.00"]
    history.close()


def test_a_damaged_file_is_moved_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    history = History(path)
    assert history.problem is not None and "moved aside" in history.problem
    history.record("revolut_x", T0, _lines())
    assert history.fetch_count() == 1
    history.close()
    assert len(list(tmp_path.glob(f"{HISTORY_FILE}.damaged-*"))) == 1


WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from balance_desk.history import History, Line
history = History(Path(sys.argv[1]))
name = sys.argv[2]
print("ready", flush=True)
for i in range(int(sys.argv[3])):
    history.record(name, datetime.now(UTC), [
        Line(f"{name}-{j}", "total", "BTC", f"{i}.{j}", f"{i}.{j}") for j in range(40)
    ])
print("done", flush=True)
"""


def _writer(path: Path, name: str, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(rounds)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    History(path).close()
    writers = [_writer(path, name, 60) for name in ("app", "cron")]
    for writer in writers:
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0 and out.split() == ["ready", "done"]
    history = History(path)
    assert history.fetch_count() == 120
    history.close()


def test_killing_a_writer_mid_transaction_never_loses_a_committed_fetch(
    tmp_path: Path,
) -> None:
    path = tmp_path / HISTORY_FILE
    for attempt in range(6):
        writer = _writer(path, f"w{attempt}", 10_000)
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.03 * attempt)  # somewhere inside a transaction, most likely
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
        writer.stdout.close()
        history = History(path)
        assert history.problem is None  # still a valid database
        count = history.fetch_count()
        rows = list(history.rows())
        history.close()
        # Every committed fetch is whole: 40 balances each, never a part of one.
        assert len(rows) == count * 40


def test_a_result_stores_every_balance_and_each_total_with_its_value() -> None:
    btc = CryptoBalance(currency="BTC", available=Decimal("0.5"), reserved=Decimal("0.0334"),
                        staked=None, total=Decimal("0.5334"))
    result = RevolutXResult(status="ok", balances=(btc,), fetched_at=T0)
    prices = Prices("GBP", RateInputs((Ticker("BTC", "GBP", Decimal("100000.00"), T0),)))
    lines = result_lines(result, prices)
    assert [(line.balance_type, line.amount) for line in lines] == [
        ("available", "0.5"), ("reserved", "0.0334"), ("total", "0.5334")
    ]
    assert (lines[-1].base, lines[-1].value, lines[-1].rate_source) == (
        "GBP", "53340.000000", "ticker"  # the exact product: 0.5334 x 100000.00
    )


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_round_trips_through_csv_and_json(tmp_path: Path, fmt: str) -> None:
    history = History(tmp_path / HISTORY_FILE)
    history.record("revolut_x", T0, _lines(btc="1234567.00000001"))
    rows = list(history.rows())
    history.close()
    text = render(rows, fmt)
    records = (json.loads(text) if fmt == "json"
               else list(csv.DictReader(io.StringIO(text))))
    assert records[0]["amount"] == "1234567.00000001"  # exact, no thousands separators
    assert records[0]["time"] == "2026-12-01T09:00:00+00:00"
    assert records[0]["value"] == "53340.00" and records[0]["rate_source"] == "ticker"
    assert set(records[0]) == {"time", "source", "account_id_or_currency", "balance_type",
                               "amount", "signed_amount", "currency", "base_currency",
                               "value", "rate_source"}
    if fmt == "csv":
        assert text.splitlines()[0].startswith("time,source,account_id_or_currency")
        assert records[1]["value"] == ""  # no rate: an empty cell, never zero
    else:
        assert records[1]["value"] is None


def test_thinning_keeps_the_last_point_of_each_old_day_and_everything_recent(
    tmp_path: Path,
) -> None:
    history = History(tmp_path / HISTORY_FILE)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    for hour in range(24 * 10):  # ten days, a point an hour, the amount the hour
        history.record("revolut_x", start + timedelta(hours=hour), _lines(btc=str(hour)))
    removed = history.thin(start + timedelta(days=8))
    rows = [r for r in history.rows() if r.key == "BTC"]
    history.close()
    assert removed == 8 * 23
    old = [r for r in rows if r.time < (start + timedelta(days=8)).isoformat()]
    # One point a day for the first eight days, each that day's last (23:00).
    assert [r.amount for r in old] == [str(24 * day + 23) for day in range(8)]
    assert len(rows) - len(old) == 48  # the last two days untouched


def _account(key: str, amount: str) -> list[Line]:
    return [Line(key, "InterimAvailable", "GBP", amount, amount, "GBP", amount, "base",
                 counted=True)]


def test_a_bank_that_could_not_be_read_is_carried_not_dropped(tmp_path: Path) -> None:
    # Two banks; the second fails at the second refresh (its consent lapsed, say). The first
    # bank's new figure is recorded; the second's last one is carried for the chart, so net
    # worth shows no false dip, and the export gives only what was read.
    from balance_desk.present.history_chart import build_chart

    history = History(tmp_path / HISTORY_FILE)
    history.record("bank", T0, _account("acc-a", "100.00") + _account("acc-b", "50.00"))
    later = T0 + timedelta(hours=1)
    history.record("bank", later, _account("acc-a", "120.00"), carried=["acc-b"])
    exported = [(r.time, r.key, r.amount) for r in history.rows()]
    chart = build_chart(history.counted_values(), "GBP", "All")
    history.close()
    assert exported == [
        (T0.isoformat(), "acc-a", "100.00"), (T0.isoformat(), "acc-b", "50.00"),
        (later.isoformat(), "acc-a", "120.00"),
    ]
    bank = chart.named("Bank")
    assert bank is not None
    assert [value for value in bank.values if value is not None] == [Decimal("150.00"),
                                                                     Decimal("170.00")]


V1_FILE = """
import sqlite3, sys
from balance_desk import history
db = sqlite3.connect(sys.argv[1], isolation_level=None)
for statement in history._SCHEMA_V1.split(";"):
    if statement.strip():
        db.execute(statement)
db.execute("INSERT INTO meta VALUES ('schema', '1')")
db.execute("INSERT INTO series VALUES (1, 'bank', 'acc-a', 'InterimAvailable', 'GBP')")
db.execute("INSERT INTO states VALUES (1, 1, '100.00', '100.00', 'GBP', '100.00', 'base', 1)")
db.execute("INSERT INTO fetches VALUES (1, 'bank', '2026-12-01T09:00:00+00:00')")
db.execute("INSERT INTO observations VALUES (1, 1, 1)")
db.close()
"""


def test_a_history_from_the_first_version_is_migrated_with_its_figures(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    subprocess.run([sys.executable, "-c", V1_FILE, str(path)], check=True, timeout=60)
    history = History(path)
    assert history.problem is None
    history.record("bank", T0 + timedelta(hours=1), [], carried=["acc-a"])
    rows = [(r.key, r.amount) for r in history.rows()]
    values = history.counted_values()
    history.close()
    assert rows == [("acc-a", "100.00")]  # read once; carried the second time
    assert [row[4] for row in values] == ["100.00", "100.00"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"
    db.close()
