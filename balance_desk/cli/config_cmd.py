"""`balance-desk config get|set|unset|list`: the settings that are not secrets, each checked
before it is saved. Keys and tokens are set with `balance-desk keys`, never here."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from balance_desk.cli.args import UsageError
from balance_desk.config import CRYPTO_MIN_INTERVAL_S, Settings
from balance_desk.errors import EXIT_OK


@dataclass(frozen=True)
class Setting:
    path: tuple[str, ...]
    help: str
    parse: Callable[[str], Any]
    valid: str  # the valid values, in words


def _base_currency(text: str) -> str:
    from balance_desk.valuation import ECB_CURRENCIES

    code = text.strip().upper()
    if code and code not in ECB_CURRENCIES:
        raise ValueError
    return code


def _ecb_url(text: str) -> str:
    from balance_desk.errors import ConfigError
    from balance_desk.sources.http import check_api_root

    try:
        return check_api_root(text, service="ECB rates feed")
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc


def _region(text: str) -> str:
    value = text.strip().upper()
    if value not in ("", "UK", "EEA"):
        raise ValueError
    return value


def _ca_bundle(text: str) -> str | None:
    if not text.strip():
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    return str(path.resolve())


def _interval(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < least:
            raise ValueError
        return int(text)

    return parse


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise ValueError


def _ecb_codes() -> str:
    from balance_desk.valuation import ECB_CURRENCIES

    return ", ".join(sorted(ECB_CURRENCIES)) + " (empty: the system locale's, else EUR)"


SETTINGS: dict[str, Setting] = {
    "base_currency": Setting(
        ("base_currency",), "the currency every balance is valued in", _base_currency,
        "",  # filled in lazily: the ECB's list
    ),
    "rates.ecb_url": Setting(
        ("rates", "ecb_url"), "the ECB daily reference rates feed", _ecb_url,
        "an https:// URL (http:// only for 127.0.0.1)",
    ),
    "rates.region": Setting(
        ("rates", "region"), "Revolut X ticker region for public prices", _region,
        "UK, EEA, or empty for any",
    ),
    "rates.ca_bundle": Setting(
        ("rates", "ca_bundle"), "CA bundle of a proxy in front of the ECB feed", _ca_bundle,
        "a PEM file, or empty for none",
    ),
    "crypto_interval_s": Setting(
        ("crypto_interval_s",), "seconds between Revolut X refreshes",
        _interval(CRYPTO_MIN_INTERVAL_S), f"a whole number of seconds, at least "
        f"{CRYPTO_MIN_INTERVAL_S}",
    ),
    "bank_interval_s": Setting(
        ("bank_interval_s",), "seconds between background bank refreshes", _interval(60),
        "a whole number of seconds, at least 60",
    ),
    "request_deadline_s": Setting(
        ("request_deadline_s",), "seconds one request may take in all, answer included",
        _interval(5), "a whole number of seconds, at least 5",
    ),
    "fetch_deadline_s": Setting(
        ("fetch_deadline_s",), "seconds one whole refresh may take, retries included",
        _interval(5), "a whole number of seconds, at least 5",
    ),
    "history_daily_after_days": Setting(
        ("history_daily_after_days",), "keep one history point a day after this many days",
        _interval(0), "a whole number of days (0: keep every point)",
    ),
    "privacy_mode": Setting(
        ("privacy_mode",), "hide every figure on screen", _flag, "true or false"
    ),
    "show_every_digit": Setting(
        ("show_every_digit",), "tables show every digit instead of rounded figures", _flag,
        "true or false",
    ),
    "notify_balance_changes": Setting(
        ("notify_balance_changes",), "notify when a balance changes", _flag, "true or false"
    ),
}


def _valid(setting: Setting) -> str:
    return setting.valid or _ecb_codes()


def find(name: str) -> Setting:
    setting = SETTINGS.get(name)
    if setting is not None:
        return setting
    close = difflib.get_close_matches(name, SETTINGS, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise UsageError(
        f"There is no setting {name[:60]!r}.{hint} The settings are: {', '.join(SETTINGS)}."
    )


def _get(settings: Settings, setting: Setting) -> Any:
    value: Any = settings
    for part in setting.path:
        value = getattr(value, part)
    return value


def _set(settings: Settings, setting: Setting, value: Any) -> None:
    target: Any = settings
    for part in setting.path[:-1]:
        target = getattr(target, part)
    setattr(target, setting.path[-1], value)


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cmd_config(args: argparse.Namespace) -> int:
    from balance_desk.errors import ConfigError

    if args.config_command == "list":
        settings, problem = Settings.load_or_defaults()
        if problem:
            print(f"balance-desk: {problem}", file=sys.stderr)
        defaults = Settings()
        width = max(len(name) for name in SETTINGS)
        for name, setting in SETTINGS.items():
            value = _get(settings, setting)
            note = "  (default)" if value == _get(defaults, setting) else ""
            if name == "base_currency" and not value:
                note = f"  (default: {settings.base} from the system locale)"
            print(f"{name.ljust(width)}  {shown(value)}{note}")
        return EXIT_OK
    setting = find(args.key)
    if args.config_command == "get":
        settings, _ = Settings.load_or_defaults()
        value = _get(settings, setting)
        print(settings.base if args.key == "base_currency" and not value else shown(value))
        return EXIT_OK
    # set / unset: change this one setting in the file as it is now.
    try:
        settings = Settings.load()
    except ConfigError as exc:
        print(f"balance-desk: {exc}", file=sys.stderr)
        settings = Settings()
    if args.config_command == "unset":
        value = _get(Settings(), setting)
    else:
        try:
            value = setting.parse(args.value)
        except ValueError as exc:
            detail = f" ({exc})" if str(exc) else ""
            raise UsageError(
                f"{args.value[:60]!r} is not a valid {args.key}{detail}; valid: {_valid(setting)}."
            ) from exc
    _set(settings, setting, value)
    try:
        settings.save()
    except OSError as exc:
        raise ConfigError(f"Cannot save the settings: {exc.strerror or exc}") from exc
    print(f"{args.key} = {shown(value)}")
    return EXIT_OK
