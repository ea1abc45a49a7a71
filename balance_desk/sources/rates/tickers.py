"""Revolut X tickers: which pairs exist, which ones valuing a set of crypto assets needs, and
their prices (`mid`), parsed as strictly as balances.

Signed `GET /tickers` when Revolut X keys are stored, else the public `GET /public/tickers`
(one request per second, kept to here). Symbols go out as `BTC-USD`, sorted, the comma
percent-encoded (as Revolut's own client signs them), and come back as `BTC/USD`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import MAX_PREC, Decimal, localcontext
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

from balance_desk import __version__
from balance_desk.errors import ProtocolError, RateLimitedError
from balance_desk.money import is_plain_amount
from balance_desk.sources.http import (
    DEFAULT_TIMEOUT,
    check_api_root,
    make_transport,
    send_capped,
    server_words,
    with_deadlines,
)
from balance_desk.sources.revolut_x.errors import decode_json, error_for_response
from balance_desk.valuation import Ticker, quote_preference

if TYPE_CHECKING:
    from balance_desk.sources.revolut_x.client import RevolutXClient

SERVICE = "Revolut X"
# The public endpoints allow one request per second.
PUBLIC_INTERVAL_S = 1.05  # a hair over a second, so clocks on both ends agree
# Pair and ticker lists are small; this is far above any real one.
MAX_LIST_BYTES = 2 * 1024 * 1024
_CODE_LIMIT = 32


def _code(value: object) -> str | None:
    if not isinstance(value, str) or not 0 < len(value) <= _CODE_LIMIT:
        return None
    return value if value.isascii() and value.isalnum() else None


def parse_pairs(doc: object) -> dict[str, tuple[str, str]]:
    """`{"BTC/USD": {"base": "BTC", "quote": "USD", ...}}` as {symbol: (base, quote)}; pairs
    that are not active, or are unreadable, are left out."""
    if not isinstance(doc, dict):
        raise ProtocolError("Revolut X sent a pair list that is not a JSON object.")
    pairs: dict[str, tuple[str, str]] = {}
    for symbol, item in doc.items():
        if not isinstance(item, dict):
            continue
        base, quote_ = _code(item.get("base")), _code(item.get("quote"))
        status = item.get("status", "active")
        if base and quote_ and status == "active" and symbol == f"{base}/{quote_}":
            pairs[symbol] = (base, quote_)
    return pairs


def parse_tickers(doc: object, *, region: str = "") -> tuple[Ticker, ...]:
    """The tickers of an answer, one per symbol (the configured region's, else the first);
    every price a plain decimal string, kept digit for digit."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise ProtocolError("Revolut X sent a ticker answer without its list of tickers.")
    meta = doc.get("metadata")
    stamp = meta.get("timestamp") if isinstance(meta, dict) else None
    if isinstance(stamp, int) and not isinstance(stamp, bool) and 0 < stamp < 2**42:
        as_of = datetime.fromtimestamp(stamp / 1000, UTC)
    else:
        as_of = datetime.now(UTC)
    found: dict[tuple[str, str], tuple[Ticker, bool]] = {}
    for index, item in enumerate(doc["data"]):
        if not isinstance(item, dict):
            raise ProtocolError(f"Revolut X ticker #{index + 1} is not a JSON object.")
        symbol = item.get("symbol")
        base, _, quote_ = symbol.partition("/") if isinstance(symbol, str) else ("", "", "")
        if not (_code(base) and _code(quote_)):
            shown = server_words(str(symbol), 40)
            raise ProtocolError(f"Revolut X ticker #{index + 1} has an unreadable symbol "
                                f"({shown!r}).")
        mid = _mid(item, f"{base}/{quote_}")
        preferred = not region or item.get("region") == region
        key = (base, quote_)
        if key not in found or (preferred and not found[key][1]):
            found[key] = (Ticker(base, quote_, mid, as_of), preferred)
    return tuple(ticker for ticker, _ in found.values())


def _mid(item: Mapping[str, object], symbol: str) -> Decimal:
    def amount(field: str) -> Decimal | None:
        value = item.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or not is_plain_amount(value):
            shown = server_words(repr(value), 40)
            raise ProtocolError(f"Revolut X ticker {symbol}: field '{field}' is unusable "
                                f"({shown}).")
        return Decimal(value)

    mid = amount("mid")
    if mid is None:
        bid, ask = amount("bid"), amount("ask")
        if bid is None or ask is None:
            raise ProtocolError(f"Revolut X ticker {symbol} has no price (no 'mid').")
        with localcontext(prec=MAX_PREC):
            mid = (bid + ask) / 2  # exact: halving a decimal always terminates
    if mid <= 0:
        raise ProtocolError(f"Revolut X ticker {symbol} has a price of {mid}.")
    return mid


def symbols_needed(
    currencies: Iterable[str],
    base: str,
    pairs: Mapping[str, tuple[str, str]],
    is_fiat: Callable[[str], bool],
    hops: int = 2,
) -> list[str]:
    """The pairs valuing `currencies` (crypto assets) needs: the direct pair with the base when
    listed, else one with a fiat quote (USD, EUR, GBP first), else one with another crypto
    asset (a stablecoin) and whatever that one needs in turn."""
    by_base: dict[str, list[str]] = {}
    for b, q in pairs.values():
        by_base.setdefault(b, []).append(q)
    wanted: list[str] = []

    def need(currency: str, hops_left: int, seen: frozenset[str]) -> bool:
        quotes = by_base.get(currency, [])
        if base in quotes:
            wanted.append(f"{currency}/{base}")
            return True
        ordered = sorted((q for q in quotes if q not in seen),
                         key=lambda q: quote_preference(q, is_fiat))
        for q in ordered:
            if is_fiat(q):
                wanted.append(f"{currency}/{q}")
                return True
            if hops_left > 0 and need(q, hops_left - 1, seen | {q}):
                wanted.append(f"{currency}/{q}")
                return True
        return False

    for currency in dict.fromkeys(currencies):
        if currency != base and not is_fiat(currency):
            need(currency, hops, frozenset({currency}))
    return sorted(dict.fromkeys(wanted))


def tickers_query(symbols: Iterable[str], region: str = "") -> str:
    """`region=UK&symbols=BTC-USD%2CETH-USD`: parameters sorted by name, names and values
    percent-encoded as `encodeURIComponent` does (what Revolut's own client signs)."""
    params = {"symbols": ",".join(s.replace("/", "-") for s in symbols)}
    if region:
        params["region"] = region
    return "&".join(
        f"{quote(name, safe='-_.!~*()')}={quote(value, safe='-_.!~*()')}"
        for name, value in sorted(params.items())
    )


class PublicRevolutX:
    """Unsigned reads of Revolut X's public endpoints, at most one a second."""

    def __init__(
        self,
        api_root: str,
        *,
        ca_bundle: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        deadline_s: float = 30.0,
    ) -> None:
        self.api_root = check_api_root(api_root, service=SERVICE)
        self._transport = make_transport(self.api_root, ca_bundle, service=SERVICE)
        with_deadlines(self._transport)
        self._deadline_s = deadline_s
        self._timeout = timeout.as_dict()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last = 0.0

    def close(self) -> None:
        self._transport.close()

    def get_json(self, path: str) -> object:
        """One read; a 429 asking for a short wait is waited out and tried once more (the
        rule both sources follow)."""
        from balance_desk.sources.http import short_wait

        try:
            return self._get_once(path)
        except RateLimitedError as exc:
            wait = short_wait(exc, datetime.now(UTC))
            if wait is None:
                raise
            self._sleep(wait)
            return self._get_once(path)

    def _get_once(self, path: str) -> object:
        with self._lock:
            wait = self._last + PUBLIC_INTERVAL_S - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last = time.monotonic()
        request = httpx.Request(
            "GET", self.api_root + path,
            headers={"Accept": "application/json", "User-Agent": f"balance-desk/{__version__}"},
            extensions={"timeout": self._timeout},
        )
        response, body = send_capped(self._transport, request, service=SERVICE,
                                     cap=MAX_LIST_BYTES, deadline_s=self._deadline_s)
        if response.is_success:
            return decode_json(body, response, "the list it was asked for")
        error, _ = error_for_response(
            response, body, api_root=self.api_root, local_now_ms=int(time.time() * 1000)
        )
        raise error


class TickerSource:
    """Pairs (looked up once a day) and tickers, signed when a client with keys is given."""

    PAIRS_TTL_S = 24 * 3600.0

    def __init__(
        self, public: PublicRevolutX, signed: RevolutXClient | None, *, region: str = ""
    ) -> None:
        self._public = public
        self._signed = signed
        self._region = region
        self._pairs: dict[str, tuple[str, str]] | None = None
        self._pairs_at = 0.0

    def close(self) -> None:
        self._public.close()
        if self._signed is not None:
            self._signed.close()

    def pairs(self) -> dict[str, tuple[str, str]]:
        now = time.monotonic()
        if self._pairs is None or now - self._pairs_at > self.PAIRS_TTL_S:
            self._pairs = parse_pairs(self._public.get_json("/public/configuration/pairs"))
            self._pairs_at = now
        return self._pairs

    def tickers(self, symbols: list[str]) -> tuple[Ticker, ...]:
        if not symbols:
            return ()
        if self._signed is not None:
            # The region filter belongs to the public endpoint only.
            doc = self._signed.get_json("/tickers?" + tickers_query(symbols), "the tickers")
        else:
            doc = self._public.get_json("/public/tickers?" + tickers_query(symbols, self._region))
        return parse_tickers(doc, region=self._region)
