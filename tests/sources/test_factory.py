"""One source's bug never takes the other source's answer with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.model import BankResult, RevolutXResult
from balance_desk.simulator.demo import start_demo
from balance_desk.sources.base import SourceName
from balance_desk.sources.factory import build_sources, fetch_snapshot


class Broken:
    name: SourceName = "bank"

    def is_configured(self) -> bool:
        return True

    def fetch(self, *, user_present: bool) -> BankResult:
        raise KeyError("a bug")

    def close(self) -> None:
        pass


def test_a_source_that_raises_fails_alone_and_says_so_in_words(
    memory_store: CredentialStore,
) -> None:
    class Fine:
        name: SourceName = "revolut_x"

        def is_configured(self) -> bool:
            return True

        def fetch(self, *, user_present: bool) -> RevolutXResult:
            return RevolutXResult(status="ok")

        def close(self) -> None:
            pass

    snapshot = fetch_snapshot([Fine(), Broken()])
    assert snapshot.revolut_x is not None and snapshot.revolut_x.status == "ok"
    assert snapshot.bank is not None and snapshot.bank.status == "error"
    error = snapshot.bank.error
    assert error is not None and error.kind == "internal"
    assert "KeyError" in error.message and "log file" in error.message


def test_a_bug_inside_the_bank_source_is_that_sources_failure_only(
    monkeypatch: pytest.MonkeyPatch, data_home: Path
) -> None:
    def broken(*_args: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("balance_desk.sources.open_banking.source.parse_account", broken)
    with start_demo() as env:
        sources = build_sources(env.store, env.settings)
        try:
            snapshot = fetch_snapshot(sources)
        finally:
            for source in sources:
                source.close()
    assert snapshot.revolut_x is not None and snapshot.revolut_x.status == "ok"
    assert snapshot.bank is not None and snapshot.bank.status == "error"
    assert snapshot.bank.error is not None and snapshot.bank.error.kind == "internal"
    document = snapshot.to_document()
    assert document["sources"]["bank"]["error"]["kind"] == "internal"
    assert document["sources"]["revolut_x"]["balances"]
