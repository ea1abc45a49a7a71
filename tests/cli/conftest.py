"""Every command that values balances reads the ECB rates from a loopback feed, never the
internet: each test's data directory starts with `rates.ecb_url` pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from balance_desk.simulator.ecb import EcbSimulator


@pytest.fixture(scope="session")
def ecb_feed() -> Iterator[EcbSimulator]:
    with EcbSimulator() as feed:
        yield feed


@pytest.fixture(autouse=True)
def local_rates(data_home: Path, ecb_feed: EcbSimulator) -> EcbSimulator:
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "settings.json").write_text(
        json.dumps({"rates": {"ecb_url": ecb_feed.feed_url}, "base_currency": "EUR"})
    )
    return ecb_feed
