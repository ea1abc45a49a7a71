"""The rates every valuation needs, gathered in one place: the ECB's (cached for the day) and
Revolut X tickers (asked only for the pairs the held assets need, kept a few seconds so that the
two sources' refreshes share one request). Never raises: what failed comes back in words in
`RateInputs.errors`, and the balances are shown all the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from balance_desk.errors import InternalError, SourceError
from balance_desk.sources.http import without_secrets
from balance_desk.valuation import Prices, RateInputs, Ticker, Valuation, value_balances

if TYPE_CHECKING:
    from balance_desk.config import Settings
    from balance_desk.credentials import CredentialStore
    from balance_desk.model import Snapshot
    from balance_desk.sources.rates.ecb import EcbFeed
    from balance_desk.sources.rates.tickers import TickerSource
    from balance_desk.sources.revolut_x.client import RevolutXClient

log = logging.getLogger(__name__)

# Tickers this recent are reused rather than asked for again.
TICKER_TTL_S = 10.0


class RateBook:
    """Rates for the base currency of `settings` (or `base`), for any set of currencies."""

    def __init__(
        self,
        store: CredentialStore | None,
        settings: Settings,
        directory: Path,
        *,
        base: str | None = None,
    ) -> None:
        self.base = base or settings.base
        self._store = store
        self._settings = settings
        self._directory = directory
        self._lock = threading.Lock()
        self._ecb: EcbFeed | None = None
        self._tickers: TickerSource | None = None
        self._recent: dict[str, tuple[float, Ticker]] = {}
        # The API key the signed client sends: a server echoing it back must not show it.
        self._secrets: list[str] = []
        # The prices of the last `value_snapshot` (history stores each value with its rate).
        self.last_prices: Prices | None = None

    def close(self) -> None:
        with self._lock:
            if self._ecb is not None:
                self._ecb.close()
            if self._tickers is not None:
                self._tickers.close()
            self._ecb = self._tickers = None

    def value_snapshot(self, snapshot: Snapshot) -> Valuation:
        """Every balance of `snapshot` valued: the sources' figures as they answered (an account
        that was not read this time has no figures to value)."""
        crypto = snapshot.revolut_x.balances if snapshot.revolut_x is not None else ()
        bank = [
            (account.account, account.balances)
            for account in (snapshot.bank.accounts if snapshot.bank is not None else ())
            if account.balances
        ]
        held = [b.currency for b in crypto if b.total != 0]
        held += [b.currency for _, balances in bank for b in balances]
        self.last_prices = self.prices(held)
        return value_balances(self.last_prices, crypto, bank, computed_at=snapshot.fetched_at)

    def prices(self, currencies: Iterable[str]) -> Prices:
        """Prices for every currency of `currencies` (held amounts, zero ones left out by the
        caller); any failure is in `prices.inputs.errors`."""
        return Prices(self.base, self.inputs(currencies))

    def inputs(self, currencies: Iterable[str]) -> RateInputs:
        from balance_desk.valuation import ECB_CURRENCIES

        wanted = [c for c in dict.fromkeys(currencies) if c != self.base]
        if not wanted:
            return RateInputs()
        notes: list[str] = []
        ticker_error: str | None = None
        with self._lock:
            ecb = None
            try:
                ecb, error, note = self._ecb_feed().rates()
            except SourceError as exc:
                error, note = f"No ECB rates: {exc}", None
            except Exception as exc:  # a bug: no rates, never a lost snapshot
                log.exception("Fetching the ECB rates failed unexpectedly")
                error, note = f"No ECB rates: {InternalError.from_bug(exc, 'the ECB')}", None
            ecb_error = error
            notes += [note] if note else []

            def is_fiat(code: str) -> bool:
                return code in ECB_CURRENCIES or (ecb is not None and ecb.covers(code))

            crypto = [c for c in wanted if not is_fiat(c)]
            tickers: tuple[Ticker, ...] = ()
            if crypto:
                try:
                    tickers = self._crypto_tickers(crypto, is_fiat)
                except SourceError as exc:
                    said = without_secrets(str(exc), self._secrets)
                    ticker_error = f"No Revolut X prices: {said}"
                except Exception as exc:
                    log.exception("Fetching the Revolut X tickers failed unexpectedly")
                    bug = InternalError.from_bug(exc, "Revolut X")
                    ticker_error = f"No Revolut X prices: {bug}"
        inputs = RateInputs(
            tickers, ecb, ecb_error, ticker_error, tuple(notes),
            asked_ecb=True, asked_tickers=bool(crypto),
        )
        for error in inputs.errors:
            log.warning("%s", error)
        return inputs

    def _crypto_tickers(
        self, crypto: list[str], is_fiat: Callable[[str], bool]
    ) -> tuple[Ticker, ...]:
        from balance_desk.sources.rates.tickers import symbols_needed

        source = self._ticker_source()
        symbols = symbols_needed(crypto, self.base, source.pairs(), is_fiat)
        now = time.monotonic()
        fresh = {s: t for s, (at, t) in self._recent.items() if now - at < TICKER_TTL_S}
        missing = [s for s in symbols if s not in fresh]
        if missing:
            for ticker in source.tickers(missing):
                fresh[f"{ticker.base}/{ticker.quote}"] = ticker
                self._recent[f"{ticker.base}/{ticker.quote}"] = (now, ticker)
        return tuple(fresh[s] for s in symbols if s in fresh)

    def _ecb_feed(self) -> EcbFeed:
        if self._ecb is None:
            from balance_desk.sources.rates.ecb import EcbFeed

            rates = self._settings.rates
            self._ecb = EcbFeed(
                rates.ecb_url, self._directory, ca_bundle=rates.ca_bundle,
                deadline_s=self._settings.request_deadline_s,
            )
        return self._ecb

    def _ticker_source(self) -> TickerSource:
        if self._tickers is None:
            from balance_desk.sources.rates.tickers import PublicRevolutX, TickerSource

            settings = self._settings.revolut_x
            public = PublicRevolutX(
                settings.url, ca_bundle=settings.ca_bundle,
                deadline_s=self._settings.request_deadline_s,
            )
            self._tickers = TickerSource(
                public, self._signed_client(), region=self._settings.rates.region
            )
        return self._tickers

    def _signed_client(self) -> RevolutXClient | None:
        """A signed client when Revolut X keys are stored and usable, else None (public)."""
        from balance_desk.errors import ConfigError
        from balance_desk.sources.http import Deadlines
        from balance_desk.sources.revolut_x.client import RevolutXClient
        from balance_desk.sources.revolut_x.keys import load_private_key

        if self._store is None:
            return None
        try:
            creds = self._store.get_revolut_x()
            if creds is None:
                return None
            self._secrets.append(creds.api_key.strip())
            key = load_private_key(creds.private_key_pem, source="The stored private key")
            settings = self._settings.revolut_x
            limits = self._settings
            deadlines = Deadlines(limits.request_deadline_s, limits.fetch_deadline_s)
            return RevolutXClient(
                creds.api_key, key, api_root=settings.url, ca_bundle=settings.ca_bundle,
                deadlines=deadlines,
            )
        except ConfigError as exc:
            log.info("Revolut X tickers without keys (%s)", exc)
            return None
