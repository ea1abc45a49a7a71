"""Times in words: when something happened, how long ago, when it happens next.

Apart from `formatting` (which needs `decimal`) because the window's first frame says how old
the last figures are before anything else is imported (see glance.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def age(moment: datetime, now: datetime) -> str:
    """How long ago, in the coarsest unit that still tells the user something."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60} min ago" if rest >= 60 else f"{hours} h ago"
    return f"{seconds // 86400} days ago"


def countdown(moment: datetime, now: datetime) -> str:
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return "now"
    if seconds < 60:
        return f"in {seconds} s"
    if seconds < 3600:
        return f"in {seconds // 60} min"
    return f"at {clock_time(moment)}" if moment - now < timedelta(hours=20) else (
        f"on {local_time(moment)}"
    )
