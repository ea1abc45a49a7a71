"""The window's side of the fetch process (see child.py for why it exists).

`FetchHost` is the poller's `Fetcher` in the app: given how to build the sources ("module:function"
and its arguments, a `HostedFactory`), it starts the fetch process, which builds them there; each
`fetch()` asks that process and waits for the finished table. If the process dies, the fetches
waiting on it fail with a message in words, and the next fetch starts a new one.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
from dataclasses import dataclass
from itertools import count
from typing import IO, TYPE_CHECKING

from balance_desk.fetcher import early
from balance_desk.fetcher.early import host_command
from balance_desk.fetcher.outcome import FetchOutcome, RestoredSink, SetupError
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
from balance_desk.present.formatting import NumberFormat
from balance_desk.sources.factory import failed_result

if TYPE_CHECKING:
    from balance_desk.model import ErrorInfo
    from balance_desk.sources.base import SourceName

log = logging.getLogger(__name__)

# Starting Python, importing the sources and (in demo mode) starting the simulators.
START_TIMEOUT_S = 60.0
# After stdin closes the process closes its sources and leaves; past this it is killed.
EXIT_TIMEOUT_S = 3.0
# Every request in there has its own timeout; a fetch still unanswered after this means the
# process is stuck, and it is killed (the next fetch starts a new one).
FETCH_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class HostedFactory:
    """How the fetch process builds its sources: `target` is "module:function", called there
    with `args`, returning (sources, cleanup) like any source factory. Picklable by design."""

    target: str
    args: tuple[object, ...] = ()


__all__ = ["FetchHost", "HostedFactory", "host_command"]


class _Waiter:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: object = None


class FetchHost:
    """One fetch process at a time; started again on demand after it died."""

    def __init__(self, spec: HostedFactory, number: NumberFormat) -> None:
        self._spec = spec
        self._number = number
        self._lock = threading.Lock()  # guards the process, the pending requests, the writes
        self._process: subprocess.Popen[bytes] | None = None
        # The requests waiting on the current process (each process has its own dict, so that
        # the reader of a process that died fails exactly the requests it took).
        self._pending: dict[int, _Waiter] = {}
        self._requests = count(1)
        self._closed = False
        self._sources: tuple[tuple[SourceName, bool], ...] = ()
        # Handed the history's last figures once, when the first process sends them.
        self._restored_sink: RestoredSink | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self, restored: RestoredSink | None = None) -> tuple[SourceName, ...]:
        """Start the fetch process and build the sources there; the names it serves.
        `restored` gets the history's last figures as soon as the process sends them (on the
        reader thread), before it asks the keyring whether each source has keys."""
        self._restored_sink = restored
        try:
            with self._lock:
                self._spawn_locked()
        except BaseException:
            self.close()
            raise
        return tuple(name for name, _configured in self._sources)

    def configured(self) -> tuple[tuple[SourceName, bool], ...]:
        """Each source served, and whether it has keys (known once started)."""
        return self._sources

    def fetch(self, name: SourceName, user_present: bool) -> FetchOutcome:
        waiter = _Waiter()
        try:
            with self._lock:
                if self._closed:
                    raise SetupError(_stopped_info("Balance Desk is quitting."))
                if self._process is None or self._process.poll() is not None:
                    self._spawn_locked()
                request = next(self._requests)
                self._pending[request] = waiter
                assert self._process is not None and self._process.stdin is not None
                write_frame(self._process.stdin, Fetch(request, name, user_present))
        except (OSError, ValueError, SetupError) as exc:
            return FetchOutcome(failed_result(name, _host_failure(exc)), None)
        if not waiter.done.wait(FETCH_TIMEOUT_S):
            log.error("The fetching process did not answer within %.0f s; stopping it",
                      FETCH_TIMEOUT_S)
            with self._lock:
                process = self._process
            if process is not None:
                process.kill()  # its reader then ends every request waiting on it
            waiter.done.wait(EXIT_TIMEOUT_S)
        reply = waiter.reply
        if isinstance(reply, FetchOutcome):
            return reply
        return FetchOutcome(failed_result(name, _host_failure(reply)), None)

    def close(self) -> None:
        """Ask the process to leave (by closing its stdin); never blocks the caller. A fetch
        waiting on it ends at once, with an error nobody will see."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            process = self._process
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):  # already gone
                process.stdin.close()
        threading.Thread(
            target=_reap, args=(process,), name="balance-desk-fetch-host-reaper", daemon=True
        ).start()

    # --- internals ---------------------------------------------------------------------------

    def _spawn_locked(self) -> None:
        # The process `balance-desk` started before Qt, when it prepares these same sources.
        adopted = early.take(self._spec.target) if not self._spec.args else None
        process = adopted or early.spawn(host_command())
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        pending: dict[int, _Waiter] = {}
        self._pending = pending
        started = _Waiter()
        threading.Thread(
            target=self._read, args=(process, pending, started),
            name="balance-desk-fetch-host-reader", daemon=True,
        ).start()
        write_frame(
            process.stdin,
            Start(
                self._spec.target,
                self._spec.args,
                self._number,
                logging.getLogger().getEffectiveLevel(),
            ),
        )
        if not started.done.wait(START_TIMEOUT_S):
            process.kill()
            raise SetupError(_stopped_info(
                f"The fetching process did not start within {START_TIMEOUT_S:.0f} s."
            ))
        reply = started.reply
        if isinstance(reply, StartFailed):
            raise SetupError(reply.info)
        if not isinstance(reply, Started):
            raise SetupError(_host_failure(reply))
        self._sources = reply.sources

    def _read(
        self, process: subprocess.Popen[bytes], pending: dict[int, _Waiter], started: _Waiter
    ) -> None:
        """On a daemon thread: routes the process's replies; fails every waiter when it ends."""
        stream: IO[bytes] | None = process.stdout
        assert stream is not None
        problem: object = None
        try:
            while (message := read_frame(stream)) is not None:
                if isinstance(message, Fetched):
                    with self._lock:
                        waiter = pending.pop(message.request, None)
                    if waiter is not None:
                        waiter.reply = message.outcome
                        waiter.done.set()
                elif isinstance(message, LogLine):
                    logging.getLogger(message.logger).log(message.level, "%s", message.text)
                elif isinstance(message, Restored):
                    sink, self._restored_sink = self._restored_sink, None
                    if sink is not None and message.outcomes:
                        sink(message.outcomes)
                elif isinstance(message, Started | StartFailed):
                    started.reply = message
                    started.done.set()
        except Exception as exc:  # a broken stream: the process is of no further use
            problem = exc
            process.kill()
        code = process.wait()
        stream.close()
        ended = _Ended(code, problem)
        # Before taking the lock: the starter waits for this while holding it.
        started.reply = started.reply or ended
        started.done.set()
        with self._lock:
            waiters = list(pending.values())
            pending.clear()
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        for waiter in waiters:
            waiter.reply = ended
            waiter.done.set()
        if not self._closed:
            log.warning("The fetching process ended (exit code %s, %s)", code, problem)


@dataclass(frozen=True, slots=True)
class _Ended:
    exit_code: int
    problem: object


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stopped_info(message: str) -> ErrorInfo:
    from balance_desk.model import ErrorInfo

    return ErrorInfo(kind="protocol", message=message)


def _host_failure(problem: object) -> ErrorInfo:
    """Words for a fetch that the fetch process could not answer."""
    from balance_desk.model import ErrorInfo

    if isinstance(problem, SetupError):
        return problem.info
    if isinstance(problem, _Ended):
        return ErrorInfo(
            kind="protocol",
            message="Balance Desk's fetching process stopped unexpectedly "
            f"(exit code {problem.exit_code}); it starts again at the next refresh.",
        )
    return ErrorInfo(
        kind="protocol",
        message=f"Balance Desk could not reach its fetching process ({problem}); "
        "it starts again at the next refresh.",
    )
