"""The Overview tab's content, without Qt: net worth and its parts, one row per currency, the
rates used, and what the total leaves out. Built in the fetch process with every refresh."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from balance_desk.money import plain
from balance_desk.present.formatting import MISSING, NumberFormat
from balance_desk.present.moments import age, local_time
from balance_desk.present.rows import Column, TableRow, align_decimals, make_row

if TYPE_CHECKING:
    from balance_desk.valuation import Rate, Valuation

CURRENCY_COLUMNS = (
    Column("Currency", "text"),
    Column("Held in", "text", "Crypto (Revolut X) or Bank (own money; cards and loans negative)"),
    Column("Amount", "amount", "Everything held in this currency (credit available not added)"),
    Column("Rate", "amount", "What one unit is worth in your base currency; hover the rates "
           "table below for where it comes from"),
    Column("Value", "amount", "Amount times rate, in your base currency"),
    Column("Share", "percent", "Share of net worth"),
)
RATE_COLUMNS = (
    Column("From", "text"),
    Column("Rate", "amount", "What one unit is worth in your base currency"),
    Column("Source", "text", "Revolut X ticker (mid price), ECB reference rate, or crossed "
           "through another currency"),
    Column("As of", "time", "When the rate was set (a crossed rate: its older leg)"),
)

_serials = itertools.count(1)


def _next_serial() -> tuple[int, int]:
    return os.getpid(), next(_serials)


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure: "Net worth", "Crypto", "Bank", "Credit available"."""

    label: str
    amount: Decimal | None
    text: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class OverviewData:
    base: str
    figures: tuple[Figure, ...]
    # "excludes 2 currencies without a rate: XYZ, ABC", or "".
    exclusion: str
    # Which balance types the bank total is made of, in words.
    bank_note: str
    currency_rows: tuple[TableRow, ...]
    rate_rows: tuple[TableRow, ...]
    # Rate sources that failed, and rates that are not fresh, in words.
    problems: tuple[str, ...]
    computed_at: datetime
    has_holdings: bool
    valuation: Valuation | None = field(default=None, compare=False)
    # Later overviews have higher serials (one fetch process); the window shows the newest.
    serial: tuple[int, int] = field(default_factory=_next_serial, compare=False)

    @property
    def net_worth(self) -> Figure:
        return self.figures[0]

    def headline(self, masked: str | None = None) -> str:
        """"Net worth 12,345.67 GBP" (`masked` in place of the figure in privacy mode)."""
        figure = self.net_worth
        if figure.amount is None:
            return f"Net worth {MISSING}"
        text = masked if masked is not None else figure.text
        return f"Net worth {text} {self.base}" + (" (incomplete)" if self.exclusion else "")


def rate_text(rate: Decimal, number: NumberFormat) -> str:
    """A rate to read: six significant digits (at least two decimals), or every digit."""
    if number.every_digit:
        return number.amount(rate)
    places = max(2, 6 - rate.adjusted() - 1)
    return number.amount(rate.quantize(Decimal(1).scaleb(-places)))


def _how(rate: Rate | None) -> str:
    return "" if rate is None else rate.how


def build_overview(valuation: Valuation, number: NumberFormat, now: datetime) -> OverviewData:
    base = valuation.base
    exclusion = valuation.exclusion_note() or ""
    anything = valuation.anything_valued or not valuation.counted_unvalued

    def money(amount: Decimal) -> str:
        return number.money(amount, base)

    net = valuation.net_worth
    figures = (
        Figure("Net worth", net if anything else None, money(net) if anything else MISSING,
               "crypto + bank; credit available is not added"),
        Figure("Crypto", valuation.crypto_total, money(valuation.crypto_total),
               f"{len(valuation.crypto)} asset{'s' if len(valuation.crypto) != 1 else ''} "
               "on Revolut X"),
        Figure("Bank", valuation.bank_total, money(valuation.bank_total), _bank_count(valuation)),
        Figure("Credit available", valuation.credit_available,
               money(valuation.credit_available), "not added to net worth"),
    )
    rows = [
        make_row(
            CURRENCY_COLUMNS,
            line.currency,
            (line.currency, " + ".join(line.sources), line.amount,
             None if line.rate is None else line.rate.rate, line.value, line.share),
            (
                line.currency,
                " + ".join(line.sources),
                number.money(line.amount, line.currency),
                "1" if line.currency == base else (
                    MISSING if line.rate is None else rate_text(line.rate.rate, number)
                ),
                MISSING if line.value is None else money(line.value),
                number.percent(line.share),
            ),
            warning=None if line.rate is None else f"{line.rate.how}, as of "
            f"{local_time(line.rate.as_of)}",
        )
        for line in valuation.lines
    ]
    rate_rows = [
        make_row(
            RATE_COLUMNS,
            rate.from_currency,
            (rate.from_currency, rate.rate, rate.how, rate.as_of),
            (
                f"1 {rate.from_currency}",
                f"{rate_text(rate.rate, number)} {base}",
                rate.how,
                f"{local_time(rate.as_of)} ({age(rate.as_of, now)})",
            ),
            warning=f"Exact: {plain(rate.rate)}",
        )
        for rate in valuation.rates
    ]
    return OverviewData(
        base=base,
        figures=figures,
        exclusion=exclusion,
        bank_note=bank_note(valuation),
        currency_rows=tuple(align_decimals(rows, CURRENCY_COLUMNS, number.decimal)),
        rate_rows=tuple(align_decimals(rate_rows, RATE_COLUMNS, number.decimal)),
        problems=(*valuation.errors, *valuation.notes),
        computed_at=now,
        has_holdings=valuation.has_holdings,
        valuation=valuation,
    )


def _bank_count(valuation: Valuation) -> str:
    own = sum(1 for line in valuation.bank if line.kind == "bank")
    owed = sum(1 for line in valuation.bank if line.kind == "owed")
    text = f"own money in {own} account{'s' if own != 1 else ''}"
    if owed:
        text += f", less {owed} card{'s' if owed != 1 else ''} or loan{'s' if owed != 1 else ''}"
    return text


def bank_note(valuation: Valuation) -> str:
    """Which balance type each bank total uses, in words."""
    if not valuation.bank:
        return ""
    deposit = sorted({line.balance_type or "" for line in valuation.bank if line.kind == "bank"})
    owed = sorted({line.balance_type or "" for line in valuation.bank if line.kind == "owed"})
    parts = []
    if deposit:
        parts.append(f"accounts by their {', '.join(deposit)} balance without included credit")
    if owed:
        parts.append(f"cards and loans by their {', '.join(owed)} balance (what is owed)")
    return "Bank total: " + "; ".join(parts) + "."
