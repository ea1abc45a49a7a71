"""The bank in `--demo` and in `balance-desk simulator`: wired up and readable as shipped."""

from __future__ import annotations

import io
import shlex
import tempfile
from pathlib import Path

from balance_desk.cli.keys_bank import keys_set_bank
from balance_desk.cli.main import build_parser
from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.simulator.demo import start_demo
from balance_desk.simulator.open_banking.console import start_bank
from balance_desk.sources.open_banking.source import OpenBankingSource


def test_demo_environment_serves_bank_balances(data_home: Path) -> None:
    with start_demo() as demo:
        assert demo.bank is not None
        cert = Path(demo.settings.bank.cert_path or "")
        assert cert.is_file()
        source = OpenBankingSource(demo.store, demo.settings.bank, data_home)
        result = source.fetch(user_present=True)
        assert result.status == "ok", result.error
        assert len(result.accounts) == len(demo.bank.accounts)
    assert not cert.exists()  # the throwaway certificates are removed with the simulator


def test_simulator_instructions_work_when_followed(
    memory_store: CredentialStore, data_home: Path
) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        running = start_bank(Path(workdir))
        try:
            text = "\n".join(running.instructions)
            start = text.index("balance-desk keys set bank")
            end = text.index("\n", text.index("--client-id"))
            command = shlex.split(text[start:end].replace("\\\n", " "))
            assert command[:2] == ["balance-desk", "keys"]
            keys_set_bank(
                build_parser().parse_args(command[1:]), store=memory_store, out=io.StringIO()
            )
            source = OpenBankingSource(memory_store, Settings.load().bank, data_home)
            assert source.fetch(user_present=True).status == "ok"
        finally:
            running.server.stop()
