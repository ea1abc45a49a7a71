"""What every source is: the `Source` protocol, the names of the two sources, and the shape of
a function that builds them.

Light on purpose: the window imports `SourceName` before its first paint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

if TYPE_CHECKING:
    # The GUI imports this module for `SourceName` before its first paint; pydantic (through
    # the model) is imported only once a snapshot is really built.
    from pathlib import Path

    from balance_desk.history import History
    from balance_desk.model import BankResult, RevolutXResult
    from balance_desk.sources.rates.book import RateBook

SourceName = Literal["revolut_x", "bank"]


class Source(Protocol):
    """One API. `fetch` never raises a SourceError: failures come back inside the result."""

    name: SourceName

    def is_configured(self) -> bool: ...

    def fetch(self, *, user_present: bool) -> RevolutXResult | BankResult: ...

    def close(self) -> None: ...


# What to run once the sources are closed (stopping the demo's servers, say).
Cleanup: TypeAlias = Callable[[], None]


@dataclass
class SourceSet:
    """The sources, the rates that value their balances, and what to clean up after them."""

    sources: list[Source]
    cleanup: Cleanup | None = None
    rates: RateBook | None = None
    # Where every successful fetch is recorded (None: not recorded, the demo's case).
    history: History | None = None
    # Where the last figures are kept as text for the next start's first paint (see
    # present/glance.py); None: not kept.
    glance: Path | None = None


# Builds the sources: the fetch process calls one of these, named in `fetcher.targets`.
SourceFactory: TypeAlias = Callable[[], SourceSet]


def now_utc() -> datetime:
    return datetime.now(UTC)
