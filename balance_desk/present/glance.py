"""The last figures shown, kept as plain text beside the history, so that the next start paints
them with its very first frame: the net worth, the Overview's currencies and both sources'
tables, marked "from <time> (<age>), refreshing…", before the tables, the fetch process or
pydantic exist (issue 13: "paints the last stored snapshot at once").

A display cache, not data: the history holds the balances themselves, and the first answers
(the history's last figures through the fetch process, then the fresh ones) replace it within
the first second. The fetch process writes it (`make_glance`, `glance_json`, written atomically
by `SourceRunner`) whenever what it shows changes; the window reads it before its first paint
(`read_glance`, then `glance_page` for each page it covers) with nothing heavier than `json`. A
damaged file is moved aside and the start goes on without it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

    from balance_desk.present.overview import OverviewData
    from balance_desk.present.rows import Column
    from balance_desk.present.updates import TableData
    from balance_desk.sources.base import SourceName

GLANCE_VERSION = 1
# Beside the history each one belongs to (the demo keeps its own, never mixed with yours).
GLANCE_FILE = "history-last-figures.json"
DEMO_GLANCE_FILE = "demo-history-last-figures.json"
# Far more rows than a window shows at once; the rest arrive with the real tables.
GLANCE_ROWS = 60
# A file larger than this is not one we wrote.
MAX_GLANCE_BYTES = 1024 * 1024
# The pages that can show a glance, and the sources whose figures each one shows.
PAGES: dict[str, tuple[SourceName, ...]] = {
    "overview": ("revolut_x", "bank"),
    "revolut_x": ("revolut_x",),
    "bank": ("bank",),
}
TITLES = {"revolut_x": "Revolut X", "bank": "Bank"}
KINDS = frozenset({"text", "amount", "percent", "time"})


def glance_file(demo: bool) -> str:
    return DEMO_GLANCE_FILE if demo else GLANCE_FILE


# NamedTuples, not dataclasses: this module is imported before the first paint, and making a
# frozen dataclass (and importing `dataclasses`) costs milliseconds there.
class GlanceTable(NamedTuple):
    columns: tuple[str, ...]
    kinds: tuple[str, ...]  # each column's kind: amounts are masked in privacy mode
    rows: tuple[tuple[str, ...], ...]
    more: int  # rows left out (beyond GLANCE_ROWS)


class Glance(NamedTuple):
    figures_at: dict[str, datetime]  # per source: when its figures were fetched
    base: str
    # (label, text, note): "Net worth", "Crypto", "Bank", "Credit available"; none without
    # an Overview (no rates).
    figures: tuple[tuple[str, str, str], ...]
    incomplete: bool  # the net worth leaves out currencies without a rate
    tables: dict[str, GlanceTable]  # "overview", "revolut_x", "bank"

    def covers(self, page: str) -> bool:
        """Whether `page` can be shown from this glance: its table, and the figures of a
        source it shows (the Overview: of either; it values what there was)."""
        return page in self.tables and any(s in self.figures_at for s in PAGES.get(page, ()))

    def oldest(self, page: str) -> datetime:
        return min(self.figures_at[s] for s in PAGES[page] if s in self.figures_at)


# --- written by the fetch process -----------------------------------------------------------


def make_glance(
    tables: Mapping[SourceName, TableData | None],
    overview: OverviewData | None,
    figures_at: Mapping[SourceName, datetime],
) -> Glance | None:
    """What the window shows right now, as text; None when it shows no figures."""
    from balance_desk.present.bank_table import BANK_COLUMNS
    from balance_desk.present.crypto_table import CRYPTO_COLUMNS
    from balance_desk.present.overview import CURRENCY_COLUMNS

    valued = overview if overview is not None and overview.has_holdings else None
    base = valued.base if valued is not None else ""
    shown: dict[str, GlanceTable] = {}
    times: dict[str, datetime] = {}
    sources: tuple[tuple[SourceName, tuple[Column, ...]], ...] = (
        ("revolut_x", CRYPTO_COLUMNS), ("bank", BANK_COLUMNS)
    )
    for name, columns in sources:
        table = tables.get(name)
        when = figures_at.get(name)
        if table is None or not table.rows or when is None:
            continue
        shown[name] = _table(columns, table.rows, 0, descending=False, base=base)
        times[name] = when
    if not shown:
        return None
    if valued is None:
        return Glance(times, base, (), False, shown)
    # The Overview sorts its currencies by value, largest first.
    shown["overview"] = _table(CURRENCY_COLUMNS, valued.currency_rows, 4, descending=True)
    figures = tuple((f.label, f.text, f.note) for f in valued.figures)
    return Glance(times, base, figures, bool(valued.exclusion), shown)


def _table(
    columns: tuple[Column, ...], rows: tuple[object, ...], sort_column: int, *,
    descending: bool, base: str = "",
) -> GlanceTable:
    from balance_desk.present.rows import TableRow

    picked = [i for i, column in enumerate(columns) if column.shown_by_default]
    ordered = sorted((r for r in rows if isinstance(r, TableRow)),
                     key=lambda r: r.sort_keys[sort_column], reverse=descending)
    return GlanceTable(
        # The value column names its currency, as the real tables' header does.
        columns=tuple(f"Value ({base})" if columns[i].title == "Value" and base
                      else columns[i].title for i in picked),
        kinds=tuple(columns[i].kind for i in picked),
        rows=tuple(tuple(row.texts[i] for i in picked) for row in ordered[:GLANCE_ROWS]),
        more=max(0, len(ordered) - GLANCE_ROWS),
    )


def glance_json(glance: Glance) -> str:
    return json.dumps({
        "version": GLANCE_VERSION,
        "figures_at": {name: when.isoformat() for name, when in glance.figures_at.items()},
        "base": glance.base,
        "figures": [list(f) for f in glance.figures],
        "incomplete": glance.incomplete,
        "tables": {
            page: {"columns": list(t.columns), "kinds": list(t.kinds),
                   "rows": [list(r) for r in t.rows], "more": t.more}
            for page, t in glance.tables.items()
        },
    }, ensure_ascii=False, separators=(",", ":"))


# --- read by the window before its first paint ----------------------------------------------


class DamagedGlance(ValueError):
    pass


def read_glance(path: Path) -> tuple[Glance | None, str | None]:
    """The glance kept at `path` (None when there is none), and words for the log when the
    file was damaged (then moved aside, as every damaged file is)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_GLANCE_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"The last figures could not be read from {path} ({exc})."
    try:
        if len(data) > MAX_GLANCE_BYTES:
            raise DamagedGlance("too large")
        return parse_glance(data.decode("utf-8")), None
    except (DamagedGlance, ValueError, RecursionError) as exc:
        from balance_desk.paths import move_aside

        aside = move_aside(path)
        where = f"; moved aside to {aside.name}" if aside is not None else ""
        return None, f"The last figures kept in {path} were damaged ({exc}){where}."


