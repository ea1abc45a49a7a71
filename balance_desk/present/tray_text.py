"""What the tray shows and when it speaks up, as plain Python (no Qt): testable without a tray.

The tray follows each source through a `TrayModel`: results go in, and out come the icon state,
the tooltip text and the notifications to show. Everything that would reveal an amount obeys
privacy mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from balance_desk.model import BankResult, ErrorInfo, RevolutXResult
from balance_desk.money import PRIVACY_MASK, exact_add, grouped
from balance_desk.present.status_text import renewals
from balance_desk.present.updates import SOURCE_TITLES
from balance_desk.sources.base import SourceName

if TYPE_CHECKING:
    from balance_desk.present.overview import OverviewData

TrayState = Literal["ok", "refreshing", "stale", "error", "idle"]
SourceResult = RevolutXResult | BankResult

ERROR_WORDS: dict[str, str] = {
    "auth": "the keys were refused",
    "clock": "this computer's clock is out of sync",
    "rate_limited": "too many requests, waiting before trying again",
    "server": "the server had a problem",
    "network": "could not reach the server",
    "protocol": "the server sent an answer we could not read",
    "internal": "Balance Desk hit a problem of its own",
    "config": "the set-up is incomplete",
}
# A figure older than this many refresh intervals counts as stale even without an error.
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class Notification:
    title: str
    message: str
    warning: bool = False


@dataclass
class SourceTrack:
    """What the tray remembers about one source."""

    name: SourceName
    configured: bool = True
    refreshing: bool = False
    last_good: SourceResult | None = None
    failing: ErrorInfo | None = None  # the latest attempt's error; None when it succeeded
    interval: timedelta = timedelta(seconds=30)
    # The latest result, successful or not (which bank connections want renewing).
    latest: SourceResult | None = None


def crypto_totals(result: RevolutXResult) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for balance in result.balances:
        totals[balance.currency] = exact_add(
            totals.get(balance.currency, Decimal(0)), balance.total
        )
    return totals


def bank_totals(result: BankResult) -> dict[str, Decimal]:
    """Per currency what you own less what you owe, one balance per account, credit never
    added (`present.bank_totals`)."""
    from balance_desk.present.bank_totals import bank_totals as by_currency

    return {
        total.currency: total.net
        for total in by_currency((a.account, a.balances) for a in result.accounts)
    }


def totals_of(result: SourceResult) -> dict[str, Decimal]:
    return crypto_totals(result) if isinstance(result, RevolutXResult) else bank_totals(result)


def format_totals(totals: Mapping[str, Decimal], privacy: bool) -> list[str]:
    return [
        f"{currency} {PRIVACY_MASK if privacy else grouped(amount)}"
        for currency, amount in sorted(totals.items())
    ]


def source_state(track: SourceTrack, now: datetime) -> TrayState:
    if not track.configured:
        return "idle"
    if track.failing is not None:
        return "stale" if track.last_good is not None else "error"
    if track.last_good is None:
        return "refreshing" if track.refreshing else "idle"
    fetched = track.last_good.fetched_at
    if fetched is not None and now - fetched > track.interval * STALE_AFTER_INTERVALS:
        return "stale"
    return "ok"


def tray_state(tracks: Iterable[SourceTrack], now: datetime) -> TrayState:
    """The icon's overlay: the worst state of any configured source; refreshing wins over a
    calm state so a click on Refresh shows at once."""
    configured = [t for t in tracks if t.configured]
    if not configured:
        return "idle"
    states = [source_state(t, now) for t in configured]
    if "error" in states:
        return "error"
    if any(t.refreshing for t in configured):
        return "refreshing"
    if "stale" in states:
        return "stale"
    if "ok" in states:
        return "ok"
    return "idle"


def _time(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%H:%M")


def tooltip_text(
    tracks: Iterable[SourceTrack],
    *,
    privacy: bool,
    now: datetime,
    overview: OverviewData | None = None,
) -> str:
    lines = ["Balance Desk"]
    if overview is not None and overview.has_holdings:
        lines.append(overview.headline(PRIVACY_MASK if privacy else None))
    for track in tracks:
        title = SOURCE_TITLES[track.name]
        if not track.configured:
            lines.append(f"{title}: not set up")
            continue
        good = track.last_good
        state = source_state(track, now)
        if good is None:
            if track.failing is not None:
                lines.append(f"{title}: {ERROR_WORDS.get(track.failing.kind, 'failed')}")
            else:
                lines.append(f"{title}: loading…")
            continue
        note = " (not current)" if state == "stale" else ""
        lines.append(f"{title}, updated {_time(good.fetched_at)}{note}")
        latest = track.latest if track.latest is not None else good
        connections = getattr(latest, "connections", ())
        if len(connections) > 1:  # several banks: each reports
            lines.extend(
                f"  {c.name}: " + ("ok" if c.status == "ok" else
                                   ERROR_WORDS.get(c.error.kind, "failed") if c.error else
                                   c.status.replace("_", " "))
                for c in connections
            )
        lines.extend(f"  Renew: {why}" for _name, why in renewals(latest, now))
        totals = format_totals(totals_of(good), privacy)
        lines.extend(f"  {line}" for line in totals or ["no balances"])
    return "\n".join(lines)


@dataclass
class TrayModel:
    """Feeds results in; says what to show. One per running app."""

    notify_balance_changes: bool = False
    privacy: bool = False
    tracks: dict[SourceName, SourceTrack] = field(
        default_factory=lambda: {
            "revolut_x": SourceTrack("revolut_x"),
            "bank": SourceTrack("bank", interval=timedelta(hours=6)),
        }
    )
    # Sources the user has already been told are failing, so a retry loop does not nag.
    _told_failing: set[SourceName] = field(default_factory=set)
    # Net worth across every source (shown first in the tooltip).
    overview: OverviewData | None = None

    def set_refreshing(self, name: SourceName, refreshing: bool) -> None:
        self.tracks[name].refreshing = refreshing

    def set_interval(self, name: SourceName, interval: timedelta) -> None:
        self.tracks[name].interval = interval

    def record(self, name: SourceName, result: SourceResult) -> list[Notification]:
        """Take a source's latest result; return the notifications it calls for."""
        track = self.tracks[name]
        track.refreshing = False
        track.latest = result
        title = SOURCE_TITLES[name]
        if result.status == "not_configured":
            track.configured = False
            track.last_good = None
            track.failing = None
            self._told_failing.discard(name)
            return []
        track.configured = True
        if result.status == "quota":  # nothing read this time: the last figures stand
            return []
        if result.status == "error":
            track.failing = result.error or ErrorInfo(kind="server", message="failed")
            # Only a source that has worked can "start failing"; a first failure is shown in
            # the window and the icon, not pushed as a notification.
            if track.last_good is not None and name not in self._told_failing:
                self._told_failing.add(name)
                since = _time(track.last_good.fetched_at)
                words = ERROR_WORDS.get(track.failing.kind, "it failed")
                return [
                    Notification(
                        f"{title} is not updating",
                        f"{words.capitalize()}. Showing the figures from {since}.",
                        warning=True,
                    )
                ]
            return []
        previous = track.last_good
        track.failing = None
        track.last_good = result
        notes: list[Notification] = []
        if name in self._told_failing:
            self._told_failing.discard(name)
            notes.append(Notification(f"{title} is updating again", "The figures are current."))
        if self.notify_balance_changes and previous is not None:
            change = balance_change_message(totals_of(previous), totals_of(result), self.privacy)
            if change:
                notes.append(Notification(f"{title} balance changed", change))
        return notes

    def state(self, now: datetime) -> TrayState:
        return tray_state(self.tracks.values(), now)

    def renewals(self, now: datetime) -> list[tuple[str, str]]:
        latest = self.tracks["bank"].latest
        return renewals(latest, now) if latest is not None else []

    def tooltip(self, now: datetime) -> str:
        return tooltip_text(
            self.tracks.values(), privacy=self.privacy, now=now, overview=self.overview
        )


def balance_change_message(
    before: Mapping[str, Decimal], after: Mapping[str, Decimal], privacy: bool
) -> str | None:
    """'BTC 1.25 → 1.30' per changed currency; in privacy mode only which currencies changed."""
    changed = sorted(
        c for c in set(before) | set(after) if before.get(c) != after.get(c)
    )
    if not changed:
        return None
    if privacy:
        return "Changed: " + ", ".join(changed)
    parts = []
    for currency in changed:
        old, new = before.get(currency), after.get(currency)
        old_text = "none" if old is None else grouped(old)
        new_text = "none" if new is None else grouped(new)
        parts.append(f"{currency} {old_text} → {new_text}")
    return "; ".join(parts)
