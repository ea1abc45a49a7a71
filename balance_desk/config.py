"""Non-secret settings and the one per-user data directory. No secret is ever written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from balance_desk.errors import ConfigError

# Re-exported: callers have always found the data directory here.
from balance_desk.paths import (
    HOME_ENV,
    SETTINGS_FILE,
    atomic_write_text,
    data_dir,
    move_aside,
)

__all__ = [
    "BANK_PRESETS",
    "CRYPTO_MIN_INTERVAL_S",
    "ECB_DEFAULT_URL",
    "HOME_ENV",
    "REVOLUT_X_DEFAULT_URL",
    "SETTINGS_FILE",
    "BankPreset",
    "BankSettings",
    "RatesSettings",
    "RevolutXSettings",
    "Settings",
    "atomic_write_text",
    "data_dir",
]

REVOLUT_X_DEFAULT_URL = "https://revx.revolut.com/api/1.0"
BankPreset = Literal["revolut", "revolut-sandbox", "custom"]
BANK_PRESETS: dict[str, tuple[str, str]] = {
    # preset: (API root, x-fapi-financial-id)
    "revolut": ("https://oba-auth.revolut.com", "001580000103UAvAAM"),
    "revolut-sandbox": ("https://sandbox-oba-auth.revolut.com", "001580000103UAvAAM"),
}

CRYPTO_MIN_INTERVAL_S = 5
ECB_DEFAULT_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
TickerRegion = Literal["", "UK", "EEA"]


class RevolutXSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = REVOLUT_X_DEFAULT_URL
    # A CA bundle for a proxy or sandbox; verification itself is never switched off.
    ca_bundle: str | None = None


class BankSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    preset: BankPreset = "revolut"
    url: str = BANK_PRESETS["revolut"][0]
    financial_id: str = BANK_PRESETS["revolut"][1]
    cert_path: str | None = None
    key_path: str | None = None
    ca_bundle: str | None = None


class RatesSettings(BaseModel):
    """Where rates come from: the ECB's daily feed for fiat, Revolut X tickers for crypto."""

    model_config = ConfigDict(extra="ignore")

    ecb_url: str = ECB_DEFAULT_URL
    # Revolut X answers tickers per region; empty: whichever it lists first.
    region: TickerRegion = ""
    # A CA bundle for a proxy or test server in front of the ECB feed.
    ca_bundle: str | None = None


class Settings(BaseModel):
    """Everything a user can set that is not a secret. Unknown keys from newer versions are kept
    out of the model but never crash an older one."""

    model_config = ConfigDict(extra="ignore")

    revolut_x: RevolutXSettings = Field(default_factory=RevolutXSettings)
    bank: BankSettings = Field(default_factory=BankSettings)
    # The currency every balance is valued in; empty: the system locale's (else EUR).
    base_currency: str = ""
    rates: RatesSettings = Field(default_factory=RatesSettings)
    crypto_interval_s: int = Field(default=30, ge=CRYPTO_MIN_INTERVAL_S)
    # Background bank refreshes are further limited by the 4-a-day quota ledger.
    bank_interval_s: int = Field(default=6 * 3600, ge=60)
    # Thin the history older than this many days to one point a day (0: keep everything).
    history_daily_after_days: int = Field(default=0, ge=0)
    # Wall-clock limits: one request read in full, and one whole refresh with its retries.
    request_deadline_s: int = Field(default=30, ge=5)
    fetch_deadline_s: int = Field(default=60, ge=5)
    notify_balance_changes: bool = False
    privacy_mode: bool = False
    # Tables show every digit the server sent instead of figures rounded to be read.
    show_every_digit: bool = False
    autostart: bool = False

    @property
    def base(self) -> str:
        """The base currency in force: the one set, else the system locale's, else EUR."""
        from balance_desk.valuation import ECB_CURRENCIES, default_base_currency

        code = self.base_currency.strip().upper()
        return code if code in ECB_CURRENCIES else default_base_currency()

    @classmethod
    def load(cls, directory: Path | None = None) -> Settings:
        """The settings as saved; defaults when there is no file. A damaged file is moved
        aside (`settings.json.damaged-<time>`, kept for the user) and ConfigError says so;
        from then on the defaults are used."""
        path = (directory or data_dir()) / SETTINGS_FILE
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return cls()  # nothing saved (or no folder to save in: `data_dir_problem` says)
        except OSError as exc:
            raise ConfigError(f"Cannot read the settings file {path}: {exc.strerror}") from exc
        try:
            return cls.model_validate(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValidationError) as exc:
            reason = "too deeply nested" if isinstance(exc, RecursionError) else (
                "not UTF-8 text" if isinstance(exc, UnicodeDecodeError)
                else "not valid JSON" if isinstance(exc, json.JSONDecodeError)
                else "values Balance Desk cannot use"
            )
            aside = move_aside(path)
            where = f"it was moved aside to {aside.name}" if aside else "it could not be moved"
            raise ConfigError(
                f"The settings file {path} was damaged ({reason}); {where}, and the default "
                "settings are used. Keys in the keyring are not affected."
            ) from exc

    @classmethod
    def load_or_defaults(cls, directory: Path | None = None) -> tuple[Settings, str | None]:
        """The settings, or the defaults and why (a damaged file is moved aside): nothing to
        read is no reason not to show balances."""
        try:
            return cls.load(directory), None
        except ConfigError as exc:
            return cls(), str(exc)

    def save(self, directory: Path | None = None) -> None:
        path = (directory or data_dir()) / SETTINGS_FILE
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
