"""The ECB's reference rates: the real XML format read safely, cached for the day, a failed fetch
falling back on the cache with its age, a damaged cache moved aside."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from balance_desk.errors import ProtocolError
from balance_desk.simulator.ecb import DEMO_RATES, EcbSimulator, feed_document
from balance_desk.sources.rates.ecb import CACHE_FILE, EcbFeed, parse_feed

DAY = date(2026, 11, 30)


@pytest.fixture
def ecb() -> Iterator[EcbSimulator]:
    with EcbSimulator() as feed:
        feed.day = DAY
        yield feed


def test_the_real_format_is_read_digit_for_digit() -> None:
    rates = parse_feed(feed_document(DAY, DEMO_RATES))
    assert rates.day == DAY
    assert rates.per_euro["GBP"] == Decimal("0.83215")
    assert str(rates.per_euro["JPY"]) == "162.47"
    assert len(rates.per_euro) == len(DEMO_RATES)
    assert rates.as_of == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 16:00 CET


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html><body>Maintenance</body></html>", "no day of rates"),
        (b"<gesmes:Envelope", "damaged XML"),
        (b"", "an empty answer"),
        (b'{"rates": {}}', "not JSON"),
        (feed_document(DAY, {"USD": "1,0523"}), "unreadable rate"),
        (feed_document(DAY, {"USD": "-1.05"}), "unreadable rate"),
        (feed_document(DAY, {"USD": "0"}), "unreadable rate"),
        (feed_document(DAY, {"usd\u202e": "1.05"}), "unreadable rate"),
        (feed_document(DAY, {}), "no rates"),
        (feed_document(DAY, {"USD": "1"}).replace(b"2026-11-30", b"30/11/2026"),
         "unreadable date"),
    ],
)
def test_anything_but_the_feed_is_a_clear_protocol_error(body: bytes, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        parse_feed(body)


def test_entity_expansion_is_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<Cube><Cube time='2026-11-30'><Cube currency='USD' rate='&lol2;'/></Cube></Cube>"
    )
    with pytest.raises(ProtocolError, match="could not be read safely"):
        parse_feed(bomb)


def test_a_second_run_the_same_day_reads_the_cache_and_makes_no_request(
    ecb: EcbSimulator, tmp_path: Path
) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    first = EcbFeed(ecb.feed_url, tmp_path, clock=lambda: now)
    rates, error, note = first.rates()
    first.close()
    assert error is None and note is None and rates is not None
    assert ecb.requests == 1
    cached = json.loads((tmp_path / CACHE_FILE).read_text())
    assert cached["rates"]["GBP"] == "0.83215" and cached["day"] == "2026-11-30"

    later = EcbFeed(ecb.feed_url, tmp_path, clock=lambda: now + timedelta(hours=5))
    again, error, note = later.rates()
    assert ecb.requests == 1  # no second request that day
    assert again is not None and again.per_euro == rates.per_euro and error is None

    tomorrow = EcbFeed(ecb.feed_url, tmp_path, clock=lambda: now + timedelta(days=1))
    tomorrow.rates()
    tomorrow.close()
    assert ecb.requests == 2


def test_a_failed_fetch_uses_the_cache_and_says_how_old_it_is(
    ecb: EcbSimulator, tmp_path: Path
) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    first = EcbFeed(ecb.feed_url, tmp_path, clock=lambda: now)
    first.rates()
    first.close()
    ecb.failing = 503
    feed = EcbFeed(ecb.feed_url, tmp_path, clock=lambda: now + timedelta(days=3))
    rates, error, note = feed.rates()
    feed.close()
    assert rates is not None and rates.per_euro["GBP"] == Decimal("0.83215")
    assert error is None
    assert note is not None
    assert "HTTP 503" in note and "rates of 2026-11-30" in note and "3 days ago" in note


def test_without_a_cache_a_failed_fetch_is_an_error_in_words(
    ecb: EcbSimulator, tmp_path: Path
) -> None:
    ecb.body = b"<html><body>Captive portal</body></html>"
    feed = EcbFeed(ecb.feed_url, tmp_path)
    rates, error, note = feed.rates()
    feed.close()
    assert rates is None and note is None
    assert error == (
        "No ECB rates: The ECB rates feed had no day of rates in it (no <Cube time=…>)."
    )
    assert not (tmp_path / CACHE_FILE).exists()


@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe", b"[1, 2]", b'{"url": "X"', b"[" * 100_000,
     b'{"url": "URL", "fetched_at": "2026-12-01T09:00:00+00:00", "day": "2026-11-30", '
     b'"rates": {"GBP": "-1"}}'],
)
def test_a_damaged_cache_is_moved_aside_and_fresh_rates_fetched(
    ecb: EcbSimulator, tmp_path: Path, damage: bytes
) -> None:
    (tmp_path / CACHE_FILE).write_bytes(damage.replace(b"URL", ecb.feed_url.encode()))
    feed = EcbFeed(ecb.feed_url, tmp_path)
    rates, error, note = feed.rates()
    feed.close()
    assert rates is not None and error is None
    assert ecb.requests == 1
    assert note is not None and "were damaged and moved aside" in note
    (aside,) = tmp_path.glob(f"{CACHE_FILE}.damaged-*")
    assert aside.read_bytes() == damage.replace(b"URL", ecb.feed_url.encode())
    # The new rates replaced the damaged file.
    assert json.loads((tmp_path / CACHE_FILE).read_text())["rates"]["GBP"] == "0.83215"


def test_a_hanging_feed_ends_at_the_read_timeout(ecb: EcbSimulator, tmp_path: Path) -> None:
    import httpx

    ecb.delay_s = 5
    feed = EcbFeed(ecb.feed_url, tmp_path, timeout=httpx.Timeout(0.3))
    rates, error, _ = feed.rates()
    feed.close()
    assert rates is None and error is not None and "did not answer in time" in error
