"""What each source is doing, in words: the status bar's line and the tab's message strip, as
text (Qt-free; `gui/window/status.py` and `notice.py` show them).

Everything a server sent is HTML-escaped before it reaches rich text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Literal

from balance_desk.errors import KIND_TITLES
from balance_desk.present.moments import age, clock_time, countdown
from balance_desk.present.updates import SourceUpdate

if TYPE_CHECKING:
    # Types only: pydantic is not imported before the window has painted.
    from balance_desk.model import ErrorInfo

NoticeKind = Literal["info", "warning", "error", "demo"]

SETUP_LINK = "setup:"
# "renew:<connection>": approve a bank connection's consent again (the key dialog's wizard).
RENEW_LINK = "renew:"
RENEW_WARNING = timedelta(days=7)


def renewals(result: object, now: datetime) -> list[tuple[str, str]]:
    """The bank connections to renew, each with why in words: the consent or refresh token
    lapses within seven days (or has lapsed), or the bank refused the tokens."""
    wanted: list[tuple[str, str]] = []
    for line in getattr(result, "connections", ()):
        lapses = line.lapses_at
        if line.status == "error" and line.error is not None and line.error.kind == "auth":
            wanted.append((line.name, f"the bank refused the tokens of '{line.name}'"))
        elif lapses is not None and lapses <= now:
            wanted.append((line.name, f"the consent of '{line.name}' has lapsed"))
        elif lapses is not None and lapses - now <= RENEW_WARNING:
            wanted.append((line.name, f"the consent of '{line.name}' lapses on "
                                      f"{lapses.astimezone():%d %b}"))
    return wanted


def error_parts(error: ErrorInfo) -> list[str]:
    """The error's kind in words, our sentence, then what the server said and its error id."""
    parts = [f"{KIND_TITLES.get(error.kind, error.kind)}: {error.message}"]
    if error.http_status is not None:
        parts.append(f"HTTP {error.http_status}")
    if error.server_message:
        parts.append(f"server said “{error.server_message}”")
    if error.error_id:
        parts.append(f"error id {error.error_id}")
    return parts


def _schedule(update: SourceUpdate, now: datetime) -> str:
    if update.refreshing:
        return "refreshing…"
    if update.next_refresh_at is None:
        return ""
    word = "retry" if update.state == "error" else "next refresh"
    return f"{word} {countdown(update.next_refresh_at, now)}"


def _accounts_not_read(unread: int, accounts: int) -> str:
    return f"{unread} of {accounts} accounts could not be read"


def status_text(update: SourceUpdate, now: datetime) -> tuple[str, str]:
    """(rich text for the status bar, the same as plain text for the tooltip and copying)."""
    title = update.title
    if update.state == "not_configured":
        plain = f"{title}: not configured — set up keys"
        html = (
            f"{escape(title)}: not configured — "
            f"<a href='{SETUP_LINK}{update.source}'>Set up keys…</a>"
        )
        return html, plain
    if update.state == "loading":
        plain = f"{title}: loading…"
        return escape(plain), plain
    if update.from_history and update.figures_at is not None:
        plain = (f"{title}: figures from {clock_time(update.figures_at)} "
                 f"({age(update.figures_at, now)}), refreshing…")
        return escape(plain), plain
    bits: list[str] = []
    if update.state == "error" and update.error is not None:
        bits.append("; ".join(error_parts(update.error)))
        unread, accounts = update.unread_accounts
        if unread:
            bits.append(f"{_accounts_not_read(unread, accounts)}, the rest updated "
                        f"{clock_time(update.figures_at or now)}")
        elif update.figures_at is not None:
            bits.append(
                f"showing figures from {clock_time(update.figures_at)} "
                f"({age(update.figures_at, now)})"
            )
    elif update.figures_at is not None:
        bits.append(
            f"updated {clock_time(update.figures_at)} ({age(update.figures_at, now)})"
        )
    schedule = _schedule(update, now)
    if schedule:
        bits.append(schedule)
    plain = f"{title}: " + " · ".join(bits)
    html = escape(plain)
    for name, why in renewals(update.result, now):
        plain += f" · {why}: Renew…"
        html += f" · {escape(why)}: <a href='{RENEW_LINK}{escape(name)}'>Renew…</a>"
    return html, plain


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    html: str
    copy_text: str = ""
    action: str | None = None


def tab_notice(update: SourceUpdate, now: datetime) -> Notice | None:
    """The message strip above a tab's table, or None when the figures are current."""
    title = update.title
    if update.state == "loading":
        return Notice("info", f"Loading balances from {escape(title)}…")
    if update.state == "not_configured":
        return Notice(
            "info",
            f"{escape(title)} is not set up yet: Balance Desk needs your keys to show these "
            "balances.",
            action="Set up keys…",
        )
    if update.from_history and update.figures_at is not None:
        return Notice(
            "info",
            f"These are the figures from {escape(clock_time(update.figures_at))} "
            f"({escape(age(update.figures_at, now))}), from your history; refreshing…",
        )
    if update.state != "error" or update.error is None:
        return None
    return _failure_notice(update, update.error, now)


def _failure_notice(update: SourceUpdate, error: ErrorInfo, now: datetime) -> Notice:
    """A failed refresh: what was kept (all the last figures, or the accounts not read), and
    why it failed."""
    title = update.title
    details = error_parts(error)
    copy_text = f"{title}: " + "\n".join(details)
    schedule = _schedule(update, now)
    tail = f" ({escape(schedule)})" if schedule else ""
    lines = "<br>".join(escape(part) for part in details)
    unread, accounts = update.unread_accounts
    if unread:
        head = (
            f"<b>{escape(_accounts_not_read(unread, accounts))}</b>{tail}: "
            "their rows keep their last figures, marked in italics; the others are current."
        )
        return Notice("warning", f"{head}<br>{lines}", copy_text, "Retry now")
    if update.stale and update.figures_at is not None:
        head = (
            f"<b>Stale:</b> these figures are from {escape(clock_time(update.figures_at))} "
            f"({escape(age(update.figures_at, now))}); the last refresh failed{tail}."
        )
        return Notice("warning", f"{head}<br>{lines}", copy_text, "Retry now")
    head = f"<b>Could not load {escape(title)} balances</b>{tail}."
    return Notice("error", f"{head}<br>{lines}", copy_text, "Retry now")
