"""A table's rows as plain data: built on the fetch side (a worker process), shown by the model.

Nothing here imports Qt, so the process that fetches and formats never loads PySide6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
