"""A year of made-up history for the demo, so that its History tab shows how money moves: a
point a day for a year, an hour apart for the last week, with a gap (a holiday without the app)
and a random walk that ends near the demo's own figures. Deterministic (seeded)."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal

from balance_desk.history import History, Line

DEMO_HISTORY_FILE = "demo-history.sqlite3"
# Roughly what the demo's holdings are worth in GBP today (the walk ends near these).
_TODAY_GBP = {
    ("revolut_x", "BTC"): Decimal("53340"),
    ("revolut_x", "ETH"): Decimal("15025"),
    ("revolut_x", "SOL"): Decimal("7473"),
    ("revolut_x", "XRP"): Decimal("4943"),
    ("revolut_x", "USD"): Decimal("4350"),
    ("revolut_x", "DOT"): Decimal("2520"),
    ("revolut_x", "USDC"): Decimal("1384"),
    ("revolut_x", "EUR"): Decimal("1027"),
    ("revolut_x", "GBP"): Decimal("250"),
    ("bank", "GBP"): Decimal("49"),
    ("bank", "EUR"): Decimal("1000"),
    ("bank", "CHF"): Decimal("1000"),
}


def seed(history: History, base: str, per_gbp: Decimal, now: datetime) -> None:
    """Record the made-up past (nothing when the history already has points)."""
    if history.fetch_count():
        return
    rng = random.Random(20261202)  # noqa: S311 - demo figures, not security
    times = [now - timedelta(days=d) for d in range(365, 7, -1)]
    times += [now - timedelta(hours=h) for h in range(7 * 24, 0, -1)]
    holiday = (now - timedelta(days=120), now - timedelta(days=106))
    times = [t for t in times if not holiday[0] <= t <= holiday[1]]
    walk = {key: Decimal(1) for key in _TODAY_GBP}
    steps = len(times)
    for index, when in enumerate(times):
        remaining = steps - index
        lines: dict[str, list[Line]] = {"revolut_x": [], "bank": []}
        for (source, currency), today in _TODAY_GBP.items():
            drift = (Decimal(1) - walk[(source, currency)]) / remaining
            shake = Decimal(rng.gauss(0, 0.02 if source == "revolut_x" else 0.004)).quantize(
                Decimal("0.0001"))
            walk[(source, currency)] = max(Decimal("0.2"), walk[(source, currency)] + drift
                                           + shake)
            value = (today * walk[(source, currency)] * per_gbp).quantize(Decimal("0.01"))
            key = currency if source == "revolut_x" else f"demo-{currency.lower()}"
            kind = "total" if source == "revolut_x" else "InterimAvailable"
            lines[source].append(Line(key, kind, currency, str(value), str(value), base,
                                      str(value), "ecb", counted=True))
        for source, source_lines in lines.items():
            try:
                history.record(source, when, source_lines)
            except sqlite3.ProgrammingError:  # the demo closed (quit) while this was filling
                return
