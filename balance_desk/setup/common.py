"""What setting up any source shares: the outcome of a connection check in words, and saving a
set-up with rollback. Used by the command line and the key set-up dialog alike (Qt-free).

A save writes the keyring first and the settings file second; if the settings cannot be written,
the keyring is put back as it was, so a failure never leaves half of a set-up behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from balance_desk.errors import KIND_TITLES, ConfigError, SourceError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from balance_desk.config import Settings
    from balance_desk.credentials import BankCredentials, CredentialStore
    from balance_desk.model import BankResult, ErrorInfo, RevolutXResult
    from balance_desk.sources.base import Source, SourceName

Creds = TypeVar("Creds")


@dataclass(frozen=True)
class CheckOutcome:
    """What a connection test found. Never holds a secret except refreshed bank tokens, which
    go straight back into the (masked) fields so that a rotated refresh token is not lost."""

    ok: bool
    summary: str
    error: ErrorInfo | None = None
    refreshed_bank: BankCredentials | None = None

    def describe(self) -> str:
        """The words shown under the Test connection button."""
        if self.ok:
            return f"Connected: {self.summary}."
        if self.error is None:
            return self.summary
        return describe_error(self.error)


def describe_error(error: ErrorInfo) -> str:
    lines = [f"{KIND_TITLES.get(error.kind, 'Error')}: {error.message}"]
    if error.server_message and error.server_message not in error.message:
        lines.append(f"The server said: {error.server_message}")
    details = []
    if error.http_status is not None:
        details.append(f"HTTP {error.http_status}")
    if error.error_id:
        details.append(f"error id {error.error_id}")
    if details:
        lines.append(" · ".join(details))
    return "\n".join(lines)


def shown_file(file_arg: str) -> str:
    """A file that should hold a secret, as the user named it, when it plainly is a path;
    otherwise it is not repeated (a secret typed where its file name belonged)."""
    if "/" in file_arg or file_arg.startswith(("~", ".")) or Path(file_arg).suffix:
        return file_arg
    return "the file named there (not repeated: it may be a secret typed by mistake)"


def stored_words(title: str, backend: str) -> str:
    """One wording, for every source, of where a set-up went."""
    return f"Stored the {title} credentials in the system keyring ({backend})."


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def fetch_once(build: Callable[[], Source]) -> RevolutXResult | BankResult | CheckOutcome:
    """One real, user-present fetch through the source `build` makes (from unsaved credentials
    in a throwaway keyring: a test never writes the real one); the outcome in words when the
    source cannot even be built."""
    try:
        source = build()
    except SourceError as exc:
        return CheckOutcome(False, exc.message, exc.to_info())
    try:
        return source.fetch(user_present=True)
    finally:
        source.close()


def failed_check(error: ErrorInfo | None, **extra: Any) -> CheckOutcome:
    from balance_desk.model import ErrorInfo

    error = error or ErrorInfo(kind="server", message="The test failed.")
    return CheckOutcome(False, error.message, error, **extra)


def unexpected_check_failure(exc: BaseException) -> CheckOutcome:
    """A bug inside a check: said in words, never with the exception's text (it might hold a
    value the user typed)."""
    from balance_desk.model import ErrorInfo

    message = f"The test stopped unexpectedly ({type(exc).__name__})."
    return CheckOutcome(False, message, ErrorInfo(kind="protocol", message=message))


class SourceSetup(Protocol[Creds]):
    """One source's part of a set-up: where its secrets live (its settings section is the
    `Settings` field of the same name)."""

    @property
    def name(self) -> SourceName: ...

    @property
    def title(self) -> str:
        """The source in the user's words ("Revolut X", "bank")."""
        ...

    def stored(self, store: CredentialStore) -> Creds | None: ...

    def put(self, store: CredentialStore, creds: Creds) -> None: ...

    def remove(self, store: CredentialStore, directory: Path | None = None) -> bool:
        """Delete the secrets (and any personal data cached for them); True if any existed."""
        ...


class SaveError(ConfigError):
    """A save failed and was undone; the message says what happened, in words."""


def save_setup(
    kind: SourceSetup[Creds],
    store: CredentialStore,
    creds: Creds,
    section: BaseModel,
    *,
    directory: Path | None = None,
    fallback: Settings | None = None,
) -> Settings:
    """Store `creds` in the keyring and `section` in the settings file, or neither; the settings
    as saved.

    The settings file is read again just before writing, so that changes made meanwhile (by the
    app, another dialog) are kept; `fallback` stands in when that file is damaged.
    """
    from balance_desk.config import Settings

    try:
        previous = kind.stored(store)
    except ConfigError:
        previous = None  # damaged: this save is how it gets replaced
    try:
        kind.put(store, creds)
    except ConfigError as exc:
        raise SaveError(f"Nothing was saved. {exc}") from exc
    try:
        try:
            current = Settings.load(directory)
        except ConfigError:
            current = fallback or Settings()
        updated = current.model_copy(update={kind.name: section})
        updated.save(directory)
    except (ConfigError, OSError) as exc:
        undo_failed = _restore(kind, store, previous)
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        text = f"Nothing was saved: the settings file could not be written ({detail})."
        if undo_failed:
            text += f" The keyring could not be put back either: {undo_failed}"
        raise SaveError(text) from exc
    return updated


def _restore(
    kind: SourceSetup[Creds], store: CredentialStore, previous: Creds | None
) -> str | None:
    """Put the keyring back as it was; the failure's words if that fails too."""
    try:
        if previous is None:
            kind.remove(store)
        else:
            kind.put(store, previous)
    except ConfigError as exc:
        return str(exc)
    return None
