"""The `balance-desk` command: the desktop app, or a command-line command.

The one place that knows both: the command line (`cli/`) and the app (`gui/`) never import each
other. Flags that only open the app skip building the command-line parser, which would only
delay the window.
"""

from __future__ import annotations

import argparse
import sys

# Flags that only open the desktop app: with nothing else on the line there is no command to
# parse, and building every subcommand's parser would only delay the window.
GUI_FLAGS = frozenset({"-v", "--verbose", "--demo", "--exit-after-refresh", "--minimized"})


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
        return open_app(args)
    from balance_desk.cli.main import main as cli_main

    return cli_main(argv, open_app)


def open_app(args: argparse.Namespace) -> int:
    from balance_desk.gui.app import run

    return run(args)


def gui_main() -> int:
    return main(sys.argv[1:])
