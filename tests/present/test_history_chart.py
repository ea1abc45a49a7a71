"""The History tab's series: summed per fetch in the base currency, each source carried forward
until its next fetch, gaps where nothing was fetched, an exact read-out (masked in privacy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from balance_desk.present.history_chart import build_chart, readout

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def row(hours: float, source: str, series: str, currency: str, value: str, *,
        base: str = "GBP") -> tuple[str, str, str, str, str, str]:
    return ((T0 + timedelta(hours=hours)).isoformat(), source, series, currency, value, base)


def test_net_worth_sums_both_sources_and_carries_each_forward() -> None:
    rows = [
        row(0, "revolut_x", "BTC|total", "BTC", "100.50"),
        row(0, "revolut_x", "ETH|total", "ETH", "20"),
        row(1, "bank", "a|InterimAvailable", "GBP", "300.00"),
        row(2, "revolut_x", "BTC|total", "BTC", "110.50"),  # ETH sold: gone from the holdings
        row(2, "revolut_x", "X|total", "USD", "5", base="EUR"),  # another base: left out
    ]
    chart = build_chart(rows, "GBP", "All")
    net = chart.named("Net worth")
    assert net is not None
    assert net.values == (Decimal("120.50"), Decimal("420.50"), Decimal("410.50"))
    crypto, bank = chart.named("Crypto"), chart.named("Bank")
    assert crypto is not None and bank is not None
    assert crypto.values == (Decimal("120.50"), Decimal("120.50"), Decimal("110.50"))
    assert bank.values == (Decimal("0"), Decimal("300.00"), Decimal("300.00"))
    btc = chart.named("BTC")
    assert btc is not None and btc.values[-1] == Decimal("110.50")


def test_a_long_pause_is_a_gap_but_a_steady_daily_point_is_not() -> None:
    rows = [row(24 * day, "revolut_x", "BTC|total", "BTC", str(day)) for day in range(10)]
    rows += [row(24 * day, "revolut_x", "BTC|total", "BTC", str(day)) for day in range(30, 35)]
    chart = build_chart(rows, "GBP", "All")
    net = chart.named("Net worth")
    assert net is not None
    assert net.values.count(None) == 1  # one break: the 20 days without the app
    assert net.values[10] is None and net.values[9] == Decimal(9)


def test_the_read_out_gives_the_date_and_exact_figure_or_the_mask() -> None:
    rows = [row(0, "revolut_x", "BTC|total", "BTC", "1234.5678")]
    chart = build_chart(rows, "GBP", "All")
    at = T0.timestamp()
    text = readout(chart, "Net worth", at)
    assert text is not None and text.endswith("· Net worth 1,234.57 GBP")
    assert readout(chart, "Net worth", at, masked="•••••") is not None
    assert "1,234" not in (readout(chart, "Net worth", at, masked="•••••") or "")


def test_no_history_is_an_empty_chart() -> None:
    assert build_chart([], "GBP", "Month").empty
