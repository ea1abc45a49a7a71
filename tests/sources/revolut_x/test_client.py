"""The whole Revolut X error tree, over real sockets against the simulator."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from balance_desk.errors import (
    AuthError,
    ClockError,
    ConfigError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
    ServerError,
)
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.revolut_x.keys import generate_private_key, private_key_pem
from balance_desk.sources.revolut_x.source import RetryPolicy, RevolutXClient

FAST = RetryPolicy(retries=2, backoff_s=0.001, backoff_cap_s=0.002, max_retry_after_ms=300)
HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


@pytest.fixture
def client(sim: RevolutXSimulator) -> Iterator[RevolutXClient]:
    with RevolutXClient(
        sim.api_key, sim.private_key_pem, api_root=sim.api_root, policy=FAST
    ) as c:
        yield c


def test_balances_keep_exact_digits(client: RevolutXClient) -> None:
    balances = {b.currency: b for b in client.get_balances()}
    assert balances["BTC"].available == Decimal("0.52340000")
    assert str(balances["BTC"].available) == "0.52340000"
    assert balances["BTC"].staked is None
    assert str(balances["ETH"].staked) == "1.500000000000000000"
    assert str(balances["USD"].total) == "5500.50"
    assert balances["EUR"].to_document() == {
        "currency": "EUR",
        "available": "1000.0000",
        "reserved": "234.5000",
        "staked": None,
        "total": "1234.5000",
    }


# --- authentication ----------------------------------------------------------------------------


def test_401_explains_both_usual_causes(sim: RevolutXSimulator) -> None:
    wrong_key = private_key_pem(generate_private_key())
    with (
        RevolutXClient(sim.api_key, wrong_key, api_root=sim.api_root, policy=FAST) as c,
        pytest.raises(AuthError) as info,
    ):
        c.get_balances()
    err = info.value
    assert err.http_status == 401
    assert err.server_message == "Invalid signature"
    assert err.error_id and len(err.error_id) == 36
    assert "private key does not belong" in err.message
    assert "whitelisted IP" in err.message
    assert len(sim.requests) == 1  # a refused key is not retried


def test_401_from_the_ip_allow_list_shows_the_server_message(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.allowed_ips = {"192.0.2.7"}
    with pytest.raises(AuthError, match="can only be used for authentication from whitelisted IP"):
        client.get_balances()


def test_401_with_an_empty_body_is_still_clear(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(401, body=b"", content_type="text/plain")
    with pytest.raises(AuthError) as info:
        client.get_balances()
    assert info.value.server_message is None
    assert "an empty answer" in info.value.message
    assert "private key does not belong" in info.value.message


def test_403(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(403)
    with pytest.raises(AuthError, match=r"HTTP 403: Forbidden.*permissions") as info:
        client.get_balances()
    assert info.value.http_status == 403


# --- the clock ---------------------------------------------------------------------------------


def test_409_measures_the_offset_retries_once_and_keeps_it(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.clock_skew_ms = -30_000  # the server is 30 s behind us: we look 30 s in the future
    assert len(client.get_balances()) == 10
    assert [r.status for r in sim.requests] == [409, 200]
    assert 29_000 <= client.clock_offset_ms <= 31_000
    client.get_balances()  # the offset is kept: no second 409
    assert [r.status for r in sim.requests] == [409, 200, 200]
    first, second = (int(r.timestamp or 0) for r in sim.requests[:2])
    assert first - second >= 29_000  # the retry was re-signed with the corrected time


def test_409_offset_from_the_date_header_when_the_body_has_none(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.clock_skew_ms = -20_000
    sim.future_tolerance_ms = 10**9  # let the request through; the fault answers 409
    sim.fail(409, body=b'{"message": "Request timestamp is in the future"}')
    client.get_balances()
    assert 19_000 <= client.clock_offset_ms <= 22_000  # Date has 1 s resolution


def test_409_that_persists_says_by_how_much_the_clock_is_ahead(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.clock_skew_ms = -45_000
    sim.fail(409, times=None)
    with pytest.raises(ClockError) as info:
        client.get_balances()
    err = info.value
    assert err.http_status == 409
    assert "clock is ahead of Revolut X's by about 4" in err.message
    assert "automatic time" in err.message
    assert err.offset_ms is not None and 44_000 <= err.offset_ms <= 46_000
    assert len(sim.requests) == 2  # one corrected retry, no more


def test_clock_behind_the_server_is_corrected_after_a_401(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.clock_skew_ms = 60_000  # we are a minute behind: our timestamps look stale
    assert len(client.get_balances()) == 10
    assert [r.status for r in sim.requests] == [401, 200]
    assert -61_000 <= client.clock_offset_ms <= -59_000


# --- rate limits -------------------------------------------------------------------------------


def test_429_within_the_bound_waits_retry_after_milliseconds(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(429, retry_after_ms=150)
    started = time.monotonic()
    assert len(client.get_balances()) == 10
    assert time.monotonic() - started >= 0.15  # milliseconds, not seconds
    assert [r.status for r in sim.requests] == [429, 200]


def test_429_beyond_the_bound_raises_with_when_to_retry(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(429, retry_after_ms=60_000)
    before = datetime.now(UTC)
    with pytest.raises(RateLimitedError) as info:
        client.get_balances()
    err = info.value
    assert err.http_status == 429
    assert err.server_message == "Rate Limit Exceeded"
    assert err.retry_at is not None
    assert before + timedelta(seconds=59) <= err.retry_at <= before + timedelta(seconds=62)
    assert len(sim.requests) == 1


def test_429_without_retry_after(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(429)
    with pytest.raises(RateLimitedError, match="in a minute") as info:
        client.get_balances()
    assert info.value.retry_at is None


# --- server errors and retries -----------------------------------------------------------------


def test_5xx_is_retried_with_fresh_timestamps_and_signatures(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(503, times=2)
    assert len(client.get_balances()) == 10
    requests = sim.requests
    assert [r.status for r in requests] == [503, 503, 200]
    stamps = [int(r.timestamp or 0) for r in requests]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert len({r.signature for r in requests}) == 3


def test_5xx_that_persists_becomes_a_server_error(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(500, times=None)
    with pytest.raises(ServerError) as info:
        client.get_balances()
    err = info.value
    assert err.http_status == 500
    assert err.server_message == "Something went wrong!"
    assert err.error_id
    assert "try again later" in err.message
    assert len(sim.requests) == 3  # first attempt + 2 retries


def test_html_error_page_from_a_proxy(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(502, body=HTML, content_type="text/html", times=None)
    with pytest.raises(ServerError, match="HTML page") as info:
        client.get_balances()
    assert info.value.http_status == 502
    assert info.value.error_id is None


def test_html_instead_of_balances(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(200, body=b"<html><body>Sign in to the Wi-Fi</body></html>", content_type="text/html")
    with pytest.raises(ProtocolError, match="HTML page"):
        client.get_balances()


def test_empty_success_body(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(200, body=b"")
    with pytest.raises(ProtocolError, match="an empty answer"):
        client.get_balances()


def test_redirect_is_not_followed(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.fail(302, body=b"", headers={"Location": "https://elsewhere.example/api/1.0/balances"})
    with pytest.raises(ServerError, match=r"redirected the request to https://elsewhere"):
        client.get_balances()
    assert len(sim.requests) == 1


def test_wrong_api_root_path(sim: RevolutXSimulator) -> None:
    with RevolutXClient(
        sim.api_key, sim.private_key_pem, api_root=sim.base_url + "/api/2.0", policy=FAST
    ) as c, pytest.raises(ServerError, match="check the API root") as info:
        c.get_balances()
    assert info.value.http_status in (401, 404)


# --- network -----------------------------------------------------------------------------------


def test_truncated_body_is_a_network_error(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.fail(None, truncate_to=25, times=None)
    with pytest.raises(NetworkError, match="broke before the whole answer arrived"):
        client.get_balances()
    assert len(sim.requests) == 3


def test_read_timeout(sim: RevolutXSimulator) -> None:
    sim.fail(None, delay_s=2.0, times=None)
    with RevolutXClient(
        sim.api_key,
        sim.private_key_pem,
        api_root=sim.api_root,
        timeout=httpx.Timeout(2.0, read=0.2),
        policy=RetryPolicy(retries=1, backoff_s=0.001),
    ) as c:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="did not answer in time"):
            c.get_balances()
    assert time.monotonic() - started < 1.5


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused() -> None:
    port = _closed_port()
    key = private_key_pem(generate_private_key())
    root = f"http://127.0.0.1:{port}/api/1.0"
    with (
        RevolutXClient("k" * 64, key, api_root=root, policy=FAST) as c,
        pytest.raises(NetworkError, match=f"Could not connect to Revolut X at 127.0.0.1:{port}"),
    ):
        c.get_balances()


def test_tls_failure_is_explained(sim: RevolutXSimulator) -> None:
    # https:// to a plain-HTTP server: the handshake fails like it does behind a broken proxy.
    root = sim.api_root.replace("http://", "https://")
    with (
        RevolutXClient(sim.api_key, sim.private_key_pem, api_root=root, policy=FAST) as c,
        pytest.raises(NetworkError, match="secure connection") as info,
    ):
        c.get_balances()
    assert "--ca-bundle" in info.value.message


# --- body size cap -----------------------------------------------------------------------------


def test_body_over_the_cap_is_refused_unparsed() -> None:
    with RevolutXSimulator(currencies=300) as sim, RevolutXClient(
        sim.api_key, sim.private_key_pem, api_root=sim.api_root, max_body_bytes=4096
    ) as c, pytest.raises(ProtocolError, match="larger than"):
        c.get_balances()


def test_cap_also_holds_when_the_length_is_not_trusted(sim: RevolutXSimulator) -> None:
    # With a Content-Encoding the declared length says nothing about the decoded size.
    sim.set_balances([{"currency": f"C{i}", "available": "1", "reserved": "0", "total": "1"}
                      for i in range(200)])
    sim.fail(None, headers={"Content-Encoding": "identity"})
    with RevolutXClient(
        sim.api_key, sim.private_key_pem, api_root=sim.api_root, max_body_bytes=2048
    ) as c, pytest.raises(ProtocolError, match="larger than"):
        c.get_balances()


def test_default_cap_is_a_few_megabytes() -> None:
    from balance_desk.sources.http import MAX_BODY_BYTES

    assert 1_000_000 <= MAX_BODY_BYTES <= 10_000_000


# --- parsing -----------------------------------------------------------------------------------


def _one(**fields: object) -> list[dict[str, object]]:
    entry: dict[str, object] = {
        "currency": "BTC", "available": "1.5", "reserved": "0.5", "total": "2.0"
    }
    entry.update(fields)
    return [{k: v for k, v in entry.items() if v is not _MISSING}]


_MISSING = object()


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"balances": []}, "JSON dict where the list of balances"),
        ("BTC", "JSON str where the list of balances"),
        (["BTC"], "balance #1 is not a JSON object"),
        (_one(available=1.5), "balance for BTC: field 'available' is unusable \\(expected a "
         "decimal string, got float\\)"),
        (_one(reserved="abc"), "balance for BTC: field 'reserved' is unusable \\(not a decimal"),
        (_one(total="NaN"), "balance for BTC: field 'total' is unusable"),
        (_one(total="Infinity"), "balance for BTC: field 'total' is unusable"),
        (_one(available="-1.0"), "balance for BTC: field 'available' is unusable \\(negative"),
        (_one(available="1e5"), "field 'available' is unusable"),
        (_one(staked=True), "balance for BTC: field 'staked' is unusable"),
        (_one(total=_MISSING), "balance for BTC: field 'total' is missing"),
        (_one(currency=_MISSING), "balance #1: field 'currency' is missing"),
        (_one(currency="BTC\x1b[2J"), "balance #1: field 'currency' is invalid"),
    ],
)
def test_parse_rejections_name_the_field_and_currency(
    sim: RevolutXSimulator, client: RevolutXClient, document: object, words: str
) -> None:
    sim.set_balances_document(document)
    with pytest.raises(ProtocolError, match=words):
        client.get_balances()


def test_fields_we_do_not_know_are_ignored(
    sim: RevolutXSimulator, client: RevolutXClient
) -> None:
    sim.set_balances([{"currency": "BTC", "available": "1.0", "reserved": "0.0", "total": "1.0",
                       "locked_in_earn": "5.0", "tier": 2}])
    (balance,) = client.get_balances()
    assert (balance.currency, str(balance.total)) == ("BTC", "1.0")


def test_empty_list_is_fine(sim: RevolutXSimulator, client: RevolutXClient) -> None:
    sim.set_balances([])
    assert client.get_balances() == ()


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "root",
    ["http://example.com/api/1.0", "http://10.0.0.5/api/1.0", "ftp://127.0.0.1/api", "nonsense"],
)
def test_unsafe_or_invalid_api_roots_are_refused(root: str) -> None:
    with pytest.raises(ConfigError):
        RevolutXClient("k" * 64, private_key_pem(generate_private_key()), api_root=root)


def test_missing_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="API key is not set yet"):
        RevolutXClient("", private_key_pem(generate_private_key()))


def test_missing_ca_bundle_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        RevolutXClient(
            "k" * 64, private_key_pem(generate_private_key()), ca_bundle="/nonexistent/ca.pem"
        )



def test_name_lookup_failure_is_said_in_words() -> None:
    from balance_desk.sources.http import network_error

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except OSError as inner:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from inner
    except httpx.ConnectError as exc:
        error = network_error(exc, service="Revolut X", url=httpx.URL("https://revx.example/api"))
    assert "Could not find revx.example (the name lookup failed)" in error.message
