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


def test_the_demo_starts_with_a_bank_connected_a_month_ago_and_renews_it(
    data_home: Path,
) -> None:
    """A returning user's bank: a real, authorised consent with its dates, read at once; and
    Renew runs the whole consent flow against the simulated bank."""
    from datetime import UTC, datetime, timedelta

    from balance_desk.fetcher.targets import connect_demo_bank
    from balance_desk.setup.bank_connect import begin, connection_infos, finish, renewal_request
    from balance_desk.simulator.open_banking.consent_desk import browse
    from balance_desk.sources.factory import build_sources

    with start_demo() as demo:
        connect_demo_bank(demo)
        assert demo.bank is not None
        (info,) = connection_infos(demo.settings, demo.store)
        now = datetime.now(UTC)
        assert info.name == "Revolut" and info.status == "authorised"
        assert info.created_at is not None and info.consent_expires_at is not None
        assert timedelta(days=29) < now - info.created_at < timedelta(days=31)
        assert timedelta(days=59) < info.consent_expires_at - now < timedelta(days=61)
        (bank,) = build_sources(demo.store, demo.settings, "bank", demo.rates_dir)
        assert bank.fetch(user_present=True).status == "ok"
        demo.bank.desk.signing_key_path  # noqa: B018 - made on a thread: written by now
        request, old = renewal_request(demo.settings, "Revolut", demo.store)
        pending = begin(request, previous=old)
        done = finish(pending, browse(pending.url), demo.store, directory=demo.rates_dir)
        assert done.result.status == "ok"
        assert demo.bank.desk.consents[info.consent_id or ""].status == "Revoked"
