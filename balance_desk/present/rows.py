"""A table's rows as plain data: built on the fetch side (a worker process), shown by the model.

Nothing here imports Qt, so the process that fetches and formats never loads PySide6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

ColumnKind = Literal["text", "amount", "percent", "time"]
CellValue = Decimal | str | datetime | None
SortKey = tuple[int, object]


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: ColumnKind
    tooltip: str = ""
    # Shown until the user chooses otherwise (the header's menu lists every column).
    shown_by_default: bool = True
    # A hidden column that appears by itself once its rows differ (the bank connection, when
    # several banks are connected).
    shown_when_varied: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in ("amount", "percent")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row, ready to show: display text, sort keys and search text are computed once."""

    key: str
    texts: tuple[str, ...]
    values: tuple[CellValue, ...]
    sort_keys: tuple[SortKey, ...]
    search: str
    # Why this row is not current (an account the bank did not refresh); None when it is.
    stale_note: str | None = None
    payload: object = None
    # Something odd in what the server sent for this row, shown as the row's tooltip.
    warning: str | None = None


def _sort_key(kind: ColumnKind, value: CellValue) -> SortKey:
    # Missing values sort first and compare equal among themselves.
    if value is None:
        return (0, "" if kind == "text" else Decimal(0))
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value)


def make_row(
    columns: Sequence[Column],
    key: str,
    values: Sequence[CellValue],
    texts: Sequence[str],
    *,
    stale_note: str | None = None,
    payload: object = None,
    warning: str | None = None,
) -> TableRow:
    # Amounts are left out of the search text so that filtering cannot reveal a masked figure.
    search = "\t".join(
        text for column, text in zip(columns, texts, strict=True) if column.kind == "text"
    ).casefold()
    return TableRow(
        key=key,
        texts=tuple(texts),
        values=tuple(values),
        sort_keys=tuple(
            _sort_key(column.kind, value) for column, value in zip(columns, values, strict=True)
        ),
        search=search,
        stale_note=stale_note,
        payload=payload,
        warning=warning,
    )


# Same width as a digit in fonts with tabular figures, and as a decimal point.
FIGURE_SPACE = "\u2007"
PUNCTUATION_SPACE = "\u2008"


def align_decimals(
    rows: Sequence[TableRow], columns: Sequence[Column], decimal: str
) -> list[TableRow]:
    """Pad the amounts of each amount column with figure spaces after their last digit, so
    that right-aligned figures line up on the decimal point (1,234 over 0.5234)."""
    numeric = [
        i for i, column in enumerate(columns) if column.kind == "amount"
    ]

    def is_figure(row: TableRow, i: int) -> bool:
        return isinstance(row.values[i], Decimal) and not any(
            ch.isalpha() for ch in row.texts[i]
        )

    widths = {
        i: max(
            (len(row.texts[i].rpartition(decimal)[2]) if decimal in row.texts[i] else 0
             for row in rows if is_figure(row, i)),
            default=0,
        )
        for i in numeric
    }
    aligned = []
    for row in rows:
        texts = list(row.texts)
        for i in numeric:
            width = widths[i]
            if not width or not is_figure(row, i):
                continue
            text = texts[i]
            places = len(text.rpartition(decimal)[2]) if decimal in text else -1
            texts[i] = text + (PUNCTUATION_SPACE if places < 0 else "") + FIGURE_SPACE * (
                width - max(places, 0)
            )
        aligned.append(replace(row, texts=tuple(texts)) if texts != list(row.texts) else row)
    return aligned
