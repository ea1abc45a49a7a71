"""The fetch process: runs the sources and formats their rows, away from the window's process.

Why a separate process: fetching and parsing hundreds of accounts is Python work, and Python
work on any thread of the window's process takes the window's GIL. Each painted table cell calls
into Python, so while a fetch thread parsed, every cell could wait for the GIL, and a full
garbage collection started by the parser (tens of milliseconds with Qt's objects in the heap)
stopped the window outright. Here the parsing, the TLS, the quota ledger, the keyring reads and
the demo servers all run in a process of their own; the window's process receives finished rows.
This module never imports Qt (a test checks it), so the process stays small.

The protocol is length-prefixed pickles on this process's stdin and stdout, spoken only between
two processes of this program: the window's process sends `Start` and then `Fetch` requests and
closes stdin to stop it; this process answers `Started` or `StartFailed`, one `Fetched` per
request, and forwards its log records as `LogLine`s (the window's process owns the log file).
Secrets never cross: this process reads the keyring itself, or makes the demo's throwaway keys.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from balance_desk.gui.fetching import FetchOutcome, kept_table, run_fetch, startup_error
from balance_desk.gui.formatting import NumberFormat
from balance_desk.logs import NOISY_LOGGERS

if TYPE_CHECKING:
    from balance_desk.gui.snapshots import TableData
    from balance_desk.model import ErrorInfo
    from balance_desk.service import Source, SourceName

# The flag a frozen build's executable is started with to become the fetch process.
FETCH_HOST_FLAG = "--fetch-host"
# Far above any real answer (a bank's 4 MB cap, formatted): a larger frame is a broken stream.
MAX_FRAME_BYTES = 256 * 1024 * 1024
# How much lower than the window this process runs (Unix niceness).
BACKGROUND_NICENESS = 10
# How long closing the sources may take before the process exits regardless.
CLOSE_TIMEOUT_S = 2.0

Cleanup = Callable[[], None]


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


def load_target(target: str) -> Callable[..., tuple[list[Source], Cleanup | None]]:
    module_name, _, function = target.partition(":")
    function_object = getattr(importlib.import_module(module_name), function)
    if not callable(function_object):
        raise TypeError(f"{target} is not a function")
    return function_object  # type: ignore[no-any-return]


class _ForwardLogs(logging.Handler):
    def __init__(self, host: _Host) -> None:
        super().__init__()
        self._host = host
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._host.send(LogLine(record.levelno, record.name, self.format(record)))
        except Exception:  # the window's process is gone; nothing left to tell
            self.handleError(record)


class _Host:
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self._sources: dict[SourceName, Source] = {}
        self._cleanup: Cleanup | None = None
        self._number = NumberFormat()
        self._previous: dict[SourceName, TableData | None] = {}

    def send(self, message: object) -> None:
        with self._write_lock:
            write_frame(self._out, message)

    def start(self, request: Start) -> bool:
        self._number = request.number
        try:
            sources, self._cleanup = load_target(request.target)(*request.args)
        except Exception as exc:
            logging.getLogger(__name__).warning("Could not set up the sources: %s", exc)
            self.send(StartFailed(startup_error(exc)))
            return False
        self._sources = {source.name: source for source in sources}
        self.send(Started(tuple((s.name, s.is_configured()) for s in sources)))
        return True

    def serves(self, name: str) -> bool:
        return name in self._sources

    def fetch(self, request: Fetch) -> None:
        """On a thread of its own: the two sources fetch independently, as in the window."""
        source = self._sources[request.source]
        outcome = run_fetch(
            source, request.user_present, self._number, self._previous.get(source.name)
        )
        self._previous[source.name] = kept_table(self._previous.get(source.name), outcome)
        self.send(Fetched(request.request, outcome))

    def close(self) -> None:
        for source in self._sources.values():
            try:
                source.close()
            except Exception:
                logging.getLogger(__name__).exception("Closing the %s source failed", source.name)
        if self._cleanup is not None:
            self._cleanup()


def serve(inp: IO[bytes], out: IO[bytes]) -> int:
    host = _Host(out)
    first = read_frame(inp)
    if not isinstance(first, Start):
        return 1
    root = logging.getLogger()
    root.addHandler(_ForwardLogs(host))
    root.setLevel(first.log_level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(first.log_level, logging.WARNING))
    if not host.start(first):
        return 1
    try:
        while (message := read_frame(inp)) is not None:
            if isinstance(message, Fetch) and host.serves(message.source):
                threading.Thread(
                    target=host.fetch, args=(message,), name=f"fetch-{message.source}",
                    daemon=True,
                ).start()
    finally:
        # The window's process closed the pipe (quit, or it died): close what is idle, stop
        # the demo servers, and leave; a fetch still running is abandoned with the process.
        closer = threading.Thread(target=host.close, name="close", daemon=True)
        closer.start()
        closer.join(CLOSE_TIMEOUT_S)
    return 0


def main() -> None:
    # Background work: when the machine is busy, the window's process gets the CPU first.
    with contextlib.suppress(AttributeError, OSError):  # no os.nice() on Windows
        os.nice(BACKGROUND_NICENESS)
    # The protocol owns the real stdout; anything printed by mistake goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    code = serve(sys.stdin.buffer, out)
    out.flush()
    sys.stderr.flush()
    # Daemon fetch threads may still be inside a request: leave without waiting for them.
    os._exit(code)


if __name__ == "__main__":
    # Run from the module under its real name, so that the classes it unpickles are the ones
    # `serve()` checks against (under `-m` this file is also `__main__`, a second copy).
    from balance_desk.gui.fetch_host import main as real_main

    real_main()
