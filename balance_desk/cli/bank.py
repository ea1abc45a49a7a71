"""`balance-desk bank connect|renew|disconnect|list`: the Open Banking consent flow from a terminal.

`connect` checks every file in words, creates the consent, prints the authorisation address on a
line of its own and opens the browser (unless --no-browser); then it listens on a loopback
redirect URI, or reads the address the browser landed on from standard input (one line). The
steps are `setup.bank_connect`'s, shared with the connection wizard.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from balance_desk.cli.args import UsageError, key_is_encrypted, read_secret
from balance_desk.config import BANK_PRESETS, Settings
from balance_desk.credentials import CredentialStore
from balance_desk.errors import EXIT_FAILED, EXIT_OK, ConfigError, SourceError
from balance_desk.setup.bank_connect import (
    ConnectRequest,
    PendingConnection,
    begin,
    connect_problems,
    connection_infos,
    connection_settings,
    default_name,
    finish,
    remove_locally,
    renewal_request,
    revoke_at_bank,
    short_id,
)
from balance_desk.setup.common import describe_error
from balance_desk.sources.open_banking.redirect import LoopbackReceiver, is_loopback_redirect


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_bank(
    args: argparse.Namespace,
    *,
    store: CredentialStore | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    store = store or CredentialStore()
    settings, problem = Settings.load_or_defaults()
    if problem:
        print(f"balance-desk: {problem}", file=sys.stderr)
    try:
        if args.bank_command == "list":
            return _list(settings, store, out)
        if args.bank_command == "disconnect":
            return _disconnect(args, settings, store, out, stdin)
        if args.bank_command == "renew":
            request, old = renewal_request(settings, args.name, store)
            problems = connect_problems(request, set(), _now(), renewing=True)
            if problems:
                raise ConfigError(problems[0])
            pending = begin(request, previous=old)
        else:
            request = _connect_request(args, settings, stdin)
            taken = {c.connection_name for c in settings.connections()}
            problems = connect_problems(request, taken, _now())
            if problems:
                raise ConfigError(" ".join(problems) if len(problems) < 3 else problems[0])
            pending = begin(request)
        return _authorise(pending, args, store, out, stdin)
    except SourceError as exc:
        if isinstance(exc, ConfigError):
            raise
        print(f"balance-desk: {describe_error(exc.to_info())}", file=sys.stderr)
        return EXIT_FAILED


def _connect_request(
    args: argparse.Namespace, settings: Settings, stdin: TextIO | None
) -> ConnectRequest:
    if args.preset in BANK_PRESETS and (args.url or args.financial_id):
        raise UsageError(
            f"--url and --financial-id go with --preset custom; the {args.preset} preset sets "
            "both."
        )
    if args.preset == "custom" and not (args.url and args.financial_id and args.auth_url):
        raise UsageError("--preset custom needs --url, --financial-id and --auth-url.")
    if sum(f == "-" for f in (args.key_passphrase_file, args.signing_key_passphrase_file)) > 1:
        raise UsageError("Only one of the passphrase files can be - (stdin).")
    taken = {c.connection_name for c in settings.connections()}
    name = args.name if args.name is not None else default_name(args.preset, taken)
    key_passphrase = _passphrase(args.key_passphrase_file, args.key, stdin)
    signing_passphrase = _passphrase(args.signing_key_passphrase_file, args.signing_key, stdin)
    return ConnectRequest(
        connection_settings(
            name=name, preset=args.preset, url=args.url or "",
            financial_id=args.financial_id or "", auth_url=args.auth_url or "",
            client_id=args.client_id, cert_path=args.cert, key_path=args.key,
            ca_bundle=args.ca_bundle, signing_key_path=args.signing_key, kid=args.kid,
            redirect_uri=args.redirect_uri,
        ),
        key_passphrase=key_passphrase,
        signing_key_passphrase=signing_passphrase,
    )


def _passphrase(file_arg: str | None, key_path: str, stdin: TextIO | None) -> str | None:
    if file_arg is not None:
        return read_secret(file_arg, "Key passphrase: ", stdin=stdin)
    if key_is_encrypted(key_path):
        return read_secret(None, f"Passphrase of {Path(key_path).name}: ", stdin=stdin)
    return None


def _authorise(
    pending: PendingConnection,
    args: argparse.Namespace,
    store: CredentialStore,
    out: TextIO,
    stdin: TextIO | None,
) -> int:
    redirect = pending.request.settings.redirect_uri
    listen = is_loopback_redirect(redirect) and not args.no_listen
    receiver = LoopbackReceiver(redirect).start() if listen else None
    try:
        print("Approve access in your browser at this address:", file=out)
        print(pending.url, file=out)
        out.flush()
        if not args.no_browser:
            _open_browser(pending.url)
        if receiver is not None:
            print("Waiting for the bank to send your browser back (5 minutes)…", file=out)
            out.flush()
            landed = receiver.wait()
        else:
            print("After approving, paste the address your browser landed on:", file=out)
            out.flush()
            landed = (stdin or sys.stdin).readline()
    finally:
        if receiver is not None:
            receiver.stop()
    done = finish(pending, landed, store)
    result = done.result
    print(f"Connected '{done.name}': consent {short_id(pending.consent.consent_id)} is "
          "stored in the system keyring.", file=out)
    if done.note:
        print(done.note, file=out)
    if result.status == "error" and result.error is not None:
        print(f"The first read failed: {describe_error(result.error)}", file=out)
        return EXIT_FAILED
    print(f"Accounts it can read now ({len(result.accounts)}):", file=out)
    for account in result.accounts:
        print(f"  {account.account.display_name} ({account.account.currency or '?'})", file=out)
    return EXIT_OK


def _open_browser(url: str) -> None:
    import webbrowser

    try:
        webbrowser.open(url)
    except Exception:  # no browser is no failure: the address is printed above
        return


def _disconnect(
    args: argparse.Namespace,
    settings: Settings,
    store: CredentialStore,
    out: TextIO,
    stdin: TextIO | None,
) -> int:
    name = args.name
    if not args.local_only:
        try:
            revoked = revoke_at_bank(settings, name, store)
        except SourceError as exc:
            if isinstance(exc, ConfigError) and settings.connection(name) is None:
                raise
            print(f"The bank could not revoke the consent: {describe_error(exc.to_info())}",
                  file=out)
            if not args.yes and not _confirm(
                "Forget the connection here anyway (the consent stays at the bank until it "
                "lapses or you revoke it in the bank's app)? [y/N] ", out, stdin
            ):
                print("Nothing was removed.", file=out)
                return EXIT_FAILED
        else:
            print("The bank revoked the consent." if revoked else
                  "The bank no longer knew the consent (already revoked or lapsed).", file=out)
    remove_locally(settings, name, store)
    print(f"Removed the connection '{name}': its tokens, account list and quota ledger.",
          file=out)
    return EXIT_OK


def _confirm(question: str, out: TextIO, stdin: TextIO | None) -> bool:
    stream = stdin or sys.stdin
    if not stream.isatty() and stdin is None:
        return False  # no one to ask: keep it
    print(question, end="", file=out)
    out.flush()
    return stream.readline().strip().lower() in ("y", "yes")


def _list(settings: Settings, store: CredentialStore, out: TextIO) -> int:
    infos = connection_infos(settings, store)
    if not infos:
        print("No bank is connected. Connect one with `balance-desk bank connect` "
              "(see --help).", file=out)
        return EXIT_OK
    print("\n".join(connection_lines(settings, store)), file=out)
    return EXIT_OK


def connection_lines(
    settings: Settings, store: CredentialStore, *, only_named: bool = False
) -> list[str]:
    """Each connection's consent in words (`bank list` and `keys show`): never a secret."""
    named = {c.connection_name for c in settings.connections() if c.name}
    lines: list[str] = []
    for info in connection_infos(settings, store):
        if only_named and info.name not in named:
            continue
        lines += [
            f"  {info.name}",
            f"    Bank:            {info.bank}",
            f"    Status:          {info.status}",
            f"    Consent:         {short_id(info.consent_id)}",
            f"    Created:         {_day(info.created_at)}",
            f"    Consent expires: {_day(info.consent_expires_at, 'when revoked')}",
            f"    Refresh token:   {_day(info.refresh_expires_at, 'no stated expiry')}",
        ]
    return lines


def _day(moment: datetime | None, none: str = "—") -> str:
    return none if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"
