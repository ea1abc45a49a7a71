"""The European Central Bank's daily reference rates: fetched once a day, kept in the data
directory, parsed with a hardened XML parser.

The feed (`eurofxref-daily.xml`) lists, for one day, how many units of about thirty currencies
one euro buys. A second run on the same day reads the cached copy and makes no request; when a
fetch fails the cached copy is used and the note says how old it is.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx

from balance_desk.errors import ProtocolError, ServerError, SourceError
from balance_desk.money import is_plain_amount, plain
from balance_desk.paths import atomic_write_text, move_aside
from balance_desk.sources.http import (
    DEFAULT_TIMEOUT,
    check_api_root,
    describe_body,
    make_transport,
    send_capped,
    server_words,
    with_deadlines,
)
from balance_desk.valuation import EcbRates

SERVICE = "the ECB"
CACHE_FILE = "ecb-rates.json"
# The feed is a few kilobytes; anything near this is not the feed.
MAX_FEED_BYTES = 512 * 1024
# The ECB publishes around 16:00 CET.
_CET = timezone(timedelta(hours=1), "CET")
_CODE = re.compile(r"[A-Z]{3}")

log = logging.getLogger(__name__)


def parse_feed(body: bytes) -> EcbRates:
    """The day's rates from the feed's XML; ProtocolError for anything else."""
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(body)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        what = describe_body(body, None) if not body.lstrip().startswith(b"<") else (
            "XML that could not be read safely" if isinstance(exc, DefusedXmlException)
            else "damaged XML"
        )
        raise ProtocolError(f"The ECB rates feed sent {what}, not its reference rates.") from exc
    day_cube = next(
        (el for el in root.iter() if _local(el.tag) == "Cube" and "time" in el.attrib), None
    )
    if day_cube is None:
        raise ProtocolError("The ECB rates feed had no day of rates in it (no <Cube time=…>).")
    try:
        day = date.fromisoformat(day_cube.attrib["time"])
    except ValueError as exc:
        shown = server_words(day_cube.attrib["time"], 40)
        raise ProtocolError(f"The ECB rates feed gave an unreadable date ({shown!r}).") from exc
    rates: dict[str, Decimal] = {}
    for cube in day_cube:
        currency, rate = cube.attrib.get("currency", ""), cube.attrib.get("rate", "")
        if not _CODE.fullmatch(currency) or not is_plain_amount(rate) or Decimal(rate) == 0:
            shown = server_words(f"{currency} {rate}", 40)
            raise ProtocolError(f"The ECB rates feed had an unreadable rate ({shown!r}).")
        rates[currency] = Decimal(rate)
    if not rates:
        raise ProtocolError("The ECB rates feed listed no rates for its day.")
    return EcbRates(day, rates, datetime(day.year, day.month, day.day, 16, tzinfo=_CET))


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


class EcbFeed:
    """Today's ECB rates for one feed URL, from the cache file or from the feed."""

    def __init__(
        self,
        url: str,
        directory: Path,
        *,
        ca_bundle: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        deadline_s: float = 30.0,
    ) -> None:
        self._deadline_s = deadline_s
        self.url = check_api_root(url, service="ECB rates feed")
        self._path = directory / CACHE_FILE
        self._ca_bundle = ca_bundle
        self._timeout = timeout.as_dict()
        self._clock = clock
        self._transport: httpx.HTTPTransport | None = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def rates(self) -> tuple[EcbRates | None, str | None, str | None]:
        """(rates, error, note): the rates to use (None when there are none at all), why they
        could not be fetched (None when fine), and a note when they are not today's fetch."""
        now = self._clock()
        cached, fetched_at, problem = self._read_cache()
        if cached is not None and fetched_at is not None and fetched_at.date() == now.date():
            return cached, None, problem
        try:
            fresh = self._fetch()
        except SourceError as exc:
            log.warning("ECB rates: %s", exc)
            if cached is None or fetched_at is None:
                return None, f"No ECB rates: {exc}", problem
            age = _age_words(now - fetched_at)
            note = (
                f"The ECB rates could not be refreshed ({exc}); using the rates of "
                f"{cached.day.isoformat()}, fetched {age} ago."
            )
            return cached, None, note
        self._write_cache(fresh, now)
        return fresh, None, problem

    def _fetch(self) -> EcbRates:
        if self._transport is None:
            self._transport = make_transport(self.url, self._ca_bundle, service=SERVICE)
            with_deadlines(self._transport)
        request = httpx.Request(
            "GET", self.url, headers={"Accept": "application/xml, text/xml"},
            extensions={"timeout": self._timeout},
        )
        response, body = send_capped(self._transport, request, service=SERVICE,
                                     cap=MAX_FEED_BYTES, deadline_s=self._deadline_s)
        if not response.is_success:
            raise ServerError(
                f"The ECB rates feed answered HTTP {response.status_code}.",
                http_status=response.status_code,
            )
        return parse_feed(body)

    def _read_cache(self) -> tuple[EcbRates | None, datetime | None, str | None]:
        try:
            text = self._path.read_bytes()
        except FileNotFoundError:
            return None, None, None
        except OSError as exc:
            return None, None, f"Cannot read the cached ECB rates {self._path}: {exc.strerror}."
        try:
            doc = json.loads(text.decode("utf-8"))
            if not isinstance(doc, dict):
                raise TypeError("not an object")
            if doc.get("url") != self.url:
                return None, None, None  # another feed's rates: fetch this one's
            fetched_at = datetime.fromisoformat(doc["fetched_at"])
            if fetched_at.tzinfo is None:
                raise ValueError("no time zone")
            day = date.fromisoformat(doc["day"])
            raw = doc["rates"]
            if not isinstance(raw, dict) or not raw:
                raise TypeError("no rates")
            rates = {}
            for code, value in raw.items():
                if not _CODE.fullmatch(code) or not isinstance(value, str) or not is_plain_amount(
                    value
                ) or Decimal(value) == 0:
                    raise ValueError("bad rate")
                rates[code] = Decimal(value)
        except (ValueError, TypeError, KeyError, RecursionError, UnicodeDecodeError) as exc:
            aside = move_aside(self._path)
            where = f"moved aside to {aside.name}" if aside else "could not be moved aside"
            log.warning("Damaged ECB rates cache: %s", exc)
            return None, None, (
                f"The cached ECB rates {self._path} were damaged and {where}; fresh rates are "
                "fetched instead."
            )
        ecb = EcbRates(day, rates, datetime(day.year, day.month, day.day, 16, tzinfo=_CET))
        return ecb, fetched_at, None

    def _write_cache(self, rates: EcbRates, now: datetime) -> None:
        doc = {
            "url": self.url,
            "fetched_at": now.isoformat(),
            "day": rates.day.isoformat(),
            "rates": {code: plain(value) for code, value in sorted(rates.per_euro.items())},
        }
        try:
            atomic_write_text(self._path, json.dumps(doc, indent=1) + "\n")
        except OSError as exc:  # nothing to save is no reason not to use the rates
            log.warning("Could not cache the ECB rates in %s: %s", self._path, exc)


def _age_words(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{int(hours)} hour{'s' if int(hours) != 1 else ''}"
    return f"{int(hours // 24)} days"

