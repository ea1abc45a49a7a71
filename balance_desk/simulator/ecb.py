"""A loopback ECB reference-rates feed in the real XML format, with fixed rates so that tests can
expect exact values, a request counter (the day's cache makes no second request) and faults."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from balance_desk.simulator.base import LoopbackServer, QuietHandler

FEED_PATH = "/stats/eurofxref/eurofxref-daily.xml"
# Units per 1 EUR.
DEMO_RATES: dict[str, str] = {
    "USD": "1.0523", "JPY": "162.47", "CZK": "25.163", "DKK": "7.4589", "GBP": "0.83215",
    "HUF": "409.85", "PLN": "4.2675", "RON": "4.9762", "SEK": "11.5215", "CHF": "0.9312",
    "ISK": "145.70", "NOK": "11.7385", "TRY": "36.3420", "AUD": "1.6152", "BRL": "6.3344",
    "CAD": "1.4735", "CNY": "7.6224", "HKD": "8.1880", "IDR": "16746.25", "ILS": "3.8542",
    "INR": "89.0760", "KRW": "1473.12", "MXN": "21.4605", "MYR": "4.6781", "NZD": "1.7850",
    "PHP": "61.774", "SGD": "1.4108", "THB": "36.158", "ZAR": "19.0715",
}


def last_published_day(now: datetime) -> date:
    """The day of the newest rates at `now`: published at 16:00 CET on working days."""
    day = now.date() if now.hour >= 15 else now.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def feed_document(day: date, rates: dict[str, str]) -> bytes:
    cubes = "".join(f"\t\t\t<Cube currency='{c}' rate='{r}'/>\n" for c, r in rates.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n"
        "\t</gesmes:Sender>\n"
        f"\t<Cube>\n\t\t<Cube time='{day.isoformat()}'>\n{cubes}\t\t</Cube>\n\t</Cube>\n"
        "</gesmes:Envelope>\n"
    ).encode()


class EcbSimulator(LoopbackServer):
    """`feed_url` serves the day's rates; `fail(status)` or `body` change the next answers."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.handler = _EcbHandler
        self.rates = dict(DEMO_RATES)
        self.day = last_published_day(datetime.now(UTC))
        self._lock = threading.Lock()
        self._requests = 0
        self.failing: int | None = None  # answer every request with this status
        self.body: bytes | None = None  # answer with these bytes instead of the feed
        self.delay_s = 0.0

    @property
    def feed_url(self) -> str:
        return self.base_url + FEED_PATH

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def count(self) -> None:
        with self._lock:
            self._requests += 1


class _EcbHandler(QuietHandler):
    def do_GET(self) -> None:
        app: EcbSimulator = self.server.app  # type: ignore[attr-defined]
        app.count()
        if app.delay_s and app.stopping.wait(app.delay_s):
            return
        if self.path != FEED_PATH:
            self.send_bytes(404, b"Not Found", content_type="text/plain")
        elif app.failing is not None:
            self.send_bytes(app.failing, b"<html>Unavailable</html>", content_type="text/html")
        else:
            body = app.body if app.body is not None else feed_document(app.day, app.rates)
            self.send_bytes(200, body, content_type="text/xml")
