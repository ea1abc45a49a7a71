"""Non-secret settings and the one per-user data directory. No secret is ever written here."""

from __future__ import annotations

import hashlib
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
    "BANK_AUTH_PAGES",
    "BANK_PRESETS",
    "BANK_PRESET_TITLES",
    "CRYPTO_MIN_INTERVAL_S",
    "ECB_DEFAULT_URL",
    "HOME_ENV",
    "LEGACY_BANK_ENTRY",
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
# Where the account holder approves a consent in their browser (no mutual TLS there).
BANK_AUTH_PAGES: dict[str, str] = {
    "revolut": "https://oba.revolut.com/ui/index.html",
    "revolut-sandbox": "https://sandbox-oba.revolut.com/ui/index.html",
}
BANK_PRESET_TITLES: dict[str, str] = {
    "revolut": "Revolut",
    "revolut-sandbox": "Revolut sandbox",
    "custom": "Custom bank",
}
# The keyring entry of the one bank set up before connections had names.
LEGACY_BANK_ENTRY = "bank"

CRYPTO_MIN_INTERVAL_S = 5
ECB_DEFAULT_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
TickerRegion = Literal["", "UK", "EEA"]


class RevolutXSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = REVOLUT_X_DEFAULT_URL
    # A CA bundle for a proxy or sandbox; verification itself is never switched off.
    ca_bundle: str | None = None


class BankSettings(BaseModel):
    """One bank connection: where the bank is and which files speak to it. The tokens, the
    consent and the passphrases are in the keyring (`entry`)."""

    model_config = ConfigDict(extra="ignore")

    # Empty for the one bank set up before connections had names (`keys set bank`): it is
    # then named after its preset and its secrets are in the keyring entry "bank".
    name: str = ""
    preset: BankPreset = "revolut"
    url: str = BANK_PRESETS["revolut"][0]
    financial_id: str = BANK_PRESETS["revolut"][1]
    cert_path: str | None = None
    key_path: str | None = None
    ca_bundle: str | None = None
    # The consent flow's: the bank's authorisation page (empty: the preset's), the client id,
    # the request-object signing key and its kid, and the registered redirect URI.
    auth_url: str = ""
    client_id: str = ""
    signing_key_path: str | None = None
    kid: str = ""
    redirect_uri: str = ""

    @property
    def connection_name(self) -> str:
        return self.name or self.preset

    @property
    def entry(self) -> str:
        """The keyring entry holding this connection's secrets."""
        return f"bank:{self.name}" if self.name else LEGACY_BANK_ENTRY

    @property
    def api_root(self) -> str:
        return BANK_PRESETS[self.preset][0] if self.preset in BANK_PRESETS else self.url

    @property
    def fapi_financial_id(self) -> str:
        return BANK_PRESETS[self.preset][1] if self.preset in BANK_PRESETS else self.financial_id

    @property
    def auth_page(self) -> str:
        return self.auth_url or BANK_AUTH_PAGES.get(self.preset, "")

    @property
    def file_suffix(self) -> str:
        """What this connection's own files (quota ledger, account list) add to their names:
        nothing for the first bank, so its files stay where they always were."""
        if not self.name:
            return ""
        slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in self.name.lower())
        digest = hashlib.sha256(self.name.encode()).hexdigest()[:6]
        return f"-{slug.strip('-')[:24]}-{digest}"


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
    # The bank set up with `keys set bank` (tokens obtained elsewhere), used when its files
    # are set; every bank connected through the consent flow is in `bank_connections`.
    bank: BankSettings = Field(default_factory=BankSettings)
    bank_connections: list[BankSettings] = Field(default_factory=list)
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

    def connections(self) -> list[BankSettings]:
        """Every bank connection, the first bank's (when its files are set) first."""
        named = [c for c in self.bank_connections if c.name]
        names = {c.name for c in named}
        first = self.bank
        if first.cert_path and first.connection_name not in names:
            return [first, *named]
        return named

    def connection(self, name: str) -> BankSettings | None:
        for candidate in self.connections():
            if candidate.connection_name == name:
                return candidate
        return None

    def with_connection(self, connection: BankSettings) -> Settings:
        """These settings with `connection` added, or put in place of the one of its name."""
        if not connection.name:
            return self.model_copy(update={"bank": connection})
        kept = [c for c in self.bank_connections if c.name != connection.name]
        return self.model_copy(update={"bank_connections": [*kept, connection]})

    def without_connection(self, name: str) -> Settings:
        kept = [c for c in self.bank_connections if c.name != name]
        update: dict[str, object] = {"bank_connections": kept}
        if not self.bank.name and self.bank.connection_name == name:
            # The first bank's files are forgotten; its place stays for `keys set bank`.
            update["bank"] = BankSettings()
        return self.model_copy(update=update)

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
