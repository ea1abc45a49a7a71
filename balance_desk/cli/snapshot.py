"""`balance-desk snapshot`: fetch every configured source once and print the result."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from balance_desk.paths import data_dir
from balance_desk.present.snapshot_text import render_snapshot
from balance_desk.sources.factory import build_sources, fetch_snapshot
from balance_desk.sources.rates.book import RateBook
from balance_desk.valuation import ECB_CURRENCIES, is_base_currency

if TYPE_CHECKING:
    from balance_desk.model import Snapshot
    from balance_desk.valuation import Prices


def record_history(snapshot: Snapshot, prices: Prices | None) -> None:
    """Every source that answered, into the history (a cron `snapshot --unattended` builds it
    too). A history that cannot be written is said on stderr and changes nothing else."""
    import sqlite3

    from balance_desk.history import HISTORY_FILE, History, result_lines, unread_keys

    results = [(name, r, unread) for name, r in (("revolut_x", snapshot.revolut_x),
                                                  ("bank", snapshot.bank))
               if r is not None and (unread := unread_keys(r)) is not None]
    if not results:
        return
    try:
        history = History(data_dir() / HISTORY_FILE)
    except (sqlite3.Error, OSError) as exc:
        print(f"balance-desk: the history could not be opened ({exc}); nothing recorded.",
              file=sys.stderr)
        return
    try:
        if history.problem:
            print(f"balance-desk: {history.problem}", file=sys.stderr)
        for name, result, unread in results:
            history.record(name, result.fetched_at or snapshot.fetched_at,
                           result_lines(result, prices), carried=unread)
    except (sqlite3.Error, OSError) as exc:
        print(f"balance-desk: the history could not be written ({exc}).", file=sys.stderr)
    finally:
        history.close()


def cmd_snapshot(args: argparse.Namespace) -> int:
    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
    base = args.base.strip().upper() if args.base else None
    if base is not None and not is_base_currency(base):
        print(
            f"balance-desk snapshot: --base {args.base!r} is not a currency the ECB quotes; "
            f"choose one of: {', '.join(sorted(ECB_CURRENCIES))}.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    store = CredentialStore()
    sources = build_sources(store, settings, args.source)
    rates = RateBook(store, settings, data_dir(), base=base)
    try:
        snapshot = fetch_snapshot(sources, user_present=not args.unattended)
        # After the balances, never instead of them: a failing rate source leaves them whole.
        valuation = rates.value_snapshot(snapshot)
    finally:
        rates.close()
        for source in sources:
            source.close()
    if not args.no_history:
        record_history(snapshot, rates.last_prices)
    if args.json:
        document = snapshot.to_document()
        document["valuation"] = valuation.to_document()
        print(json.dumps(document, indent=2))
        if snapshot.revolut_x is not None and snapshot.revolut_x.clock_note:
            print(f"balance-desk: note: {snapshot.revolut_x.clock_note}", file=sys.stderr)
    else:
        print(render_snapshot(snapshot, valuation))
    statuses = [r.status for r in (snapshot.revolut_x, snapshot.bank) if r is not None]
    if all(status == "not_configured" for status in statuses):
        print(
            "Nothing is configured: run `balance-desk keys set revolut-x` or "
            "`balance-desk keys set bank` first (or try `balance-desk --demo`).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return EXIT_FAILED if "error" in statuses else EXIT_OK
