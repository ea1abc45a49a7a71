"""The fetch process: runs the sources and formats their rows, away from the window's process.

Why a separate process: fetching and parsing hundreds of accounts is Python work, and Python
work on any thread of the window's process takes the window's GIL. Each painted table cell calls
into Python, so while a fetch thread parsed, every cell could wait for the GIL, and a full
garbage collection started by the parser (tens of milliseconds with Qt's objects in the heap)
stopped the window outright. Here the parsing, the TLS, the quota ledger, the keyring reads and
the demo servers all run in a process of their own; the window's process receives finished rows.
This module never imports Qt (a test checks it), so the process stays small.

It speaks `protocol.py` on its stdin and stdout; its sources run in a `SourceRunner`, which also
keeps each source's last good table.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # Run as the fetch process: lower our priority before the imports below, so that even our
    # start-up (which overlaps the window's own, see early.py) gives the window the CPU first.
    with __import__("contextlib").suppress(AttributeError, OSError):  # no os.nice() on Windows
        os.nice(10)  # BACKGROUND_NICENESS, defined below

import contextlib
import importlib
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TYPE_CHECKING

from balance_desk.fetcher.early import PREFETCH_FLAG, PREPARE_FLAG
from balance_desk.fetcher.outcome import startup_error
from balance_desk.fetcher.protocol import (
    Fetch,
    Fetched,
    LogLine,
    Restored,
    Start,
    Started,
    StartFailed,
    read_frame,
    write_frame,
)
from balance_desk.fetcher.runner import SourceRunner
from balance_desk.logs import NOISY_LOGGERS
from balance_desk.present.formatting import NumberFormat

if TYPE_CHECKING:
    from balance_desk.sources.base import Source, SourceSet

# How much lower than the window this process runs (Unix niceness).
BACKGROUND_NICENESS = 10
# How long closing the sources may take before the process exits regardless.
CLOSE_TIMEOUT_S = 2.0


def load_target(target: str) -> Callable[..., SourceSet]:
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


class Prepared:
    """Sources built before `Start` arrived (the process was started early, see early.py), and
    their first fetches, already under way when asked for."""

    def __init__(self, target: str, *, prefetch: bool) -> None:
        self.target = target
        self.built = load_target(target)()
        self.prefetched: dict[str, Future[object]] = {}
        if prefetch:
            pool = ThreadPoolExecutor(max_workers=max(1, len(self.built.sources)),
                                      thread_name_prefix="prefetch")
            for source in self.built.sources:
                self.prefetched[source.name] = pool.submit(self._first_fetch, source)
            pool.shutdown(wait=False)

    def _first_fetch(self, source: Source) -> object:
        result = source.fetch(user_present=True)
        rates = self.built.rates
        if rates is not None and result.status == "ok":
            from balance_desk.fetcher.outcome import result_currencies

            rates.prices(result_currencies(result))  # warms the rate caches
        return result

    def close(self) -> None:
        closer = SourceRunner(self.built.sources, NumberFormat(), self.built.cleanup,
                              rates=self.built.rates, history=self.built.history)
        closer.close()


def prepare(argv: list[str]) -> Prepared | None:
    """`--prepare module:function [--prefetch]`: build (and fetch) before `Start` arrives."""
    if PREPARE_FLAG not in argv:
        return None
    target = argv[argv.index(PREPARE_FLAG) + 1]
    try:
        return Prepared(target, prefetch=PREFETCH_FLAG in argv)
    except Exception:  # the usual start, once `Start` comes, says what is wrong
        return None


class _Host:
    def __init__(self, out: IO[bytes], prepared: Prepared | None = None) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self._runner: SourceRunner | None = None
        self._prepared = prepared

    def send(self, message: object) -> None:
        with self._write_lock:
            write_frame(self._out, message)

    def start(self, request: Start) -> bool:
        prepared, self._prepared = self._prepared, None
        prefetched: dict[str, Future[object]] = {}
        if prepared is not None and prepared.target == request.target and not request.args:
            built, prefetched = prepared.built, prepared.prefetched
        else:
            if prepared is not None:
                prepared.close()
            try:
                built = load_target(request.target)(*request.args)
            except Exception as exc:
                logging.getLogger(__name__).warning("Could not set up the sources: %s", exc)
                self.send(StartFailed(startup_error(exc)))
                return False
        self._runner = SourceRunner(
            built.sources, request.number, built.cleanup, rates=built.rates,
            prefetched=prefetched, history=built.history, glance=built.glance,
        )
        # The history's figures first: `configured` reads the keyring, which may wait for the
        # user to unlock it, and the window should show the last figures meanwhile.
        self.send(Restored(self._runner.restored()))
        self.send(Started(self._runner.configured()))
        return True

    def serves(self, name: str) -> bool:
        return self._runner is not None and name in self._runner.names

    def fetch(self, request: Fetch) -> None:
        """On a thread of its own: the two sources fetch independently, as in the window."""
        assert self._runner is not None
        outcome = self._runner.fetch(request.source, request.user_present)
        self.send(Fetched(request.request, outcome))

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


def serve(inp: IO[bytes], out: IO[bytes], prepared: Prepared | None = None) -> int:
    host = _Host(out, prepared)
    first = read_frame(inp)
    if not isinstance(first, Start):
        if prepared is not None:
            prepared.close()  # the app quit before it needed us
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
        os.nice(max(0, BACKGROUND_NICENESS - os.nice(0)))  # once, however we were started
    # The protocol owns the real stdout; anything printed by mistake goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    code = serve(sys.stdin.buffer, out, prepare(sys.argv[1:]))
    out.flush()
    sys.stderr.flush()
    # Daemon fetch threads may still be inside a request: leave without waiting for them.
    os._exit(code)


if __name__ == "__main__":
    # Run from the module under its real name, not from this second copy that `-m` makes as
    # `__main__`: its log lines then carry the module's own logger name.
    from balance_desk.fetcher.child import main as real_main

    real_main()
