"""The small typed tree every source raises, so the GUI and CLI decide what to show by type, and
the exit codes that the command line and the app end with."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    # Imported when first needed: pydantic (through the model) costs more than the rest of the
    # command line's start-up, and most runs never turn an error into an ErrorInfo.
    from datetime import datetime

    from balance_desk.model import ErrorInfo, ErrorKind

# How `balance-desk` ends, as a command or as the app (`--exit-after-refresh`).
EXIT_OK = 0
EXIT_FAILED = 1  # a source (or the command) failed; the reason was said in words
EXIT_USAGE = 2  # wrong arguments, or nothing configured to work with


class SourceError(Exception):
    """A fetch failed. `str(err)` is a sentence a user can act on; never contains a secret."""

    kind: ClassVar[ErrorKind] = "server"
    title: ClassVar[str] = "Error"

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        server_message: str | None = None,
        error_id: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.server_message = server_message
        self.error_id = error_id
        # When it makes sense to try again (429, quota); None means "on the normal schedule".
        self.retry_at = retry_at

    def to_info(self) -> ErrorInfo:
        from balance_desk.model import ErrorInfo

        return ErrorInfo(
            kind=self.kind,
            message=self.message,
            http_status=self.http_status,
            error_id=self.error_id,
            server_message=self.server_message,
            retry_at=self.retry_at,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, http_status={self.http_status!r}, "
            f"error_id={self.error_id!r})"
        )


class AuthError(SourceError):
    """401/403: the credentials were refused (or a new bank consent is needed)."""

    kind = "auth"
    title = "Not authorised"


class ClockError(SourceError):
    """409 on Revolut X: this computer's clock is ahead of the server's."""

    kind = "clock"
    title = "Clock out of sync"

    def __init__(
        self,
        message: str,
        *,
        offset_ms: int | None = None,
        http_status: int | None = None,
        server_message: str | None = None,
        error_id: str | None = None,
    ) -> None:
        super().__init__(
            message, http_status=http_status, server_message=server_message, error_id=error_id
        )
        # How far this computer's clock is ahead of the server's (positive = ahead).
        self.offset_ms = offset_ms


class RateLimitedError(SourceError):
    """429 (or the Open Banking 4-a-day quota): try again at `retry_at`."""

    kind = "rate_limited"
    title = "Rate limited"


class ServerError(SourceError):
    """5xx or another unexpected status from the server."""

    kind = "server"
    title = "Server error"


class NetworkError(SourceError):
    """Could not connect, the read timed out, or TLS failed."""

    kind = "network"
    title = "Network problem"


class ProtocolError(SourceError):
    """The server answered something we cannot read as the documented schema."""

    kind = "protocol"
    title = "Unexpected answer"


class ConfigError(SourceError):
    """Credentials or settings are missing or unusable (including keyring failures)."""

    kind = "config"
    title = "Set-up problem"


class InternalError(SourceError):
    """A bug of ours met while reading a source: caught at the source's edge, logged with its
    traceback, and reported as this source's failure only (never the other source's)."""

    kind = "internal"
    title = "Internal error"

    @classmethod
    def from_bug(cls, exc: BaseException, service: str) -> InternalError:
        return cls(
            f"Balance Desk hit a problem of its own while reading {service} "
            f"({type(exc).__name__}); details are in the log file."
        )


# Each kind in words, as the status bar, the key dialog and the tray name it.
KIND_TITLES: dict[str, str] = {
    cls.kind: cls.title
    for cls in (
        AuthError,
        ClockError,
        RateLimitedError,
        ServerError,
        NetworkError,
        ProtocolError,
        ConfigError,
        InternalError,
    )
}
