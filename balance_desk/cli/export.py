"""`balance-desk export`: the history, or the balances as they are now, as CSV or JSON: decimal
strings exactly as stored, ISO 8601 times, no thousands separators. Your own data, whole:
privacy mode does not apply to it."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime
from pathlib import Path

from balance_desk.cli.args import UsageError
from balance_desk.errors import EXIT_OK
from balance_desk.history import HistoryRow, render

__all__ = ["cmd_export", "render"]

SOURCE_NAMES = {"revolut-x": "revolut_x", "bank": "bank", "all": None}


def _when(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:
        return (date.fromisoformat(text).isoformat() if len(text) == 10
                else datetime.fromisoformat(text).isoformat())
    except ValueError as exc:
        raise UsageError(
            f"{option} {text[:40]!r} is not a date (YYYY-MM-DD) or an ISO 8601 time."
        ) from exc


def current_rows(source: str | None) -> list[HistoryRow]:
    """The balances as they are now: fetched, valued, and shaped like history rows."""
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.history import result_lines
    from balance_desk.paths import data_dir
    from balance_desk.sources.factory import build_sources, fetch_snapshot
    from balance_desk.sources.rates.book import RateBook

    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
    store = CredentialStore()
    which = "all" if source is None else ("revolut-x" if source == "revolut_x" else "bank")
    sources = build_sources(store, settings, which)
    rates = RateBook(store, settings, data_dir())
    try:
        snapshot = fetch_snapshot(sources)
        rates.value_snapshot(snapshot)
    finally:
        rates.close()
        for s in sources:
            s.close()
    rows: list[HistoryRow] = []
    for name, result in (("revolut_x", snapshot.revolut_x), ("bank", snapshot.bank)):
        if result is None:
            continue
        if result.status == "error" and result.error is not None:
            print(f"balance-desk: {name.replace('_', ' ')}: {result.error.message}",
                  file=sys.stderr)
        if result.status != "ok":
            continue
        when = (result.fetched_at or snapshot.fetched_at).isoformat()
        for line in result_lines(result, rates.last_prices):
            rows.append(HistoryRow(when, name, line.key, line.balance_type, line.amount,
                                   line.signed_amount, line.currency, line.base, line.value,
                                   line.rate_source))
    return rows


def cmd_export(args: argparse.Namespace) -> int:
    since, until = _when(args.since, "--since"), _when(args.until, "--until")
    source = SOURCE_NAMES[args.source]
    if args.current:
        rows: list[HistoryRow] = current_rows(source)
    else:
        from balance_desk.history import HISTORY_FILE, History
        from balance_desk.paths import data_dir

        path = data_dir() / HISTORY_FILE
        if not path.exists():
            raise UsageError(
                f"There is no history yet ({path}): it grows with every refresh of the app and "
                "every `balance-desk snapshot`."
            )
        history = History(path)
        try:
            if history.problem:
                print(f"balance-desk: {history.problem}", file=sys.stderr)
            rows = list(history.rows(since=since, until=until, source=source))
        finally:
            history.close()
    text = render(rows, args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        from balance_desk.paths import atomic_write_text

        target = Path(args.output).expanduser()
        atomic_write_text(target, text)
        os.chmod(target, 0o600)  # balances are the user's alone
        what = "history rows" if not args.current else "balances"
        print(f"Wrote {len(rows)} {what} to {target} ({args.format.upper()}).", file=sys.stderr)
    return EXIT_OK
