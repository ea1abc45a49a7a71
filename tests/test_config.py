"""Settings live in one per-user folder, are written atomically and never hold a secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from balance_desk.config import Settings, atomic_write_text, data_dir
from balance_desk.errors import ConfigError


def test_data_dir_follows_balance_desk_home(data_home: Path) -> None:
    assert data_dir() == data_home
    assert data_home.is_dir()
    assert (data_home.stat().st_mode & 0o777) == 0o700


def test_settings_round_trip_and_defaults(data_home: Path) -> None:
    assert Settings.load().crypto_interval_s == 30
    settings = Settings.load()
    settings.revolut_x.url = "http://127.0.0.1:9999/api/1.0"
    settings.save()
    assert Settings.load().revolut_x.url == "http://127.0.0.1:9999/api/1.0"
    on_disk = json.loads((data_home / "settings.json").read_text())
    assert on_disk["revolut_x"]["url"] == "http://127.0.0.1:9999/api/1.0"


def test_damaged_settings_file_gives_an_actionable_message(data_home: Path) -> None:
    (data_dir() / "settings.json").write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        Settings.load()


def test_interval_below_minimum_is_refused(data_home: Path) -> None:
    (data_dir() / "settings.json").write_text(json.dumps({"crypto_interval_s": 1}))
    with pytest.raises(ConfigError):
        Settings.load()


def test_failed_atomic_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    atomic_write_text(target, "old")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfe{not utf-8", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "too deeply nested"),
        (b"{not json", "not valid JSON"),
        (b'{"crypto_interval_s": 1}', "values Balance Desk cannot use"),
    ],
)
def test_a_damaged_settings_file_is_moved_aside_and_the_defaults_used(
    data_home: Path, content: bytes, reason: str
) -> None:
    path = data_dir() / "settings.json"
    path.write_bytes(content)
    settings, problem = Settings.load_or_defaults()
    assert settings == Settings()
    assert problem is not None and reason in problem and "moved aside" in problem
    (aside,) = data_home.glob("settings.json.damaged-*")
    assert aside.read_bytes() == content  # the user's file is kept, not deleted
    assert not path.exists()
    assert Settings.load_or_defaults() == (Settings(), None)  # said once


def test_the_first_paint_reads_privacy_from_a_damaged_file_as_off(data_home: Path) -> None:
    from balance_desk.paths import stored_privacy_mode

    (data_dir() / "settings.json").write_bytes(b"[" * 100_000)
    assert stored_privacy_mode() is False
    (data_dir() / "settings.json").write_bytes(b'\xff{"privacy_mode": true}')
    assert stored_privacy_mode() is False
