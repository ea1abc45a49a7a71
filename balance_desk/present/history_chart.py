"""The History tab's series, without Qt: net worth, crypto and bank, and each currency, in the
base currency over time, with gaps where nothing was fetched. Built off the GUI thread."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from balance_desk.money import exact_add, exact_sum

# The ranges a user picks, and how far back each reaches (None: everything).
RANGES: dict[str, timedelta | None] = {
    "Day": timedelta(days=1),
    "Week": timedelta(days=7),
    "Month": timedelta(days=31),
    "Year": timedelta(days=366),
    "All": None,
}
# About this many points per series, whatever the range.
POINTS = 2000
# A pause longer than this (and than 3x the usual spacing) is a gap, not a line.
MIN_GAP = timedelta(hours=2)

Row = tuple[str, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    times: tuple[float, ...]  # POSIX seconds
    # None where the line breaks (a gap) or the figure is unknown.
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True, slots=True)
class ChartData:
    base: str
    series: tuple[Series, ...]
    range_name: str
    points: int

    @property
    def empty(self) -> bool:
        return self.points == 0

    def named(self, name: str) -> Series | None:
        return next((s for s in self.series if s.name == name), None)


def bucket_seconds(range_name: str, now: datetime, first: datetime | None) -> int:
    span = RANGES[range_name] or (now - first if first else timedelta(days=1))
    return max(1, int(span.total_seconds() / POINTS))


def build_chart(rows: Iterable[Row], base: str, range_name: str) -> ChartData:
    """Points at every fetch: each source's holdings are what that source's latest fetch held
    (carried forward until its next fetch), summed in `base` (figures valued in another base
    currency are left out)."""
    holdings: dict[str, dict[str, tuple[str, Decimal]]] = {"revolut_x": {}, "bank": {}}
    points: list[tuple[float, dict[str, Decimal]]] = []
    current: tuple[str, str] | None = None
    fresh: dict[str, tuple[str, Decimal]] = {}

    def close_fetch(when: str, source: str) -> None:
        holdings[source] = dict(fresh)
        crypto = exact_sum(v for _, v in holdings["revolut_x"].values())
        bank = exact_sum(v for _, v in holdings["bank"].values())
        figures = {"Net worth": exact_add(crypto, bank), "Crypto": crypto, "Bank": bank}
        for source_holdings in holdings.values():
            for currency, value in source_holdings.values():
                figures[currency] = exact_add(figures.get(currency, Decimal(0)), value)
        stamp = datetime.fromisoformat(when).timestamp()
        if points and points[-1][0] == stamp:
            points[-1] = (stamp, figures)
        else:
            points.append((stamp, figures))

    for when, source, series, currency, value, row_base in rows:
        if (when, source) != current:
            if current is not None:
                close_fetch(*current)
            current, fresh = (when, source), {}
        if row_base == base and source in holdings:
            fresh[series] = (currency, Decimal(value))
    if current is not None:
        close_fetch(*current)
    return _with_gaps(points, base, range_name)


def _with_gaps(
    points: list[tuple[float, dict[str, Decimal]]], base: str, range_name: str
) -> ChartData:
    names: list[str] = ["Net worth", "Crypto", "Bank"]
    for _, figures in points:
        names += [n for n in figures if n not in names]
    steps = [b[0] - a[0] for a, b in itertools.pairwise(points)]

    def is_gap(index: int) -> bool:
        """Step `index` (between points index and index+1) is far longer than the steps on
        either side: the app was not running (a point a day for a year is no gap, a fortnight
        without points among daily ones is)."""
        around = [steps[i] for i in (index - 1, index + 1) if 0 <= i < len(steps)]
        usual = max(around) if around else 0.0
        return steps[index] > max(MIN_GAP.total_seconds(), 3 * usual)

    times: list[float] = []
    columns: dict[str, list[Decimal | None]] = {name: [] for name in names}
    previous: float | None = None
    for index, (stamp, figures) in enumerate(points):
        if previous is not None and is_gap(index - 1):
            times.append((previous + stamp) / 2)  # a break in every line
            for column in columns.values():
                column.append(None)
        times.append(stamp)
        for name, column in columns.items():
            column.append(figures.get(name))
        previous = stamp
    series = tuple(Series(name, tuple(times), tuple(columns[name])) for name in names)
    return ChartData(base, series, range_name, len(points))


def readout(data: ChartData, name: str, at: float, *, masked: str | None = None) -> str | None:
    """"2026-12-01 14:05 · Net worth 92,360.73 GBP" for the point nearest to `at`."""
    from balance_desk.money import grouped, readable

    series = data.named(name)
    if series is None or not series.times:
        return None
    index = min(range(len(series.times)), key=lambda i: abs(series.times[i] - at))
    value = series.values[index]
    if value is None:
        return None
    when = datetime.fromtimestamp(series.times[index]).strftime("%Y-%m-%d %H:%M")
    figure = masked if masked is not None else grouped(readable(value, data.base))
    return f"{when} · {name} {figure} {data.base}"
