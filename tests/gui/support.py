"""A running app for the GUI tests: the demo simulators on loopback, the real sources, the real
poller thread and the real window, wired by the app's own controller."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from balance_desk.config import Settings
from balance_desk.fetcher.runner import SourceRunner
from balance_desk.gui.app import AppController
from balance_desk.gui.number_format import system_number_format
from balance_desk.gui.poller import Poller
from balance_desk.gui.window.main_window import MainWindow
from balance_desk.paths import stored_flag
from balance_desk.present.updates import SourceUpdate
from balance_desk.simulator.demo import DemoEnvironment
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.base import SourceName
from balance_desk.sources.factory import build_sources
from balance_desk.sources.rates.book import RateBook

# The offscreen platform cannot pass size hints to a window manager; harmless and expected.
OFFSCREEN_NOISE = "does not support propagateSizeHints"
# Long intervals: only the tests decide when a refresh happens.
QUIET = Settings(crypto_interval_s=3600, bank_interval_s=3600)


def english_grouped(text: str) -> str:
    """What the window should show for a wire amount: every digit, grouped in English."""
    return format(Decimal(text), ",f")


def signed(raw: dict[str, Any]) -> str:
    amount = str(raw["Amount"]["Amount"])
    return "-" + amount if raw["CreditDebitIndicator"] == "Debit" else amount


@dataclass
class App:
    env: DemoEnvironment
    controller: AppController

    @property
    def window(self) -> MainWindow:
        return self.controller.window

    @property
    def poller(self) -> Poller:
        return self.controller.poller

    @property
    def crypto_sim(self) -> RevolutXSimulator:
        return self.env.revolut_x

    @property
    def bank_sim(self) -> BankSimulator:
        assert self.env.bank is not None
        return self.env.bank

    def latest(self, name: SourceName) -> SourceUpdate:
        update = self.poller.latest(name)
        assert update is not None
        return update

    def wait_done(self, qtbot: QtBot, *names: SourceName, timeout: int = 10_000) -> None:
        """Until each named source has finished a fetch and is not refreshing."""

        def finished() -> None:
            for name in names or ("revolut_x", "bank"):
                update = self.poller.latest(name)
                assert update is not None and update.done and not update.refreshing

        qtbot.waitUntil(finished, timeout=timeout)

    def refresh_and_wait(self, qtbot: QtBot, *names: SourceName) -> None:
        """Refresh, and wait until each named source has answered this refresh (not merely
        until some update arrives: the other source's may come first)."""
        chosen = names or ("revolut_x", "bank")
        before = {name: self.poller.latest(name) for name in chosen}
        with qtbot.waitSignal(self.poller.updated, timeout=5_000):
            self.window.refresh_action.trigger()

        def answered() -> None:
            for name in chosen:
                update = self.poller.latest(name)
                assert update is not None and update is not before[name]
                assert update.done and not update.refreshing

        qtbot.waitUntil(answered, timeout=10_000)


def start_app(
    qtbot: QtBot, env: DemoEnvironment, *, history: bool = False, **options: Any
) -> App:
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))

    def factory() -> SourceRunner:
        # As the app's fetch process does: the number format follows the every-digit setting.
        number = system_number_format(every_digit=stored_flag("show_every_digit"))
        # The base currency the user chose (the Overview's picker saves it), else the demo's.
        settings = env.settings.model_copy(deep=True)
        chosen = Settings.load_or_defaults()[0].base_currency
        settings.base_currency = chosen or settings.base_currency
        rates = RateBook(env.store, settings, env.rates_dir)
        kept = glance = None
        if history:  # as the app's fetch process keeps the user's history and last figures
            from balance_desk.history import HISTORY_FILE, History
            from balance_desk.paths import data_dir
            from balance_desk.present.glance import GLANCE_FILE

            kept = History(data_dir() / HISTORY_FILE)
            glance = data_dir() / GLANCE_FILE
        return SourceRunner(build_sources(env.store, settings), number, rates=rates,
                            history=kept, glance=glance)

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, factory=factory, **{"settings": QUIET, **options})
    qtbot.addWidget(controller.window)
    controller.show()
    if not options.get("defer_setup"):  # else the first paint starts it, as in the app
        controller.poller.start()
    return App(env, controller)
