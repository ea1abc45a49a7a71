"""Start at login: the XDG autostart entry that opens Balance Desk minimised to the tray.

Freedesktop sessions (GNOME, KDE, Xfce, ...) start every `*.desktop` file in
`$XDG_CONFIG_HOME/autostart` at login. The entry is ours alone (named after the app id), so
turning the setting off deletes it. The command inside points at the very launcher that is
running now, which is why the app rewrites the entry at each start while the setting is on:
a moved checkout or an upgraded install keeps starting at login.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from balance_desk import APP_ID, APP_NAME
from balance_desk.config import HOME_ENV, Settings, atomic_write_text

ENTRY_NAME = f"{APP_ID}.desktop"
MINIMIZED_FLAG = "--minimized"
# Characters that make the desktop-entry spec require a quoted Exec argument.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def is_supported() -> bool:
    """XDG autostart is the freedesktop way; Windows and macOS have their own (not done yet)."""
    return not (sys.platform.startswith("win") or sys.platform == "darwin")


def autostart_dir() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "autostart"


def entry_path() -> Path:
    return autostart_dir() / ENTRY_NAME


def launch_command() -> list[str]:
    """How to start this same installation again, without a terminal."""
    if getattr(sys, "frozen", False):  # PyInstaller: the executable is the app
        return [sys.executable]
    bin_dir = Path(sys.executable).parent
    for name in ("balance-desk-gui", "balance-desk-gui.exe"):
        script = bin_dir / name
        if script.is_file():
            return [str(script)]
    return [sys.executable, "-m", "balance_desk"]


def exec_quote(argument: str) -> str:
    """One Exec argument, quoted and escaped as the desktop-entry spec asks (including the
    second round of backslash escaping that applies to every string value)."""
    argument = argument.replace("%", "%%")
    if argument and not (_RESERVED & set(argument)):
        return argument
    inner = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{inner}"'.replace("\\", "\\\\")


def desktop_entry(command: list[str]) -> str:
    argv = list(command)
    home = os.environ.get(HOME_ENV)
    if home:  # a custom data folder must be the same one at login
        argv = ["env", f"{HOME_ENV}={home}", *argv]
    argv.append(MINIMIZED_FLAG)
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_NAME}",
            "Comment=Keeps your balances current from the system tray",
            f"Exec={' '.join(exec_quote(a) for a in argv)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def is_enabled() -> bool:
    """True when our entry is there and not switched off by the desktop's own settings."""
    try:
        text = entry_path().read_text(encoding="utf-8")
    except OSError:
        return False
    lines = {line.strip().lower() for line in text.splitlines()}
    return "hidden=true" not in lines and "x-gnome-autostart-enabled=false" not in lines


def set_enabled(enabled: bool, command: list[str] | None = None) -> None:
    """Write (or rewrite) the entry, or remove it. Raises OSError when the folder is not
    writable, so the caller can tell the user rather than pretend."""
    path = entry_path()
    if enabled:
        atomic_write_text(path, desktop_entry(command or launch_command()))
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sync_with_settings(settings: Settings) -> None:
    """Make the login entry match `settings.autostart` (the user toggled the setting)."""
    if is_supported():
        set_enabled(settings.autostart)


def refresh_at_start(settings: Settings) -> None:
    """At app start, while the setting is on, point the entry at the launcher running now (a
    moved checkout or an upgrade keeps starting at login). It never deletes at start: a test
    run or a second copy of the app must not remove the entry the user asked for."""
    if is_supported() and settings.autostart:
        set_enabled(True)
