"""`balance-desk simulator`: the simulators in the foreground until Ctrl+C.

Demo credentials go to a fresh private temporary folder (never the data directory) so the user
can feed them to `keys set`; the folder is removed on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from balance_desk.simulator.base import LoopbackServer
from balance_desk.simulator.revolut_x.server import RevolutXSimulator


@dataclass
class RunningSimulator:
    server: LoopbackServer
    instructions: list[str]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def start_revolut_x(port: int, workdir: Path, command: str = "balance-desk") -> RunningSimulator:
    """The Revolut X simulator; `command` is how the user runs Balance Desk (the printed
    commands must run as printed)."""
    server = RevolutXSimulator(port=port).start()
    key_file = workdir / "revolut-x-api-key.txt"
    pem_file = workdir / "revolut-x-private.pem"
    _write_private(key_file, server.api_key + "\n")
    _write_private(pem_file, server.private_key_pem)
    return RunningSimulator(
        server,
        [
            f"Revolut X simulator: {server.api_root}",
            "  Point Balance Desk at it with its throwaway demo key (this replaces any Revolut X",
            f"  key stored in your keyring; `{command} --demo` needs no keys at all):",
            f"    {command} keys set revolut-x --url {server.api_root} \\",
            f"      --api-key-file {key_file} --private-key {pem_file}",
            f"    {command} snapshot --source revolut-x",
        ],
    )


def start_ecb(workdir: Path, command: str = "balance-desk") -> RunningSimulator:
    """The ECB reference-rates feed, with fixed rates."""
    from balance_desk.simulator.ecb import EcbSimulator

    server = EcbSimulator().start()
    return RunningSimulator(
        server,
        [
            f"ECB reference rates feed: {server.feed_url}",
            "  Value fiat balances with its fixed rates (put back with `config unset`):",
            f"    {command} config set rates.ecb_url {server.feed_url}",
        ],
    )


def run_foreground(
    starters: list[Callable[[Path], RunningSimulator]],
    *,
    stop: threading.Event | None = None,
) -> int:
    """Start every simulator, print how to use them, and serve until Ctrl+C or SIGTERM."""
    stop = stop or threading.Event()
    workdir = Path(tempfile.mkdtemp(prefix="balance-desk-simulator-"))
    running: list[RunningSimulator] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for start in starters:
            running.append(start(workdir))
        for part in running:
            print(*part.instructions, sep="\n", flush=True)
        print(f"Demo files are in {workdir} (removed on exit). Press Ctrl+C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for part in reversed(running):
            part.server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Simulator stopped.", file=sys.stderr, flush=True)
    return 0
