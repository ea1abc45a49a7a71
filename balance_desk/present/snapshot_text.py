"""A snapshot as readable text: what `balance-desk snapshot` prints, and the app's summary after
`--exit-after-refresh`. Qt-free."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from balance_desk.money import grouped, plain, readable
from balance_desk.present.bank_totals import BankTotal, bank_totals

if TYPE_CHECKING:
    from balance_desk.model import BankBalance, BankResult, ErrorInfo, RevolutXResult, Snapshot
    from balance_desk.valuation import Valuation


def _error_line(error: ErrorInfo | None) -> str:
    if error is None:
        return ""
    extra = []
    if error.http_status is not None:
        extra.append(f"HTTP {error.http_status}")
    if error.error_id:
        extra.append(f"error id {error.error_id}")
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"  {error.kind.replace('_', ' ')}: {error.message}{suffix}"


def _table(headers: list[str], rows: list[list[str]], numeric_from: int) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i >= numeric_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def render_revolut_x(result: RevolutXResult) -> list[str]:
    lines = [f"Revolut X: {result.status.replace('_', ' ')}"]
    if result.error:
        lines.append(_error_line(result.error))
    if result.clock_note:
        lines.append(f"  note: {result.clock_note}")
    if result.balances:
        rows = [
            [
                b.currency,
                plain(b.available),
                plain(b.reserved),
                "-" if b.staked is None else plain(b.staked),
                plain(b.total),
            ]
            for b in result.balances
        ]
        lines += _table(["Currency", "Available", "Reserved", "Staked", "Total"], rows, 1)
    return lines


def render_bank(result: BankResult) -> list[str]:
    lines = [f"Bank: {result.status.replace('_', ' ')}"]
    if result.error:
        lines.append(_error_line(result.error))
    rows: list[list[str]] = []
    notes: list[str] = []
    for acc in result.accounts:
        name = acc.account.display_name
        if acc.status == "quota":
            when = acc.next_allowed_at.isoformat(timespec="minutes") if acc.next_allowed_at else ""
            notes.append(
                f"  {name}: skipped (4 unattended requests a day used up); next allowed {when}"
            )
        elif acc.status != "ok":
            notes.append(f"  {name}:{_error_line(acc.error).removeprefix(' ')}")
        for bal in acc.balances:
            rows.append(
                [
                    name,
                    bal.type,
                    plain(bal.signed_amount),
                    bal.currency,
                    plain(bal.included_credit) if _has_included(bal) else "-",
                    plain(bal.own_money),
                    plain(bal.amount_with_unused_credit),
                    bal.date_time.isoformat(timespec="minutes"),
                ]
            )
    if rows:
        lines += _table(
            ["Account", "Balance type", "Amount", "Currency", "Included credit", "Own money",
             "With unused credit", "As of"],
            rows,
            2,
        )
    totals = bank_totals((a.account, a.balances) for a in result.accounts if a.balances)
    if totals:
        lines.append("Totals (one balance per account; credit is never added):")
        lines += [f"  {_total_line(total)}" for total in totals]
    return lines + notes


def _has_included(balance: BankBalance) -> bool:
    return any(line.included for line in balance.counted_lines)


def _total_line(total: BankTotal) -> str:
    parts = []
    if total.deposit_accounts:
        parts.append(f"own money {plain(total.own)} ({', '.join(total.own_types)})")
    if total.credit_accounts:
        parts.append(
            f"owed on cards and loans {plain(total.owed)} ({', '.join(total.owed_types)})"
        )
    if total.credit_available:
        parts.append(f"credit available {plain(total.credit_available)} (not added)")
    return f"{total.currency}: " + " · ".join(parts)


def render_valuation(valuation: Valuation) -> list[str]:
    """The rates used, what they could not value, and the net worth line last."""
    base = valuation.base
    lines = [f"Values in {base}:"]
    for rate in valuation.rates:
        lines.append(
            f"  1 {rate.from_currency} = {plain(rate.rate)} {base} ({rate.how}, "
            f"{rate.as_of.isoformat(timespec='minutes')})"
        )
    lines += [f"  rates: {problem}" for problem in (*valuation.errors, *valuation.notes)]
    if valuation.credit_available:
        lines.append(
            f"  credit available: {_money(valuation.credit_available, base)} {base} (not added)"
        )
    if valuation.bank_types:
        lines.append(f"  bank balance types used: {', '.join(valuation.bank_types)}")
    if not valuation.anything_valued and valuation.counted_unvalued:
        net = f"Net worth: unknown ({valuation.exclusion_note()})"
    else:
        net = (
            f"Net worth: {_money(valuation.net_worth, base)} {base} (crypto "
            f"{_money(valuation.crypto_total, base)} + bank {_money(valuation.bank_total, base)})"
        )
        note = valuation.exclusion_note()
        if note:
            net += f"; {note}"
    return [*lines, net]


def _money(amount: Decimal, currency: str) -> str:
    return grouped(readable(amount, currency))


def render_snapshot(snapshot: Snapshot, valuation: Valuation | None = None) -> str:
    lines = [f"Fetched {snapshot.fetched_at.isoformat(timespec='seconds')}"]
    if snapshot.revolut_x is not None:
        lines += ["", *render_revolut_x(snapshot.revolut_x)]
    if snapshot.bank is not None:
        lines += ["", *render_bank(snapshot.bank)]
    if valuation is not None and (valuation.has_holdings or valuation.errors):
        lines += ["", *render_valuation(valuation)]
    return "\n".join(lines)
