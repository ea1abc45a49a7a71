"""What every command shares: usage errors, reading a secret, and a parser that never repeats
what it did not understand."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO


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


class Parser(argparse.ArgumentParser):
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