def parse_glance(text: str) -> Glance:
    """A glance from its JSON; DamagedGlance (or ValueError) for anything we did not write."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("version") != GLANCE_VERSION:
        raise DamagedGlance("not a version 1 file")
    times = raw.get("figures_at")
    if not isinstance(times, dict) or not times:
        raise DamagedGlance("no figure times")
    figures_at = {}
    for name, when in times.items():
        if name not in TITLES or not isinstance(when, str):
            raise DamagedGlance("a figure time is not one")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise DamagedGlance("a figure time without its zone")
        figures_at[name] = moment
    base = raw.get("base")
    figures = raw.get("figures")
    if not isinstance(base, str) or not isinstance(figures, list) or not all(
        isinstance(f, list) and len(f) == 3 and all(isinstance(s, str) for s in f)
        for f in figures
    ):
        raise DamagedGlance("the net worth is not text")
    tables = raw.get("tables")
    if not isinstance(tables, dict):
        raise DamagedGlance("no tables")
    return Glance(figures_at, base, tuple((f[0], f[1], f[2]) for f in figures),
                  raw.get("incomplete") is True,
                  {page: _parse_table(t) for page, t in tables.items() if page in PAGES})


def _parse_table(raw: object) -> GlanceTable:
    if not isinstance(raw, dict):
        raise DamagedGlance("a table is not one")
    columns, kinds, rows, more = (raw.get(k) for k in ("columns", "kinds", "rows", "more"))
    if (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)
            or not isinstance(kinds, list) or len(kinds) != len(columns)
            or not all(k in KINDS for k in kinds)
            or not isinstance(rows, list) or len(rows) > GLANCE_ROWS
            or not isinstance(more, int) or isinstance(more, bool) or more < 0):
        raise DamagedGlance("a table is not one")
    for row in rows:
        if (not isinstance(row, list) or len(row) != len(columns)
                or not all(isinstance(cell, str) for cell in row)):
            raise DamagedGlance("a row is not one")
    return GlanceTable(tuple(columns), tuple(kinds), tuple(tuple(r) for r in rows), more)


def glance_status(glance: Glance, now: datetime) -> str:
    """The status bar's words while the glance shows."""
    from balance_desk.present.moments import age, clock_time

    moment = min(glance.figures_at.values())
    return f"Figures from {clock_time(moment)} ({age(moment, now)}), refreshing…"


class GlancePage(NamedTuple):
    """One page's last figures, in words and cells, ready to paint (privacy already applied)."""

    notice: str  # where the figures are from
    headline: str  # "Net worth  12,345.67 GBP", or "" (a source's page)
    note: str
    figures: str  # "Crypto 1.00 GBP · Bank 2.00 GBP · …", or ""
    columns: tuple[str, ...]
    right: tuple[bool, ...]  # amounts and percentages: aligned right
    rows: tuple[tuple[str, ...], ...]
    more: str  # "… and 12 more rows", or ""


def glance_page(
    glance: Glance, page: str, *, masked: str | None, now: datetime, demo: bool = False
) -> GlancePage:
    """A page of `glance`; `masked` (privacy mode) replaces every amount, as in the tables;
    `demo` says whose figures they are until the demo's banner comes with the tables."""
    from balance_desk.present.moments import age, clock_time

    moment = glance.oldest(page)
    notice = (f"These are the figures from {clock_time(moment)} ({age(moment, now)}), from "
              "your history; refreshing…")
    if demo:
        notice = ("Demo data from Balance Desk's built-in simulator, not your accounts. "
                  f"{notice.replace('your history', 'its history')}")
    headline = note = figures = ""

    def money(text: str) -> str:
        return f"{masked if masked is not None else text} {glance.base}"

    if page == "overview" and glance.figures:
        label, text, first_note = glance.figures[0]
        tail = " (incomplete)" if glance.incomplete else ""
        headline = f"{label}  {money(text)}{tail}"
        note = f"{first_note[:1].upper()}{first_note[1:]}." if first_note else ""
        figures = "  ·  ".join(f"{label} {money(text)}" for label, text, _ in glance.figures[1:])
    table = glance.tables[page]
    hidden = [masked is not None and kind == "amount" for kind in table.kinds]
    rows = tuple(
        tuple(masked if hide and masked is not None else cell
              for cell, hide in zip(row, hidden, strict=True))
        for row in table.rows
    )
    return GlancePage(
        notice, headline, note, figures, table.columns,
        tuple(kind in ("amount", "percent") for kind in table.kinds), rows,
        f"… and {table.more} more rows" if table.more else "",
    )
