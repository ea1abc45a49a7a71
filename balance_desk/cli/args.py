"""What every command shares: usage errors, reading a secret, and a parser that never repeats
what it did not understand."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from balance_desk.setup.common import shown_file


class UsageError(Exception):
    """Wrong or missing arguments: exit 2 with the message."""


def key_is_encrypted(key_path: str) -> bool | None:
    """Whether a PEM private key file is encrypted (needs a passphrase); None when it cannot be
    read (the file checks say what is wrong with it)."""
    try:
        return b"ENCRYPTED" in Path(key_path).expanduser().read_bytes()[:4096]
    except OSError:
        return None


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
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
            raise UsageError(f"Cannot read {shown_file(file_arg)}: {reason}") from exc
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


class Parser(argparse.ArgumentParser):
    """Never repeats what it did not understand: a mistyped option may be followed by a secret
    (`--api-key SECRET`), and error output ends up in terminals' scrollback and CI logs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No prefix matching: `--api-key SECRET` must not quietly become `--api-key-file SECRET`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = self._unrecognized(message.partition(": ")[2])
        message = re.sub(r"invalid choice: '[^']*'", "invalid choice", message)
        super().error(message)

    def _unrecognized(self, listed: str) -> str:
        """Name each mistyped option (with the nearest real one); anything else, which may be
        a secret typed after it, is only counted."""
        import difflib

        tokens = listed.split()
        named = [
            name for name in dict.fromkeys(token.partition("=")[0] for token in tokens)
            if OPTION_SHAPE.fullmatch(name)
        ]
        known = sorted(_option_strings(self))
        parts = []
        for name in named:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            parts.append(f"unknown option {name}{hint}")
        others = sum(1 for token in tokens if token.partition("=")[0] not in named)
        if others:
            parts.append(
                f"{others} other argument{'s' if others > 1 else ''} not understood (not "
                "repeated: one may be a secret)"
            )
        return "; ".join(parts) + ". See --help."


# What an option name looks like; a token of another shape is never repeated (it may be a
# secret pasted in the wrong place).
OPTION_SHAPE = re.compile(r"--?[A-Za-z][A-Za-z0-9-]{0,30}")


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of `parser` and of its subcommands."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _option_strings(sub)
    return found


def invocation(argv0: str | None = None) -> str:
    """How the user started Balance Desk, so that the commands it prints run as printed (from
    a checkout: `.venv/bin/balance-desk`; through Python: `… -m balance_desk`)."""
    import shlex
    import shutil

    first = Path(argv0 if argv0 is not None else (sys.argv[0] if sys.argv else "balance-desk"))
    if first.name == "__main__.py":
        return f"{shlex.quote(_shown_path(Path(sys.executable)))} -m balance_desk"
    on_path = shutil.which(first.name)
    if str(first) == first.name or (
        on_path is not None and Path(on_path).resolve() == first.resolve()
    ):
        return first.name
    return shlex.quote(_shown_path(first))


def _shown_path(path: Path) -> str:
    """Relative to the current folder when inside it, else absolute."""
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)
