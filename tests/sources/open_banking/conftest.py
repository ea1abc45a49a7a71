"""Fixtures for the Open Banking source's tests: the bank simulator, and a source on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.sources.open_banking.source import OpenBankingSource
from tests.sources.open_banking.support import make_source, store_tokens


@pytest.fixture
def sim() -> Iterator[BankSimulator]:
    with BankSimulator() as simulator:
        yield simulator


@pytest.fixture
def bank(
    sim: BankSimulator, memory_store: CredentialStore, data_home: Path
) -> OpenBankingSource:
    """A configured source on the default simulator data (7 accounts on 2 pages)."""
    store_tokens(memory_store, sim.issue_tokens())
    return make_source(sim, memory_store, data_home)
