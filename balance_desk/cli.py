"""The `balance-desk` command. Its subcommands and flags are a public contract: keep the names.

No arguments opens the desktop app. Secrets are never accepted as command-line arguments: they
come from the keyring, a file the user names (`-` for stdin), or a no-echo prompt.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from balance_desk import __version__
from balance_desk.sources.errors import ConfigError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Wrong or missing arguments: exit 2 with the message."""


def read_secret(
    file_arg: str | None, prompt: str, *, stdin: TextIO | None = None, required: bool = True
) -> str | None:
    """A secret from a file (`-` = stdin) or, on a terminal, a prompt that does not echo."""
    stream = stdin or sys.stdin
    if file_arg == "-":
        value = stream.read()
    elif file_arg is not None:
        try:
            value = Path(file_arg).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"Cannot read {file_arg}: {exc.strerror}") from exc
    elif stream.isatty():
        import getpass

        value = getpass.getpass(prompt)
    elif required:
        raise UsageError(f"{prompt.rstrip(': ')} is needed: give it in a file (or - for stdin).")
    else:
        return None
    value = value.strip()
    if required and not value:
        raise UsageError(f"{prompt.rstrip(': ')} is empty.")
    return value or None


class _Parser(argparse.ArgumentParser):
    """Never repeats what it did not understand: a mistyped option may be followed by a secret
    (`--api-key SECRET`), and error output ends up in terminals' scrollback and CI logs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No prefix matching: `--api-key SECRET` must not quietly become `--api-key-file SECRET`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (not repeated, one may be a secret); see --help"
        message = re.sub(r"invalid choice: '[^']*'", "invalid choice", message)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="balance-desk",
        description="Revolut X crypto and Open Banking bank balances in one window. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log info and debug lines")
    parser.add_argument("--demo", action="store_true", help="open the app on built-in demo data")
    parser.add_argument(
        "--exit-after-refresh",
        action="store_true",
        help="quit once every configured source has been refreshed (exit 1 if any failed)",
    )
    parser.add_argument("--minimized", action="store_true", help="start hidden in the tray")
    parser.add_argument(
        "--keyring-backend",
        action="store_true",
        help="print which OS keyring backend is in use and exit (1 if there is no usable one)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    keys = commands.add_parser("keys", help="set up, show or delete credentials")
    keys_cmd = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    set_p = keys_cmd.add_parser("set", help="store credentials in the OS keyring")
    set_src = set_p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    rx = set_src.add_parser("revolut-x", help="Revolut X API key and Ed25519 private key")
    rx.add_argument("--api-key-file", metavar="F", help="file holding the API key (- = stdin)")
    rx.add_argument("--private-key", metavar="PATH", help="PKCS#8 PEM private key file")
    rx.add_argument("--passphrase-file", metavar="F", help="passphrase of an encrypted PEM")
    rx.add_argument("--url", metavar="API_ROOT", help="API root (default: production)")
    rx.add_argument("--ca-bundle", metavar="PATH", help="CA bundle for a proxy or test server")
    bank = set_src.add_parser("bank", help="Open Banking tokens and transport certificate")
    bank.add_argument("--preset", choices=["revolut", "revolut-sandbox", "custom"])
    bank.add_argument("--url", metavar="API_ROOT")
    bank.add_argument("--financial-id", metavar="ID")
    bank.add_argument("--access-token-file", metavar="F")
    bank.add_argument("--refresh-token-file", metavar="F")
    bank.add_argument("--client-id", metavar="ID")
    bank.add_argument("--cert", metavar="PATH", help="transport certificate (PEM)")
    bank.add_argument("--key", metavar="PATH", help="transport certificate's private key (PEM)")
    bank.add_argument("--key-passphrase-file", metavar="F")
    bank.add_argument("--ca-bundle", metavar="PATH", help="CA bundle of the bank's server")

    gen = keys_cmd.add_parser("generate", help="create a new key pair")
    gen_src = gen.add_subparsers(dest="source", metavar="SOURCE", required=True)
    gen_src.add_parser("revolut-x", help="new Ed25519 key pair; private half into the keyring")

    keys_cmd.add_parser("show", help="what is configured (never a secret)")
    delete = keys_cmd.add_parser("delete", help="remove a source's credentials")
    delete.add_argument("source", choices=["revolut-x", "bank"])

    snap = commands.add_parser("snapshot", help="fetch balances with the stored credentials")
    snap.add_argument("--json", action="store_true", help="print the JSON document")
    snap.add_argument("--source", choices=["revolut-x", "bank", "all"], default="all")
    snap.add_argument(
        "--unattended",
        action="store_true",
        help="for cron: obey the bank's 4-requests-a-day quota for unattended access",
    )

    sim = commands.add_parser("simulator", help="run the loopback API simulator")
    sim.add_argument("--port", type=int, default=0, help="port for Revolut X (0 = any free)")
    return parser


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
        return run_gui(args)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and not args.keyring_backend:
        # The desktop app opens its log file once its window has painted (start-up speed).
        return run_gui(args)
    start_logging(verbose=args.verbose)
    if args.keyring_backend:
        return print_keyring_backend()
    return run_command(args)


def start_logging(*, verbose: bool) -> None:
    from balance_desk.logs import setup_logging

    try:
        setup_logging(verbose=verbose)
    except (OSError, ConfigError) as exc:
        print(f"balance-desk: cannot open the log file: {exc}", file=sys.stderr)


def run_command(args: argparse.Namespace) -> int:  # noqa: PLR0911 - one exit per failure kind
    """Every failure ends in one sentence on stderr and an exit code, never a traceback."""
    from balance_desk import commands

    try:
        return commands.dispatch(args)
    except UsageError as exc:
        print(f"balance-desk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"balance-desk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `balance-desk snapshot | head`: the reader left; end quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except EOFError:
        print("balance-desk: input ended before a value was given.", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug must still end in a sentence
        import logging

        logging.getLogger(__name__).exception("Unexpected error")
        print(
            f"balance-desk: unexpected error ({type(exc).__name__}); details are in the log "
            "file in the logs folder of the data directory.",
            file=sys.stderr,
        )
        return EXIT_FAILED


def print_keyring_backend() -> int:
    """A support diagnostic, and the proof that a frozen build still finds keyring's backends
    (they are discovered through package metadata that freezing tends to lose)."""
    from balance_desk.credentials import CredentialStore

    try:
        print(CredentialStore().backend_name)
    except ConfigError as exc:
        print(f"balance-desk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def run_gui(args: argparse.Namespace) -> int:
    from balance_desk.gui.app import run

    return run(args)


def gui_main() -> int:
    return main(sys.argv[1:])
