"""The per-user data directory and atomic writes, without pydantic.

Split from `config` so that start-up paths (logging, the window's saved layout) can find the
data directory before the settings model, and pydantic with it, is imported.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

HOME_ENV = "BALANCE_DESK_HOME"
SETTINGS_FILE = "settings.json"


def data_dir() -> Path:
    """Settings, history, logs and the quota ledger all live here (created on first use).

    Never raises: a folder that cannot be made (a read-only disk, `BALANCE_DESK_HOME` naming a
    file) is no reason not to show balances. Reading finds nothing there, each write says why
    it failed, and `data_dir_problem()` puts it in one sentence."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override)
    else:
        import platformdirs  # only here: the override (tests, benchmarks) does without it

        path = platformdirs.user_data_path("balance-desk", False)
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def data_dir_problem() -> str | None:
    """Why the data folder cannot be used, in one sentence, or None when it can."""
    path = data_dir()
    reason = None
    if not path.is_dir():
        reason = "it cannot be created there" if not path.exists() else "it is not a folder"
    elif not os.access(path, os.W_OK | os.X_OK):
        reason = "it is read-only"
    if reason is None:
        return None
    where = f" (set by {HOME_ENV})" if os.environ.get(HOME_ENV) else ""
    return (
        f"The data folder {path}{where} cannot be used: {reason}. Balances are still shown, "
        "but settings, the log and the bank's request ledger cannot be saved; point "
        f"{HOME_ENV} at a folder you can write."
    )


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` so that a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def make_private(path: Path) -> None:
    """Create `path` if it is missing, and make it the user's alone (0600) like every file in
    the data folder, whatever the umask or an older version left; OSError when it cannot be."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def move_aside(path: Path) -> Path | None:
    """Rename a damaged file to `<name>.damaged-<UTC time>` beside it (the user's data is never
    deleted); the new path, or None when it could not be moved (already gone, read-only)."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target


def stored_flag(name: str) -> bool:
    """A yes/no setting as saved, read without the settings model (and pydantic): privacy mode
    before the very first paint, the number format as the fetch process starts. A damaged file
    reads as "off" here; the full load of the settings reports it."""
    import json

    path = data_dir() / SETTINGS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and raw.get(name) is True


def stored_number(name: str, default: int, *, least: int) -> int:
    """A whole-number setting as saved (at least `least`), read without pydantic for the
    poller's first start; anything odd reads as `default` (the full load reports it)."""
    import json

    try:
        raw = json.loads((data_dir() / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return default
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= least \
        else default


def stored_privacy_mode() -> bool:
    """Privacy mode as saved, for the first paint (which can only switch it on, never off)."""
    return stored_flag("privacy_mode")
