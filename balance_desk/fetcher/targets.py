"""How the fetch process builds its sources: the user's, the demo's, or ones handed to it.

Qt-free: these run in the fetch process (see child.py), named by `HostedFactory` targets.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from balance_desk.config import Settings
    from balance_desk.credentials import BankCredentials, RevolutXCredentials
    from balance_desk.history import History
    from balance_desk.simulator.demo import DemoEnvironment
    from balance_desk.sources.base import SourceSet

# Names a demo simulator ("revolut_x" or "bank") that answers every request with a 500: for
# seeing, and testing, how the app shows a failing source.
DEMO_FAULT_ENV = "BALANCE_DESK_DEMO_FAIL"


def demo_sources() -> SourceSet:
    """The built-in simulators on loopback and throwaway credentials in memory; values in the
    base currency the user chose."""
    from balance_desk.config import Settings
    from balance_desk.simulator.demo import start_demo
    from balance_desk.sources.base import SourceSet
    from balance_desk.sources.factory import build_sources
    from balance_desk.sources.rates.book import RateBook

    chosen, _ = Settings.load_or_defaults()
    env = start_demo(base_currency=chosen.base_currency)
    try:
        connect_demo_bank(env)
        failing = os.environ.get(DEMO_FAULT_ENV, "")
        if failing:
            simulator = getattr(env, failing, None)
            if simulator is not None:
                simulator.fail(500, times=None)
        rates = RateBook(env.store, env.settings, env.rates_dir)
        # The demo's bank keeps its quota ledger and account list beside its rates, never in
        # the user's data directory.
        sources = build_sources(env.store, env.settings, directory=env.rates_dir)
        history = demo_history(env.settings.base)
        return SourceSet(sources, env.close, rates, history,
                         glance_at(demo=True) if history is not None else None)
    except BaseException:
        env.close()
        raise


def connect_demo_bank(env: DemoEnvironment) -> None:
    """The demo starts as a returning user does: its bank connected a month ago through the
    consent flow, the tokens in the demo's in-memory keyring (so the Banks page shows a real
    consent, and Renew… runs the whole flow against the simulated bank)."""
    from balance_desk.config import BankSettings

    if env.bank is None:
        return
    connection, creds = env.bank.connected("Revolut")
    env.store.set_bank(creds, connection.entry)
    env.store.delete_bank()
    env.settings.bank = BankSettings()
    env.settings.bank_connections = [connection]


def user_sources() -> SourceSet:
    """The user's keys from the OS keyring and their settings."""
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.paths import data_dir
    from balance_desk.sources.base import SourceSet
    from balance_desk.sources.factory import build_sources
    from balance_desk.sources.rates.book import RateBook

    settings, problem = Settings.load_or_defaults()
    if problem:  # the window's process tells the user too; this goes to the log
        logging.getLogger(__name__).warning("%s", problem)
    store = CredentialStore()
    history = open_history()
    if history is not None and settings.history_daily_after_days:
        from datetime import UTC, datetime, timedelta

        cutoff = datetime.now(UTC) - timedelta(days=settings.history_daily_after_days)
        try:
            history.thin(cutoff)
        except Exception:  # thinning is housekeeping: never a reason not to fetch
            logging.getLogger(__name__).exception("Thinning the history failed")
    return SourceSet(build_sources(store, settings), None, RateBook(store, settings, data_dir()),
                     history, glance_at(demo=False) if history is not None else None)


def glance_at(*, demo: bool) -> Path:
    """Where the last figures are kept as text, beside the history (present/glance.py)."""
    from balance_desk.paths import data_dir
    from balance_desk.present.glance import glance_file

    return data_dir() / glance_file(demo)


def demo_history(base: str) -> History | None:
    """The demo's own history (never the user's), with a made-up past, filled on a thread of
    its own so that the first fetch does not wait for it."""
    import threading
    from datetime import UTC, datetime
    from decimal import Decimal

    from balance_desk.simulator.demo_history import DEMO_HISTORY_FILE, seed
    from balance_desk.simulator.ecb import DEMO_RATES

    history = open_history(DEMO_HISTORY_FILE)
    if history is None:
        return None
    if base != "EUR" and base not in DEMO_RATES:
        return history
    per_gbp = Decimal(DEMO_RATES.get(base, "1")) / Decimal(DEMO_RATES["GBP"])
    if history.last_base() not in (None, base):
        history.forget()  # the made-up past was in another currency: make it again
    threading.Thread(
        target=seed, args=(history, base, per_gbp, datetime.now(UTC)),
        name="demo-history", daemon=True,
    ).start()
    return history


def open_history(name: str | None = None) -> History | None:
    """The user's history, or None (said in the log) when it cannot be opened at all."""
    import sqlite3

    from balance_desk.history import HISTORY_FILE, History
    from balance_desk.paths import data_dir

    log = logging.getLogger(__name__)
    try:
        history = History(data_dir() / (name or HISTORY_FILE))
    except (sqlite3.Error, OSError) as exc:
        log.warning("The history cannot be opened (%s); refreshes are not recorded.", exc)
        return None
    if history.problem:
        log.warning("%s", history.problem)
    return history


def given_sources(
    revolut_x: RevolutXCredentials | None,
    bank: BankCredentials | None,
    settings: Settings,
    rates_dir: str | None = None,
) -> SourceSet:
    """Sources for credentials handed over the fetch process's pipe, kept in memory only
    (benchmarks and tests against their own simulators); with `rates_dir`, values too (the ECB
    rates cached there)."""
    from pathlib import Path

    from balance_desk.credentials import CredentialStore, MemoryKeyring
    from balance_desk.sources.base import SourceSet
    from balance_desk.sources.factory import build_sources

    store = CredentialStore(MemoryKeyring())
    if revolut_x is not None:
        store.set_revolut_x(revolut_x)
    if bank is not None:
        store.set_bank(bank)
    rates = None
    if rates_dir is not None:
        from balance_desk.sources.rates.book import RateBook

        rates = RateBook(store, settings, Path(rates_dir))
    return SourceSet(build_sources(store, settings, directory=Path(rates_dir) if rates_dir
                                   else None), rates=rates)
