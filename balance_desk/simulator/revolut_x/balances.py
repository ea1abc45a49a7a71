"""Balance lists the Revolut X simulator serves: a realistic demo account, or many currencies
for benchmarks. Amounts are strings with the varying scales the real API uses."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

# Crypto and fiat, staked entries, scales from 2 to 18 decimals, a zero balance.
_DEMO: list[tuple[str, str, str, str | None]] = [
    # currency, available, reserved, staked
    ("BTC", "0.52340000", "0.01000000", None),
    ("ETH", "3.250000000000000000", "0.000000000000000000", "1.500000000000000000"),
    ("SOL", "12.500000000", "0.000000000", "40.000000000"),
    ("DOT", "120.0000000000", "5.0000000000", "300.0000000000"),
    ("USDC", "1500.000000", "250.000000", None),
    ("XRP", "2500.123456", "0.000000", None),
    ("ADA", "0.000000", "0.000000", None),
    ("USD", "5400.50", "100.00", None),
    ("EUR", "1000.0000", "234.5000", None),
    ("GBP", "250.00", "0.00", None),
]


def _entry(currency: str, available: str, reserved: str, staked: str | None) -> dict[str, Any]:
    total = Decimal(available) + Decimal(reserved) + (Decimal(staked) if staked else 0)
    entry: dict[str, Any] = {"currency": currency, "available": available, "reserved": reserved}
    if staked is not None:
        entry["staked"] = staked
    # The total keeps the widest scale of its parts, as the server writes it.
    entry["total"] = format(total, "f")
    return entry


def demo_balances() -> list[dict[str, Any]]:
    return [_entry(*row) for row in _DEMO]


def many_balances(count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """`count` currencies (the demo ones first), deterministic for repeatable benchmarks."""
    rng = random.Random(seed)  # noqa: S311 - fake data, not security
    rows = demo_balances()[:count]
    for index in range(len(rows), count):
        scale = rng.choice((2, 4, 6, 8, 18))
        quantum = Decimal(1).scaleb(-scale)

        def amount(top: int) -> str:
            return format(Decimal(rng.randrange(0, top * 10**scale)) * quantum, "f")  # noqa: B023

        staked = amount(1000) if index % 5 == 0 else None
        rows.append(_entry(f"C{index:04d}", amount(100000), amount(100), staked))
    return rows
