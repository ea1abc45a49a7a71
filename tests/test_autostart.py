"""Start at login writes and removes an XDG autostart entry that really starts this app."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from balance_desk import APP_ID, __version__, autostart
from balance_desk.config import Settings


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def parse_exec(value: str) -> list[str]:
    """The desktop-entry spec's reading of an Exec value: string escapes first, then quoted
    arguments in which a backslash escapes ", `, $ and backslash; %% is a literal %."""
    unescaped = value.replace("\\\\", "\x00").replace("\\s", " ").replace("\x00", "\\")
    args: list[str] = []
    current, quoted, started, i = "", False, False, 0
    while i < len(unescaped):
        c = unescaped[i]
        if quoted and c == "\\" and unescaped[i + 1] in '"`$\\':
            current, i = current + unescaped[i + 1], i + 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + c, True
        i += 1
    if started:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


def exec_line(path: Path) -> str:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("Exec=")]
    assert len(lines) == 1
    return lines[0].removeprefix("Exec=")


def validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (scripts/setup installs it)")
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_enabling_writes_a_valid_entry_that_starts_this_app_minimized(
    config_home: Path, data_home: Path
) -> None:
    autostart.set_enabled(True)
    entry = config_home / "autostart" / f"{APP_ID}.desktop"
    assert entry.is_file()
    assert autostart.is_enabled()
    validate(entry)
    argv = parse_exec(exec_line(entry))
    assert argv[-1] == "--minimized"
    # The same command, asked for its version instead, really is this installation.
    result = subprocess.run(
        [*argv[:-1], "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout
    # It keeps the data folder this session uses.
    assert f"BALANCE_DESK_HOME={data_home}" in argv


def test_disabling_removes_the_entry_and_is_harmless_twice(config_home: Path) -> None:
    autostart.set_enabled(True)
    autostart.set_enabled(False)
    assert not (config_home / "autostart" / f"{APP_ID}.desktop").exists()
    assert not autostart.is_enabled()
    autostart.set_enabled(False)


def test_settings_drive_the_entry(config_home: Path) -> None:
    autostart.sync_with_settings(Settings(autostart=True))
    assert autostart.is_enabled()
    autostart.sync_with_settings(Settings(autostart=False))
    assert not autostart.is_enabled()


def test_entry_switched_off_by_the_desktop_counts_as_disabled(config_home: Path) -> None:
    autostart.set_enabled(True)
    entry = config_home / "autostart" / f"{APP_ID}.desktop"
    entry.write_text(entry.read_text().replace("enabled=true", "enabled=false"))
    assert not autostart.is_enabled()


@pytest.mark.parametrize(
    "path",
    [
        "/opt/Balance Desk/bin/balance-desk-gui",
        '/home/o"brien/bin/app',
        "/tmp/50%/$HOME/`x`/back\\slash/app",
        "/plain/path/app",
    ],
)
def test_awkward_launcher_paths_survive_quoting(config_home: Path, path: str) -> None:
    autostart.set_enabled(True, [path])
    entry = config_home / "autostart" / f"{APP_ID}.desktop"
    validate(entry)
    assert parse_exec(exec_line(entry))[-2:] == [path, "--minimized"]


def test_unwritable_autostart_folder_raises_for_the_caller_to_report(
    config_home: Path,
) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        autostart.set_enabled(True)


def test_launch_command_prefers_the_gui_script_next_to_python() -> None:
    command = autostart.launch_command()
    gui_script = Path(sys.executable).parent / "balance-desk-gui"
    if gui_script.exists():
        assert command == [str(gui_script)]
    else:
        assert command == [sys.executable, "-m", "balance_desk"]
