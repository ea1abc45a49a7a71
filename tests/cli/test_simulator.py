"""`balance-desk simulator` prints commands that run exactly as printed, however it was started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from balance_desk.credentials import CredentialStore
from tests import REPO

VENV_BIN = Path(sys.executable).parent


def _without_venv_on_path() -> dict[str, str]:
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != VENV_BIN]
    return {**os.environ, "PATH": os.pathsep.join(path)}


@pytest.mark.keyring
@pytest.mark.parametrize(
    "start",
    [
        [str(VENV_BIN.relative_to(REPO) / "balance-desk")] if VENV_BIN.is_relative_to(REPO)
        else [str(VENV_BIN / "balance-desk")],
        [sys.executable, "-m", "balance_desk"],
    ],
)
def test_the_printed_commands_run_as_printed_from_the_checkout(
    start: list[str], real_keyring_store: CredentialStore, data_home: Path
) -> None:
    env = _without_venv_on_path()  # as after a fresh clone: balance-desk is not on PATH
    child = subprocess.Popen(
        [*start, "simulator"], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
        text = "".join(lines).replace("\\\n", " ")
        commands = [
            line.strip() for line in text.splitlines()
            if re.search(r" (keys set [a-z]|snapshot --source)", line)
        ]
        assert len(commands) == 4, text
        for command in commands:
            # As the user would: the printed line, pasted into a shell.
            done = subprocess.run(  # noqa: S602
                command, shell=True, cwd=REPO, env=env, capture_output=True, text=True,
                timeout=60, check=False,
            )
            assert done.returncode == 0, (command, done.stdout, done.stderr)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
