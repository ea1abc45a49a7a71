"""Revolut X tickers: only the pairs needed, signed exactly as sent, prices parsed as strictly as
balances; and the RateBook that gathers every rate and never lets one hide a balance."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from balance_desk.errors import ProtocolError
from balance_desk.simulator.demo import DemoEnvironment, start_demo
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.simulator.revolut_x.tickers import DEMO_TICKERS, mid, pairs_document
from balance_desk.sources.rates.book import RateBook
from balance_desk.sources.rates.tickers import (
    PublicRevolutX,
    parse_pairs,
    parse_tickers,
    symbols_needed,
    tickers_query,
)
from balance_desk.sources.revolut_x.client import RevolutXClient
from balance_desk.valuation import ECB_CURRENCIES


def _entry(symbol: str, **fields: object) -> dict[str, object]:
    return {"symbol": symbol, "bid": "1.00", "ask": "3.00", "mid": "2.00", **fields}


def test_prices_keep_their_digits_and_the_configured_region_wins() -> None:
    doc = {
        "data": [
            _entry("BTC/USD", mid="120000.00", region="EEA"),
            _entry("BTC/USD", mid="120001.50", region="UK"),
            _entry("ETH/USD", mid=None, bid="3999.50", ask="4000.25"),
        ],
        "metadata": {"timestamp": 1785313433816},
    }
    tickers = {(t.base, t.quote): t for t in parse_tickers(doc, region="UK")}
    assert str(tickers["BTC", "USD"].mid) == "120001.50"
    assert tickers["ETH", "USD"].mid == Decimal("3999.875")  # (bid + ask) / 2, exactly
    assert tickers["BTC", "USD"].as_of.timestamp() == 1785313433.816
    first = {(t.base, t.quote): t for t in parse_tickers(doc)}
    assert str(first["BTC", "USD"].mid) == "120000.00"  # no region set: the first one


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"data": [_entry("BTC/USD", mid=120000.0)]}, "field 'mid' is unusable"),
        ({"data": [_entry("BTC/USD", mid="1e5")]}, "field 'mid' is unusable"),
        ({"data": [_entry("BTC/USD", mid="0")]}, "a price of 0"),
        ({"data": [_entry("BTC/USD", mid=None, ask=None)]}, "has no price"),
        ({"data": [_entry("BTC-USD")]}, "unreadable symbol"),
        ({"data": [_entry("BTC\u202e/USD")]}, "unreadable symbol"),
        ({"data": ["BTC/USD"]}, "is not a JSON object"),
        ({"tickers": []}, "without its list of tickers"),
        ([], "without its list of tickers"),
    ],
)
def test_odd_tickers_are_refused_in_words(doc: object, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        parse_tickers(doc)


def test_only_the_pairs_the_held_assets_need_are_asked_for() -> None:
    pairs = parse_pairs(pairs_document(DEMO_TICKERS))
    assert "ADA/USD" not in pairs  # listed, but not active

    def is_fiat(code: str) -> bool:
        return code in ECB_CURRENCIES

    assert symbols_needed(["BTC"], "GBP", pairs, is_fiat) == ["BTC/GBP"]
    # ETH/BTC exists, but a fiat quote is crossed through the ECB's rates first.
    assert symbols_needed(["ETH"], "GBP", pairs, is_fiat) == ["ETH/USD"]
    # DOT is only quoted in USDC: USDC's own price comes along.
    assert symbols_needed(["DOT"], "GBP", pairs, is_fiat) == ["DOT/USDC", "USDC/USD"]
    assert symbols_needed(["ADA", "GBP", "XYZ"], "GBP", pairs, is_fiat) == []


def test_the_query_is_sorted_and_percent_encoded_as_revolut_signs_it() -> None:
    assert tickers_query(["ETH/USD", "BTC/USD"]) == "symbols=ETH-USD%2CBTC-USD"
    assert tickers_query(["BTC/USD"], "UK") == "region=UK&symbols=BTC-USD"


def test_signed_tickers_pass_the_simulators_signature_check() -> None:
    with RevolutXSimulator() as sim:
        client = RevolutXClient(sim.api_key, sim.private_key_pem, api_root=sim.api_root)
        doc = client.get_json("/tickers?" + tickers_query(["BTC/USD", "SOL/USD"]), "the tickers")
        client.close()
        (request,) = sim.requests
    assert request.status == 200 and "symbols=BTC-USD%2CSOL-USD" in request.path
    tickers = {(t.base, t.quote): t.mid for t in parse_tickers(doc)}
    assert tickers == {("BTC", "USD"): mid("BTC/USD"), ("SOL", "USD"): mid("SOL/USD")}


def test_public_requests_keep_one_second_apart() -> None:
    slept: list[float] = []
    with RevolutXSimulator() as sim:
        sim.public_interval_s = 0  # the client keeps the pace on its own
        public = PublicRevolutX(sim.api_root, sleep=slept.append)
        parse_pairs(public.get_json("/public/configuration/pairs"))
        public.get_json("/public/tickers?symbols=BTC-USD")
        public.close()
    assert len(slept) == 1 and 0.9 < slept[0] <= 1.05


def test_a_short_429_on_a_public_endpoint_is_waited_out_once() -> None:
    with RevolutXSimulator() as sim:
        sim.fail(429, retry_after_ms=300, endpoint="pairs")
        public = PublicRevolutX(sim.api_root)
        pairs = parse_pairs(public.get_json("/public/configuration/pairs"))
        public.close()
        statuses = [r.status for r in sim.requests]
    assert statuses == [429, 200] and "BTC/USD" in pairs


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoEnvironment]:
    with start_demo(base_currency="GBP") as env:
        yield env


def test_the_rate_book_values_crypto_and_fiat_in_the_base_currency(
    demo: DemoEnvironment, tmp_path: Path
) -> None:
    book = RateBook(demo.store, demo.settings, tmp_path)
    prices = book.prices(["BTC", "ETH", "DOT", "USD", "EUR", "GBP", "JPY"])
    book.close()
    assert prices.inputs.errors == ()
    rates = {c: prices.rate(c) for c in ("BTC", "ETH", "DOT", "USD")}
    assert rates["BTC"] is not None and rates["BTC"].rate == mid("BTC/GBP")
    assert rates["ETH"] is not None and rates["ETH"].via == ("USD",)
    assert rates["DOT"] is not None and rates["DOT"].via == ("USDC", "USD")
    assert rates["USD"] is not None and rates["USD"].source == "ecb"
    # Signed, since Revolut X keys are stored; one ticker request for every pair at once.
    tickers = [r for r in demo.revolut_x.requests if "tickers" in r.path]
    assert len(tickers) == 1 and tickers[0].path.startswith("/api/1.0/tickers?")
    assert tickers[0].signature


def test_recent_tickers_are_shared_by_both_sources_refreshes(
    demo: DemoEnvironment, tmp_path: Path
) -> None:
    book = RateBook(demo.store, demo.settings, tmp_path)
    book.prices(["BTC"])
    book.prices(["BTC", "USD"])
    book.close()
    assert sum("tickers" in r.path for r in demo.revolut_x.requests) == 1
    assert demo.ecb is not None and demo.ecb.requests == 1


def test_a_failing_rate_source_is_reported_and_hides_nothing_else(
    demo: DemoEnvironment, tmp_path: Path
) -> None:
    demo.revolut_x.fail(503, times=None, endpoint="tickers", message="Prices are down")
    book = RateBook(demo.store, demo.settings, tmp_path)
    prices = book.prices(["BTC", "USD"])
    book.close()
    (error,) = prices.inputs.errors
    assert error.startswith("No Revolut X prices:") and "Prices are down" in error
    assert prices.rate("BTC") is None
    assert prices.rate("USD") is not None  # the ECB's rates still value fiat


def test_only_the_base_currency_needs_no_request(demo: DemoEnvironment, tmp_path: Path) -> None:
    book = RateBook(demo.store, demo.settings, tmp_path)
    prices = book.prices(["GBP", "GBP"])
    book.close()
    assert prices.inputs.errors == () and demo.revolut_x.requests == []
    assert demo.ecb is not None and demo.ecb.requests == 0
