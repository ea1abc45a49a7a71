"""Starting the fetch process first thing, before the window's process imports Qt, so that its
start-up (Python, httpx, pydantic, the keyring, the demo's servers) and its first fetch overlap
the window's own start instead of following it.

Light on purpose (`subprocess` and `sys` only): it runs before the first paint. The process is
told only which sources to prepare (`--prepare module:function`, never a secret) and whether to
fetch at once; `FetchHost` adopts it later and sends the rest (`protocol.Start`).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys

# The flag a frozen build's executable is started with to become the fetch process.
FETCH_HOST_FLAG = "--fetch-host"
# Build these sources at once (and, with PREFETCH_FLAG, fetch them) before `Start` arrives.
PREPARE_FLAG = "--prepare"
PREFETCH_FLAG = "--prefetch"

# The process started early, by the target it prepares (one at most).
_early: dict[str, subprocess.Popen[bytes]] = {}


def host_command(*extra: str) -> list[str]:
    if getattr(sys, "frozen", False):  # a PyInstaller build: the app's own executable
        return [sys.executable, FETCH_HOST_FLAG, *extra]
    return [sys.executable, "-m", "balance_desk.fetcher.child", *extra]


def spawn(command: list[str]) -> subprocess.Popen[bytes]:
    import os

    # Each fetch thread would otherwise get a malloc arena of its own (glibc): resident memory
    # the process never gives back. Two arenas serve its few threads as fast.
    env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)


def start_early(target: str, *, prefetch: bool) -> None:
    """Start the fetch process for `target` now; `take(target)` hands it over later."""
    drop()
    extra = [PREPARE_FLAG, target, *([PREFETCH_FLAG] if prefetch else [])]
    with contextlib.suppress(OSError):  # else FetchHost starts one the usual way
        _early[target] = spawn(host_command(*extra))


def take(target: str) -> subprocess.Popen[bytes] | None:
    """The process started early for `target`, still running, or None (once only)."""
    process = _early.pop(target, None)
    drop()
    if process is not None and process.poll() is None:
        return process
    return None


def discard(process: subprocess.Popen[bytes]) -> None:
    """Let a process that will not be used leave (closing its stdin ends it), and collect it
    on a thread of its own."""
    import threading

    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()

    def reap() -> None:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    threading.Thread(target=reap, name="balance-desk-early-reaper", daemon=True).start()


def drop() -> None:
    """Let any process started early and not taken go."""
    while _early:
        discard(_early.popitem()[1])
