"""What `scripts/run` asks before opening the app: are any keys stored? (No Qt here.)

`python -m balance_desk.launch has-keys` exits 0 when the keyring holds credentials for at least
one source, 1 when it holds none, and 1 with a sentence on stderr when the keyring is unusable.
"""

from __future__ import annotations

import sys

from balance_desk.credentials import CredentialStore
from balance_desk.errors import ConfigError


def stored_sources(store: CredentialStore) -> list[str]:
    """The sources whose credentials are in the keyring (names only, never a secret)."""
    found = []
    if store.get_revolut_x() is not None:
        found.append("revolut-x")
    if store.get_bank() is not None:
        found.append("bank")
    return found


def main(argv: list[str]) -> int:
    if argv != ["has-keys"]:
        print("usage: python -m balance_desk.launch has-keys", file=sys.stderr)
        return 2
    try:
        return 0 if stored_sources(CredentialStore()) else 1
    except ConfigError as exc:
        print(f"balance-desk: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
