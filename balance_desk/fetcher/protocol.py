"""The pipe between the window's process and its fetch process: length-prefixed pickles, spoken
only between two processes of this program.

The window's process sends `Start` and then `Fetch` requests, and closes the pipe to stop the
fetch process; the fetch process answers `Restored` and `Started` (or `StartFailed`), one
`Fetched` per request,
and forwards its log records as `LogLine`s (the window's process owns the log file). Secrets
never cross: the fetch process reads the keyring itself, or makes the demo's throwaway keys.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from balance_desk.fetcher.outcome import FetchOutcome
from balance_desk.present.formatting import NumberFormat

if TYPE_CHECKING:
    from balance_desk.model import ErrorInfo
    from balance_desk.sources.base import SourceName

# The flag a frozen build's executable is started with to become the fetch process.
from balance_desk.fetcher.early import FETCH_HOST_FLAG

__all__ = ["FETCH_HOST_FLAG"]
# Far above any real answer (a bank's 4 MB cap, formatted): a larger frame is a broken stream.
MAX_FRAME_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Start:
    target: str  # "module:function" returning (sources, cleanup), run in this process
    args: tuple[object, ...]
    number: NumberFormat
    log_level: int  # the window's: records below it are not worth sending


@dataclass(frozen=True, slots=True)
class Fetch:
    request: int
    source: SourceName
    user_present: bool


@dataclass(frozen=True, slots=True)
class Restored:
    """The last figures from the history, to paint before the first fetch answers: sent
    before `Started`, whose `configured` asks the keyring (which may wait for the user)."""

    outcomes: tuple[FetchOutcome, ...]


@dataclass(frozen=True, slots=True)
class Started:
    sources: tuple[tuple[SourceName, bool], ...]  # (name, configured)


@dataclass(frozen=True, slots=True)
class StartFailed:
    info: ErrorInfo


@dataclass(frozen=True, slots=True)
class Fetched:
    request: int
    outcome: FetchOutcome


@dataclass(frozen=True, slots=True)
class LogLine:
    level: int
    logger: str
    text: str


def write_frame(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(4, "big") + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> object | None:
    """The next message, or None when the other side has closed the stream."""
    head = stream.read(4)
    if not head:
        return None
    if len(head) < 4:
        raise EOFError("the stream ended inside a frame")
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"a {size}-byte frame is larger than any answer")
    body = stream.read(size)
    if len(body) < size:
        raise EOFError("the stream ended inside a frame")
    message: object = pickle.loads(body)  # noqa: S301 - our own process, on a private pipe
    return message
