"""The `balance-desk` command line. Its subcommands and flags are a public contract: keep the names.

No command opens the desktop app: this module only parses and hands the arguments back to
`balance_desk.main`, which starts the app (the CLI and the GUI never import each other).
Secrets are never accepted as command-line arguments: they come from the keyring, a file the
user names (`-` for stdin), or a no-echo prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from balance_desk import __version__
from balance_desk.cli.args import Parser, UsageError
from balance_desk.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError
from balance_desk.logs import start_logging

OpenApp = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    bank.add_argument(
        "--preset", choices=["revolut", "revolut-sandbox", "custom"],
        help="which bank (default: revolut; custom needs --url and --financial-id)",
    )
    bank.add_argument("--url", metavar="API_ROOT", help="API root of a custom bank (https://)")
    bank.add_argument(
        "--financial-id", metavar="ID", help="a custom bank's x-fapi-financial-id"
    )
    bank.add_argument(
        "--access-token-file", metavar="F", help="file holding the access token (- = stdin)"
    )
    bank.add_argument(
        "--refresh-token-file", metavar="F", help="file holding the refresh token (- = stdin)"
    )
    bank.add_argument(
        "--client-id", metavar="ID", help="your Open Banking app's client id (for refreshing)"
    )
    bank.add_argument("--cert", metavar="PATH", help="transport certificate (PEM)")
    bank.add_argument("--key", metavar="PATH", help="transport certificate's private key (PEM)")
    bank.add_argument(
        "--key-passphrase-file", metavar="F", help="passphrase of an encrypted key (- = stdin)"
    )
    bank.add_argument("--ca-bundle", metavar="PATH", help="CA bundle of the bank's server")

    gen = keys_cmd.add_parser("generate", help="create a new key pair")
    gen_src = gen.add_subparsers(dest="source", metavar="SOURCE", required=True)
    gen_src.add_parser("revolut-x", help="new Ed25519 key pair; private half into the keyring")

    keys_cmd.add_parser("show", help="what is configured (never a secret)")
    delete = keys_cmd.add_parser("delete", help="remove a source's credentials")
    delete.add_argument("source", choices=["revolut-x", "bank"], help="revolut-x or bank")

    snap = commands.add_parser("snapshot", help="fetch balances with the stored credentials")
    snap.add_argument("--json", action="store_true", help="print the JSON document")
    snap.add_argument(
        "--source", choices=["revolut-x", "bank", "all"], default="all",
        help="which source to fetch (default: all)",
    )
    snap.add_argument(
        "--base", metavar="CUR",
        help="value every balance in this currency (default: the base_currency setting)",
    )
    snap.add_argument(
        "--no-history", action="store_true",
        help="do not record this snapshot in the history",
    )
    snap.add_argument(
        "--unattended",
        action="store_true",
        help="for cron: obey the bank's 4-requests-a-day quota for unattended access",
    )

    _add_bank(commands)
    _add_config(commands)
    _add_export(commands)
    sim = commands.add_parser("simulator", help="run the loopback API simulator")
    sim.add_argument("--port", type=int, default=0, help="port for Revolut X (0 = any free)")
    return parser


def _add_bank(commands: argparse._SubParsersAction[Parser]) -> None:
    bank = commands.add_parser(
        "bank", help="connect a bank through its consent page; renew, disconnect, list"
    )
    actions = bank.add_subparsers(dest="bank_command", metavar="ACTION", required=True)
    connect = actions.add_parser("connect", help="connect a bank (approve in your browser)")
    connect.add_argument("--name", metavar="NAME", help="your name for it (default: the bank's)")
    connect.add_argument("--preset", choices=["revolut", "revolut-sandbox", "custom"],
                         default="revolut", help="which bank (default: revolut)")
    connect.add_argument("--url", metavar="API_ROOT", help="a custom bank's API root (https://)")
    connect.add_argument("--auth-url", metavar="PAGE",
                         help="the bank's authorisation page (default: the preset's)")
    connect.add_argument("--financial-id", metavar="ID", help="a custom bank's financial id")
    connect.add_argument("--client-id", metavar="ID", required=True,
                         help="your Open Banking app's client id")
    connect.add_argument("--cert", metavar="PEM", required=True, help="transport certificate")
    connect.add_argument("--key", metavar="PEM", required=True,
                         help="transport certificate's private key")
    connect.add_argument("--key-passphrase-file", metavar="F",
                         help="passphrase of an encrypted transport key (- = stdin)")
    connect.add_argument("--ca-bundle", metavar="PEM", help="CA bundle of the bank's server")
    connect.add_argument("--signing-key", metavar="PEM", required=True,
                         help="the RSA key that signs the request object (PS256)")
    connect.add_argument("--signing-key-passphrase-file", metavar="F",
                         help="passphrase of an encrypted signing key (- = stdin)")
    connect.add_argument("--kid", metavar="KID", required=True,
                         help="the key id of your signing certificate")
    connect.add_argument("--redirect-uri", metavar="URI", required=True,
                         help="a redirect URI registered for your app")
    _flow_flags(connect)
    renew = actions.add_parser("renew", help="approve a connection again, keeping the rest")
    renew.add_argument("name", metavar="NAME", help="the connection (see `bank list`)")
    _flow_flags(renew)
    disconnect = actions.add_parser("disconnect", help="revoke the consent and forget the bank")
    disconnect.add_argument("name", metavar="NAME", help="the connection (see `bank list`)")
    disconnect.add_argument("--local-only", action="store_true",
                            help="forget it here without asking the bank to revoke the consent")
    disconnect.add_argument("--yes", action="store_true",
                            help="if the bank cannot be reached, forget it here without asking")
    actions.add_parser("list", help="the connections and their consents (never a secret)")


def _flow_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-browser", action="store_true",
                        help="only print the authorisation address")
    parser.add_argument("--no-listen", action="store_true",
                        help="paste the address back even for a loopback redirect URI")


def _add_export(commands: argparse._SubParsersAction[Parser]) -> None:
    export = commands.add_parser(
        "export", help="the history or the current balances as CSV or JSON (every digit)"
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--history", action="store_true", help="every recorded fetch")
    which.add_argument("--current", action="store_true", help="fetch now and export that")
    export.add_argument("--format", choices=["csv", "json"], default="csv",
                        help="csv (default) or json")
    export.add_argument("--since", metavar="DATE", help="from this date or ISO 8601 time")
    export.add_argument("--until", metavar="DATE", help="up to this date (inclusive) or time")
    export.add_argument("--source", choices=["revolut-x", "bank", "all"], default="all",
                        help="which source (default: all)")
    export.add_argument("--output", metavar="FILE",
                        help="write here (mode 0600) instead of standard output")


def _add_config(commands: argparse._SubParsersAction[Parser]) -> None:
    config = commands.add_parser("config", help="show or change settings (never a secret)")
    config_cmd = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_cmd.add_parser("list", help="every setting and its value")
    get = config_cmd.add_parser("get", help="print one setting")
    get.add_argument("key", metavar="KEY", help="a setting's name (see `config list`)")
    set_ = config_cmd.add_parser("set", help="change one setting")
    set_.add_argument("key", metavar="KEY", help="a setting's name (see `config list`)")
    set_.add_argument("value", metavar="VALUE", help="its new value")
    unset = config_cmd.add_parser("unset", help="put one setting back to its default")
    unset.add_argument("key", metavar="KEY", help="a setting's name (see `config list`)")


def main(argv: list[str], open_app: OpenApp) -> int:
    """Run the command on `argv`; without one, `open_app` opens the desktop app."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and not args.keyring_backend:
        # The desktop app opens its log file once its window has painted (start-up speed).
        return open_app(args)
    from balance_desk.paths import data_dir_problem

    problem = data_dir_problem()
    if problem:  # one line, once; reading balances does not need the folder
        print(f"balance-desk: {problem}", file=sys.stderr)
    else:
        start_logging(verbose=args.verbose)
    if args.keyring_backend:
        return print_keyring_backend()
    return run_command(args)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "keys":
        from balance_desk.cli.keys import cmd_keys

        return cmd_keys(args)
    if args.command == "snapshot":
        from balance_desk.cli.snapshot import cmd_snapshot

        return cmd_snapshot(args)
    if args.command == "export":
        from balance_desk.cli.export import cmd_export

        return cmd_export(args)
    if args.command == "bank":
        from balance_desk.cli.bank import cmd_bank

        return cmd_bank(args)
    if args.command == "config":
        from balance_desk.cli.config_cmd import cmd_config

        return cmd_config(args)
    from balance_desk.cli.simulator import cmd_simulator

    return cmd_simulator(args)


def run_command(args: argparse.Namespace) -> int:  # noqa: PLR0911 - one exit per failure kind
    """Every failure ends in one sentence on stderr and an exit code, never a traceback."""
    try:
        return dispatch(args)
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
