"""Source factories for the fetch-process tests: run inside the fetch process, by name."""

from __future__ import annotations

from balance_desk.errors import ConfigError


def broken() -> None:
    raise ConfigError("The bank certificate file /nowhere/cert.pem does not exist.")
