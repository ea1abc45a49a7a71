"""The command handlers behind `balance-desk COMMAND` (parsing lives in cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from balance_desk.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from balance_desk.config import SETTINGS_FILE, Settings, data_dir
from balance_desk.credentials import CredentialStore
from balance_desk.model import BankResult, ErrorInfo, RevolutXResult, Snapshot
from balance_desk.money import plain
from balance_desk.service import Source, fetch_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "snapshot": cmd_snapshot,
        "simulator": cmd_simulator,
    }
    if args.command == "keys":
        return dispatch_keys(args)
    return handlers[args.command](args)


def dispatch_keys(args: argparse.Namespace) -> int:
    action = args.keys_command
    if action == "show":
        return cmd_keys_show(args)
    if action == "delete":
        return cmd_keys_delete(args)
    if action == "generate":
        return cmd_keys_generate_revolut_x(args)
    if args.source == "revolut-x":
        return cmd_keys_set_revolut_x(args)
    return cmd_keys_set_bank(args)


def build_sources(
    store: CredentialStore, settings: Settings, which: str = "all"
) -> list[Source]:
    from balance_desk.sources.open_banking import OpenBankingSource
    from balance_desk.sources.revolut_x import RevolutXSource

    sources: list[Source] = []
    if which in ("revolut-x", "all"):
        sources.append(RevolutXSource(store, settings.revolut_x))
    if which in ("bank", "all"):
        sources.append(OpenBankingSource(store, settings.bank, data_dir()))
    return sources


# --- snapshot ----------------------------------------------------------------------------------


def cmd_snapshot(args: argparse.Namespace) -> int:
    settings = Settings.load()
    store = CredentialStore()
    sources = build_sources(store, settings, args.source)
    try:
        snapshot = fetch_snapshot(sources, user_present=not args.unattended)
    finally:
        for source in sources:
            source.close()
    if args.json:
        print(json.dumps(snapshot.to_document(), indent=2))
        if snapshot.revolut_x is not None and snapshot.revolut_x.clock_note:
            print(f"balance-desk: note: {snapshot.revolut_x.clock_note}", file=sys.stderr)
    else:
        print(render_snapshot(snapshot))
    statuses = [r.status for r in (snapshot.revolut_x, snapshot.bank) if r is not None]
    if all(status == "not_configured" for status in statuses):
        print(
            "Nothing is configured: run `balance-desk keys set revolut-x` or "
            "`balance-desk keys set bank` first (or try `balance-desk --demo`).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return EXIT_FAILED if "error" in statuses else EXIT_OK


def _error_line(error: ErrorInfo | None) -> str:
    if error is None:
        return ""
    extra = []
    if error.http_status is not None:
        extra.append(f"HTTP {error.http_status}")
    if error.error_id:
        extra.append(f"error id {error.error_id}")
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"  {error.kind.replace('_', ' ')}: {error.message}{suffix}"


def _table(headers: list[str], rows: list[list[str]], numeric_from: int) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i >= numeric_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def render_revolut_x(result: RevolutXResult) -> list[str]:
    lines = [f"Revolut X: {result.status.replace('_', ' ')}"]
    if result.error:
        lines.append(_error_line(result.error))
    if result.clock_note:
        lines.append(f"  note: {result.clock_note}")
    if result.balances:
        rows = [
            [
                b.currency,
                plain(b.available),
                plain(b.reserved),
                "-" if b.staked is None else plain(b.staked),
                plain(b.total),
            ]
            for b in result.balances
        ]
        lines += _table(["Currency", "Available", "Reserved", "Staked", "Total"], rows, 1)
    return lines


def render_bank(result: BankResult) -> list[str]:
    lines = [f"Bank: {result.status.replace('_', ' ')}"]
    if result.error:
        lines.append(_error_line(result.error))
    rows: list[list[str]] = []
    notes: list[str] = []
    for acc in result.accounts:
        name = acc.account.display_name
        if acc.status == "quota":
            when = acc.next_allowed_at.isoformat(timespec="minutes") if acc.next_allowed_at else ""
            notes.append(
                f"  {name}: skipped (4 unattended requests a day used up); next allowed {when}"
            )
        elif acc.status != "ok":
            notes.append(f"  {name}:{_error_line(acc.error).removeprefix(' ')}")
        for bal in acc.balances:
            rows.append(
                [
                    name,
                    bal.type,
                    plain(bal.signed_amount),
                    bal.currency,
                    plain(bal.amount_with_unused_credit),
                    bal.date_time.isoformat(timespec="minutes"),
                ]
            )
    if rows:
        lines += _table(
            ["Account", "Balance type", "Amount", "Currency", "With unused credit", "As of"],
            rows,
            2,
        )
    return lines + notes


def render_snapshot(snapshot: Snapshot) -> str:
    lines = [f"Fetched {snapshot.fetched_at.isoformat(timespec='seconds')}"]
    if snapshot.revolut_x is not None:
        lines += ["", *render_revolut_x(snapshot.revolut_x)]
    if snapshot.bank is not None:
        lines += ["", *render_bank(snapshot.bank)]
    return "\n".join(lines)


# --- keys (source-specific parts are filled in by each source's work) ---------------------------


def _show_revolut_x(store: CredentialStore, settings: Settings) -> list[str]:
    from balance_desk.keys_revolut_x import show_revolut_x

    return show_revolut_x(store, settings)


def _delete_revolut_x(store: CredentialStore) -> None:
    from balance_desk.keys_revolut_x import delete_revolut_x

    delete_revolut_x(store)


def _show_bank(store: CredentialStore, settings: Settings) -> list[str]:
    from balance_desk.bank_cli import show_lines

    return show_lines(settings.bank, store)


def _delete_bank(store: CredentialStore) -> None:
    from balance_desk.bank_cli import delete

    delete(store)


# One entry per source: `keys show` prints each section, `keys delete SOURCE` calls its deleter.
KEY_SHOW_SECTIONS: list[Callable[[CredentialStore, Settings], list[str]]] = [
    _show_revolut_x,
    _show_bank,
]
KEY_DELETERS: dict[str, Callable[[CredentialStore], None]] = {
    "revolut-x": _delete_revolut_x,
    "bank": _delete_bank,
}


def cmd_keys_show(args: argparse.Namespace) -> int:
    settings = Settings.load()
    store = CredentialStore()
    lines = [f"Keyring:  {store.backend_name}", f"Settings: {data_dir() / SETTINGS_FILE}"]
    for section in KEY_SHOW_SECTIONS:
        lines += ["", *section(store, settings)]
    print("\n".join(lines))
    return EXIT_OK


def cmd_keys_delete(args: argparse.Namespace) -> int:
    deleter = KEY_DELETERS.get(args.source)
    if deleter is None:
        raise UsageError(f"keys delete {args.source} is not implemented yet")
    deleter(CredentialStore())
    return EXIT_OK


def cmd_keys_set_revolut_x(args: argparse.Namespace) -> int:
    from balance_desk.keys_revolut_x import set_revolut_x

    set_revolut_x(args, CredentialStore())
    return EXIT_OK


def cmd_keys_generate_revolut_x(args: argparse.Namespace) -> int:
    from balance_desk.keys_revolut_x import generate_revolut_x

    generate_revolut_x(CredentialStore())
    return EXIT_OK


def cmd_keys_set_bank(args: argparse.Namespace) -> int:
    from balance_desk.bank_cli import keys_set_bank

    return keys_set_bank(args)


def cmd_simulator(args: argparse.Namespace) -> int:
    from balance_desk.simulator.console import RunningSimulator, run_foreground, start_revolut_x
    from balance_desk.simulator.ob_console import start_bank

    def revolut_x(workdir: Path) -> RunningSimulator:
        return start_revolut_x(args.port, workdir)

    # Each simulator is one starter; the bank listens on any free port.
    starters: list[Callable[[Path], RunningSimulator]] = [revolut_x, start_bank]
    try:
        return run_foreground(starters)
    except OSError as exc:
        raise UsageError(
            f"Cannot start the simulator on 127.0.0.1 port {args.port}: {exc.strerror or exc}"
        ) from exc
