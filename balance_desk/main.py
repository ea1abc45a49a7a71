"""The `balance-desk` command: the desktop app, or a command-line command.

The one place that knows both: the command line (`cli/`) and the app (`gui/`) never import each
other. Flags that only open the app skip building the command-line parser, which would only
delay the window.
"""

from __future__ import annotations

import argparse
import os
import sys

# Flags that only open the desktop app: with nothing else on the line there is no command to
# parse, and building every subcommand's parser would only delay the window.
GUI_FLAGS = frozenset({"-v", "--verbose", "--demo", "--exit-after-refresh", "--minimized"})
# "0" starts the fetch process only once the window has painted (benchmarks compare both).
EARLY_ENV = "BALANCE_DESK_EARLY_FETCH"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if set(argv) <= GUI_FLAGS:
        args = argparse.Namespace(
            verbose="-v" in argv or "--verbose" in argv,
            demo="--demo" in argv,
            exit_after_refresh="--exit-after-refresh" in argv,
            minimized="--minimized" in argv,
            keyring_backend=False,
            command=None,
        )
        if os.environ.get(EARLY_ENV, "1") != "0":
            _start_fetching_early(args)
        return open_app(args)
    from balance_desk.cli.main import main as cli_main

    return cli_main(argv, open_app)


def _start_fetching_early(args: argparse.Namespace) -> None:
    """The fetch process, before Qt is even imported: its start-up and first fetch overlap the
    window's (the app adopts it; see fetcher/early.py)."""
    from balance_desk.fetcher.early import start_early

    target = "demo_sources" if args.demo else "user_sources"
    start_early(f"balance_desk.fetcher.targets:{target}", prefetch=not args.minimized)


def open_app(args: argparse.Namespace) -> int:
    from balance_desk.gui.app import run

    return run(args)


def gui_main() -> int:
    return main(sys.argv[1:])
