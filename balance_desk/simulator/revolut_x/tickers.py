"""The pairs and prices the Revolut X simulator quotes: fixed, so tests can expect exact values.

Every demo asset is priced: BTC against USD, EUR and GBP; most others against USD only (valued
in GBP or EUR through the ECB's rates); DOT only against USDC, a stablecoin priced by its own
ticker (never taken for 1 USD). ADA is listed but not active, so it has no price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# symbol: (bid, ask); mid = (bid + ask) / 2
DEMO_TICKERS: dict[str, tuple[str, str]] = {
    "BTC/USD": ("119950.00", "120050.00"),
    "BTC/EUR": ("113950.00", "114050.00"),
    "BTC/GBP": ("99950.00", "100050.00"),
    "ETH/USD": ("3999.50", "4000.50"),
    "ETH/BTC": ("0.03330", "0.03336"),
    "SOL/USD": ("179.90", "180.10"),
    "USDC/USD": ("0.9997", "0.9999"),
    "DOT/USDC": ("7.4990", "7.5010"),
    "XRP/USD": ("2.4995", "2.5005"),
}
INACTIVE_PAIRS = {"ADA/USD"}


def mid(symbol: str) -> Decimal:
    bid, ask = DEMO_TICKERS[symbol]
    return (Decimal(bid) + Decimal(ask)) / 2


def pairs_document(tickers: dict[str, tuple[str, str]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for symbol in [*tickers, *INACTIVE_PAIRS]:
        base, quote = symbol.split("/")
        doc[symbol] = {
            "base": base,
            "quote": quote,
            "base_step": "0.00000001",
            "quote_step": "0.01",
            "min_order_size": "0.00001",
            "max_order_size": "1000",
            "min_order_size_quote": "1",
            "status": "inactive" if symbol in INACTIVE_PAIRS else "active",
        }
    return doc


def ticker_entries(
    tickers: dict[str, tuple[str, str]], symbols: list[str], region: str | None
) -> list[dict[str, Any]]:
    """The answer's `data`: each asked-for symbol that is listed, once per region unless a
    region was asked for (as the public endpoint does)."""
    entries = []
    for symbol in symbols:
        if symbol not in tickers:
            continue
        bid, ask = tickers[symbol]
        middle = format((Decimal(bid) + Decimal(ask)) / 2, "f")
        for where in ([region] if region else ["EEA", "UK"]):
            entries.append({
                "symbol": symbol, "bid": bid, "ask": ask, "mid": middle, "last_price": middle,
                "low_24h": bid, "high_24h": ask, "price_change_24h": "0.00",
                "volume_24h": "1000.00", "region": where,
            })
    return entries
