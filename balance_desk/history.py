"""The history of every successful fetch, in SQLite in the data directory: each balance as sent
(exact decimal strings), its value and the rate's source, and the time.

- One transaction per fetch, WAL journal, `synchronous=NORMAL`: a crash or a kill at any moment
  leaves every committed fetch intact; two processes (the app and a cron `snapshot`) may write at
  once (each waits for the other's transaction, up to `BUSY_TIMEOUT_MS`).
- A balance identical to its last stored state is not stored again: each fetch records which
  state each series was in (a few integers), so the series still knows it held.
- A bank fetch that read some accounts and not others (one of several banks failed) is
  recorded: the accounts read as usual, the others carried at their last state and marked so.
  The chart sums both (no false dip while one bank is down); the export gives only what was
  read.
- A schema version, with migrations from the first version on.
- A damaged file is moved aside (`history.sqlite3.damaged-<time>`), said, and a new one started.

Qt-free: the CLI and the fetch process both write here.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from balance_desk.money import plain
from balance_desk.paths import make_private, move_aside

if TYPE_CHECKING:
    from decimal import Decimal

    from balance_desk.model import BankResult, RevolutXResult
    from balance_desk.valuation import Rate


class PriceSource(Protocol):
    """What `result_lines` needs of the prices: `valuation.Prices`, or the rates a shown
    valuation used (`valuation.Valuation.price_source`)."""

    @property
    def base(self) -> str: ...

    def value(self, amount: Decimal, currency: str) -> tuple[Decimal | None, Rate | None]: ...

HISTORY_FILE = "history.sqlite3"
SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    key TEXT NOT NULL,          -- the account id, or the currency for crypto
    balance_type TEXT NOT NULL, -- as the bank sent it, or available/reserved/staked/total
    currency TEXT NOT NULL,
    UNIQUE (source, key, balance_type, currency)
);
CREATE TABLE IF NOT EXISTS states (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    amount TEXT NOT NULL,
    signed_amount TEXT NOT NULL,
    base TEXT,
    value TEXT,
    rate_source TEXT,
    counted INTEGER NOT NULL DEFAULT 0  -- 1: part of net worth (a crypto total, an account's
                                        -- chosen balance), so the history can sum it
);
CREATE INDEX IF NOT EXISTS states_by_series ON states (series_id, id);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL    -- ISO 8601, UTC
);
CREATE INDEX IF NOT EXISTS fetches_by_time ON fetches (fetched_at);
CREATE TABLE IF NOT EXISTS last_results (
    source TEXT PRIMARY KEY,
    fetched_at TEXT NOT NULL,
    document TEXT NOT NULL      -- the whole result (accounts, dates, credit lines), for the
                                -- first paint of the next start
);
CREATE TABLE IF NOT EXISTS observations (
    fetch_id INTEGER NOT NULL REFERENCES fetches(id),
    series_id INTEGER NOT NULL REFERENCES series(id),
    state_id INTEGER NOT NULL REFERENCES states(id),
    PRIMARY KEY (fetch_id, series_id)
) WITHOUT ROWID;
"""
# Migrations from each version to the next; version 1 is the schema above.
_MIGRATIONS: dict[int, str] = {
    # carried = 1: the account was not read in this fetch; its last state is assumed to hold.
    2: "ALTER TABLE observations ADD COLUMN carried INTEGER NOT NULL DEFAULT 0",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One balance of one fetch, as it is stored."""

    key: str
    balance_type: str
    currency: str
    amount: str
    signed_amount: str
    base: str | None = None
    value: str | None = None
    rate_source: str | None = None
    # Part of net worth: a crypto total, or the balance that stands for a bank account.
    counted: bool = False


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One balance at one fetch, as exported."""

    time: str
    source: str
    key: str
    balance_type: str
    amount: str
    signed_amount: str
    currency: str
    base: str | None
    value: str | None
    rate_source: str | None


class History:
    """The history database. `problem` says, in one sentence, when a damaged file was moved
    aside and a new one started."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = move_aside(path)
            for extra in ("-wal", "-shm"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
            where = f"moved aside to {aside.name}" if aside else "could not be moved aside"
            self.problem = (
                f"The history file {path} was damaged ({exc}); it was {where} and a new one "
                "started. Your balances are not affected."
            )
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite gives its journal (-wal, -shm) the database file's permissions.
        make_private(self.path)
        # One connection, used by either source's fetch thread in turn (under `_lock`).
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {check}")
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        def run(script: str) -> None:
            # One statement at a time: executescript() would commit the transaction first.
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)

        db.execute("BEGIN IMMEDIATE")
        try:
            run(_SCHEMA_V1)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            version = int(row[0]) if row else 1  # a new file: the first schema, then onwards
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"written by a newer Balance Desk (schema {version})"
                )
            while version < SCHEMA_VERSION:
                version += 1
                run(_MIGRATIONS[version])
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                       (str(version),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close; a record still in progress on another thread finishes first."""
        with self._lock:
            self._db.close()

    # --- writing ----------------------------------------------------------------------------

    def record(
        self, source: str, fetched_at: datetime, lines: Iterable[Line],
        document: str | None = None, *, carried: Iterable[str] = (),
    ) -> int:
        """Store one fetch in one transaction; the number of new balance states stored (a
        balance the same as its last stored state is referred to, not stored again).
        `document`, the whole result as JSON, is kept (the latest only) for the next start's
        first paint. `carried`: keys (accounts) not read this time, whose every series is
        carried at its last state (see the module's docstring)."""
        with self._lock:
            return self._record(source, fetched_at, list(lines), document, tuple(carried))

    def _record(
        self, source: str, fetched_at: datetime, lines: list[Line], document: str | None,
        carried: tuple[str, ...] = (),
    ) -> int:
        db = self._db
        stored = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            if document is not None:
                db.execute(
                    "INSERT OR REPLACE INTO last_results (source, fetched_at, document) "
                    "VALUES (?, ?, ?)", (source, fetched_at.isoformat(), document),
                )
            fetch_id = db.execute(
                "INSERT INTO fetches (source, fetched_at) VALUES (?, ?)",
                (source, fetched_at.isoformat()),
            ).lastrowid
            for line in lines:
                series_id = self._series(source, line)
                last = db.execute(
                    "SELECT id, amount, signed_amount, base, value, rate_source, counted FROM "
                    "states WHERE series_id = ? ORDER BY id DESC LIMIT 1", (series_id,),
                ).fetchone()
                state = (line.amount, line.signed_amount, line.base, line.value,
                         line.rate_source, int(line.counted))
                if last is not None and tuple(last[1:]) == state:
                    state_id = last[0]
                else:
                    state_id = db.execute(
                        "INSERT INTO states (series_id, amount, signed_amount, base, value, "
                        "rate_source, counted) VALUES (?, ?, ?, ?, ?, ?, ?)", (series_id, *state),
                    ).lastrowid
                    stored += 1
                db.execute(
                    "INSERT OR REPLACE INTO observations (fetch_id, series_id, state_id) "
                    "VALUES (?, ?, ?)", (fetch_id, series_id, state_id),
                )
            for key in carried:
                db.execute(
                    "INSERT OR IGNORE INTO observations (fetch_id, series_id, state_id, carried) "
                    "SELECT ?, s.id, max(st.id), 1 FROM series s JOIN states st "
                    "ON st.series_id = s.id WHERE s.source = ? AND s.key = ? GROUP BY s.id",
                    (fetch_id, source, key),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return stored

    def _series(self, source: str, line: Line) -> int:
        key = (source, line.key, line.balance_type, line.currency)
        row = self._db.execute(
            "SELECT id FROM series WHERE source = ? AND key = ? AND balance_type = ? AND "
            "currency = ?", key,
        ).fetchone()
        if row is not None:
            return int(row[0])
        new = self._db.execute(
            "INSERT INTO series (source, key, balance_type, currency) VALUES (?, ?, ?, ?)", key
        ).lastrowid
        assert new is not None
        return new

    # --- reading ----------------------------------------------------------------------------

    def rows(
        self, *, since: str | None = None, until: str | None = None, source: str | None = None
    ) -> Iterator[HistoryRow]:
        """Every balance read at every fetch, oldest first (`since`/`until`: ISO dates or
        times, `until` inclusive of its whole day when it is a date); balances carried while
        their account could not be read are not rows of their own."""
        clauses, params = ["o.carried = 0"], []
        if since:
            clauses.append("f.fetched_at >= ?")
            params.append(since)
        if until:
            clauses.append("f.fetched_at < ?")
            params.append(until + ("T24" if len(until) == 10 else "~"))
        if source:
            clauses.append("f.source = ?")
            params.append(source)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # Only fixed clauses are joined in; every value is a bound parameter.
        query = (
            "SELECT f.fetched_at, f.source, s.key, s.balance_type, st.amount, st.signed_amount, "  # noqa: S608
            "s.currency, st.base, st.value, st.rate_source FROM observations o "
            "JOIN fetches f ON f.id = o.fetch_id JOIN series s ON s.id = o.series_id "
            f"JOIN states st ON st.id = o.state_id {where} "
            "ORDER BY f.fetched_at, f.id, s.source, s.key, s.balance_type"
        )
        with self._lock:
            found = self._db.execute(query, params).fetchall()
        for row in found:
            yield HistoryRow(*row)

    def counted_values(
        self, *, since: str | None = None, bucket_s: int = 1
    ) -> list[tuple[str, str, str, str, str, str]]:
        """(time, source, series, currency, value, base) of every counted balance with a value,
        oldest first: what the net worth chart is made of. Only the last fetch of each source
        in each `bucket_s` is read, so that a year of 30-second refreshes stays a few thousand
        points."""
        query = (
            "WITH chosen AS (SELECT max(id) AS id FROM fetches WHERE fetched_at >= ? "
            "GROUP BY source, CAST(strftime('%s', substr(fetched_at, 1, 19)) AS INTEGER) / ?) "
            "SELECT f.fetched_at, f.source, s.key || '|' || s.balance_type, s.currency, "
            "st.value, st.base FROM chosen JOIN fetches f ON f.id = chosen.id "
            "JOIN observations o ON o.fetch_id = f.id JOIN series s ON s.id = o.series_id "
            "JOIN states st ON st.id = o.state_id "
            "WHERE st.counted = 1 AND st.value IS NOT NULL ORDER BY f.fetched_at, f.id"
        )
        with self._lock:
            return self._db.execute(query, (since or "", max(1, bucket_s))).fetchall()

    def thin(self, older_than: datetime) -> int:
        """Keep one point a day (each source's last fetch of the day) before `older_than`;
        every point after it stays. The number of fetches removed."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                doomed = [row[0] for row in db.execute(
                    "SELECT id FROM fetches WHERE fetched_at < ? AND id NOT IN ("
                    " SELECT max(id) FROM fetches WHERE fetched_at < ?"
                    " GROUP BY source, substr(fetched_at, 1, 10))",
                    (older_than.isoformat(), older_than.isoformat()),
                )]
                for start in range(0, len(doomed), 500):
                    chunk = doomed[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    db.execute(f"DELETE FROM observations WHERE fetch_id IN ({marks})",  # noqa: S608
                               chunk)
                    db.execute(f"DELETE FROM fetches WHERE id IN ({marks})", chunk)  # noqa: S608
                # States no fetch refers to any more, except each series' latest (the next
                # fetch compares with it).
                db.execute(
                    "DELETE FROM states WHERE id NOT IN (SELECT state_id FROM observations) "
                    "AND id NOT IN (SELECT max(id) FROM states GROUP BY series_id)"
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(doomed)

    def keep_rates(self, rates_json: str) -> None:
        """The rates of the latest refresh, to value the next start's first paint."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rates', ?)",
                             (rates_json,))

    def last_rates(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'rates'").fetchone()
        return None if row is None else str(row[0])

    def last_documents(self) -> dict[str, str]:
        """Each source's last full result (JSON), for the first paint: one row per source."""
        with self._lock:
            return dict(self._db.execute("SELECT source, document FROM last_results"))

    def last_base(self) -> str | None:
        """The base currency of the newest stored value, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT base FROM states WHERE base IS NOT NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else str(row[0])

    def forget(self) -> None:
        """Remove every point (the demo's made-up past, before making it again)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for table in ("observations", "fetches", "states", "series", "last_results"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            self._db.execute("COMMIT")

    def fetch_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM fetches").fetchone()[0])


EXPORT_COLUMNS = ("time", "source", "account_id_or_currency", "balance_type", "amount",
                  "signed_amount", "currency", "base_currency", "value", "rate_source")


def _record(row: HistoryRow) -> dict[str, str | None]:
    from dataclasses import asdict

    values = asdict(row)
    return {
        "time": values["time"], "source": values["source"],
        "account_id_or_currency": values["key"], "balance_type": values["balance_type"],
        "amount": values["amount"], "signed_amount": values["signed_amount"],
        "currency": values["currency"], "base_currency": values["base"],
        "value": values["value"], "rate_source": values["rate_source"],
    }


def render(rows: Iterable[HistoryRow], fmt: str) -> str:
    """The rows as CSV (one header row) or JSON: decimal strings as stored, ISO 8601 times."""
    import csv
    import io
    import json

    records = [_record(row) for row in rows]
    if fmt == "json":
        return json.dumps(records, indent=1) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in records)
    return out.getvalue()



def unread_keys(result: RevolutXResult | BankResult) -> tuple[str, ...] | None:
    """Whether a result goes into the history: None when nothing in it was read; else the
    accounts it could not read this time (one of several banks failed, or one account did),
    to be carried at their last state (`History.record`'s `carried`)."""
    from balance_desk.model import RevolutXResult

    if isinstance(result, RevolutXResult):
        return () if result.status == "ok" else None
    if result.status != "ok" and not result.read_any:
        return None
    return tuple(a.account.account_id for a in result.accounts if a.status != "ok")


def result_lines(
    result: RevolutXResult | BankResult, prices: PriceSource | None
) -> list[Line]:
    """What a successful result stores: every balance as sent, with its value when a rate is
    known (a crypto total; a bank balance's own money)."""
    from balance_desk.model import RevolutXResult

    def valued(amount: object, currency: str) -> tuple[str | None, str | None, str | None]:
        if prices is None:
            return None, None, None
        from decimal import Decimal

        assert isinstance(amount, Decimal)
        value, rate = prices.value(amount, currency)
        if value is None:
            return prices.base, None, None
        return prices.base, plain(value), rate.source if rate is not None else "base"

    lines: list[Line] = []
    if isinstance(result, RevolutXResult):
        for b in result.balances:
            for kind in ("available", "reserved", "staked"):
                amount = getattr(b, kind)
                if amount is not None:
                    lines.append(Line(b.currency, kind, b.currency, plain(amount), plain(amount)))
            lines.append(Line(b.currency, "total", b.currency, plain(b.total), plain(b.total),
                              *valued(b.total, b.currency), counted=True))
        return lines
    from balance_desk.holdings import chosen_balance

    for account in result.accounts:
        if account.status != "ok":
            continue  # not read this time: its last figures stay what history says
        chosen = chosen_balance(account.account, account.balances)
        for balance in account.balances:
            lines.append(Line(
                account.account.account_id, balance.type, balance.currency,
                plain(balance.amount), plain(balance.signed_amount),
                *valued(balance.own_money, balance.currency), counted=balance is chosen,
            ))
    return lines
