"""`balance-desk keys show|delete|set|generate`: the parts both sources share, and the dispatch
to each source's own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from balance_desk.cli.args import UsageError
from balance_desk.config import SETTINGS_FILE, Settings, data_dir
from balance_desk.credentials import CredentialStore
from balance_desk.errors import EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    action = args.keys_command
    if action == "show":
        return cmd_keys_show(args)
    if action == "delete":
        return cmd_keys_delete(args)
    if action == "generate":
        from balance_desk.cli.keys_revolut_x import generate_revolut_x

        generate_revolut_x(CredentialStore())
        return EXIT_OK
    if args.source == "revolut-x":
        from balance_desk.cli.keys_revolut_x import set_revolut_x

        set_revolut_x(args, CredentialStore())
        return EXIT_OK
    from balance_desk.cli.keys_bank import keys_set_bank

    return keys_set_bank(args)


def _show_revolut_x(store: CredentialStore, settings: Settings) -> list[str]:
    from balance_desk.cli.keys_revolut_x import show_revolut_x

    return show_revolut_x(store, settings)


def _show_bank(store: CredentialStore, settings: Settings) -> list[str]:
    from balance_desk.cli.bank import connection_lines
    from balance_desk.cli.keys_bank import show_lines

    named = [c for c in settings.connections() if c.name]
    lines = show_lines(settings.bank, store)
    if named:
        lines += ["Bank connections (balance-desk bank list)", *connection_lines(settings, store,
                                                                              only_named=True)]
    return lines


def _delete_revolut_x(store: CredentialStore) -> None:
    from balance_desk.cli.keys_revolut_x import delete_revolut_x

    delete_revolut_x(store)


def _delete_bank(store: CredentialStore) -> None:
    from balance_desk.cli.keys_bank import delete

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
    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
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
