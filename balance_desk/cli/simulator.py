"""`balance-desk simulator`: the loopback simulators in the foreground, with ready-made commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from balance_desk.cli.args import UsageError, invocation


def cmd_simulator(args: argparse.Namespace) -> int:
    from balance_desk.simulator.console import (
        RunningSimulator,
        run_foreground,
        start_ecb,
        start_revolut_x,
    )
    from balance_desk.simulator.open_banking.console import start_bank

    command = invocation()  # the printed commands run as printed, from a checkout too

    def revolut_x(workdir: Path) -> RunningSimulator:
        return start_revolut_x(args.port, workdir, command)

    def bank(workdir: Path) -> RunningSimulator:
        return start_bank(workdir, command)

    def ecb(workdir: Path) -> RunningSimulator:
        return start_ecb(workdir, command)

    # Each simulator is one starter; the bank and the ECB feed listen on any free port.
    starters: list[Callable[[Path], RunningSimulator]] = [revolut_x, bank, ecb]
    try:
        return run_foreground(starters)
    except OSError as exc:
        raise UsageError(
            f"Cannot start the simulator on 127.0.0.1 port {args.port}: {exc.strerror or exc}"
        ) from exc
