"""Non-secret settings and the one per-user data directory. No secret is ever written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from balance_desk.errors import ConfigError

# Re-exported: callers have always found the data directory here.
from balance_desk.paths import HOME_ENV, SETTINGS_FILE, atomic_write_text, data_dir

__all__ = [
    "BANK_PRESETS",
    "CRYPTO_MIN_INTERVAL_S",
    "HOME_ENV",
    "REVOLUT_X_DEFAULT_URL",
    "SETTINGS_FILE",
    "BankPreset",
    "BankSettings",
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


class Settings(BaseModel):
    """Everything a user can set that is not a secret. Unknown keys from newer versions are kept
    out of the model but never crash an older one."""

    model_config = ConfigDict(extra="ignore")

    revolut_x: RevolutXSettings = Field(default_factory=RevolutXSettings)
    bank: BankSettings = Field(default_factory=BankSettings)
    crypto_interval_s: int = Field(default=30, ge=CRYPTO_MIN_INTERVAL_S)
    # Background bank refreshes are further limited by the 4-a-day quota ledger.
    bank_interval_s: int = Field(default=6 * 3600, ge=60)
    notify_balance_changes: bool = False
    privacy_mode: bool = False
    # Tables show every digit the server sent instead of figures rounded to be read.
    show_every_digit: bool = False
    autostart: bool = False

    @classmethod
    def load(cls, directory: Path | None = None) -> Settings:
        path = (directory or data_dir()) / SETTINGS_FILE
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise ConfigError(f"Cannot read the settings file {path}: {exc.strerror}") from exc
        try:
            return cls.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ConfigError(
                f"The settings file {path} is damaged ({type(exc).__name__}); "
                "fix or delete it and set the keys up again."
            ) from exc

    def save(self, directory: Path | None = None) -> None:
        path = (directory or data_dir()) / SETTINGS_FILE
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
