"""`balance-desk --keyring-backend` names the keyring in use, or says there is none: the
diagnostic the frozen-build test relies on to prove keyring's backends survived freezing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from balance_desk.main import main


def needs_secret_service() -> None:
    if not os.environ.get("BALANCE_DESK_REAL_KEYRING"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the keyring tests on a real Secret Service (scripts/test)")
        pytest.skip("needs the private Secret Service that scripts/test starts")


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "balance_desk", "--keyring-backend"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.keyring
def test_names_the_secret_service_backend(capsys: pytest.CaptureFixture[str]) -> None:
    needs_secret_service()
    assert main(["--keyring-backend"]) == 0
    assert capsys.readouterr().out.strip() == "keyring.backends.SecretService.Keyring"


def test_without_a_secret_service_it_says_so_and_fails(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'no-bus'}"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no keyringrc.cfg choosing a backend
    env.pop("PYTHON_KEYRING_BACKEND", None)
    result = run_cli(env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no system keyring" in result.stderr
