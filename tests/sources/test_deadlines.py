"""Wall-clock deadlines: a server sending one byte a second never trips a per-read timeout, but it
never holds a request past the request deadline, nor a refresh past the fetch deadline (issue 15,
defect 5: a trickling server held a bank fetch 90 s and a Revolut X fetch 181 s)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from balance_desk.credentials import CredentialStore
from balance_desk.errors import NetworkError
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.http import DEADLINE_MARK, Deadlines, request_deadline, with_deadlines
from balance_desk.sources.revolut_x.client import RetryPolicy, RevolutXClient
from tests.sources.open_banking.support import make_source

STOPPED = "did not finish answering within the time allowed"


@pytest.fixture
def trickling_headers() -> Iterator[str]:
    """A server that answers with a status line and then one header byte every 0.1 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not stop.wait(0.1):
                    try:
                        conn.sendall(b"a")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/1.0"
    stop.set()
    thread.join(5)
    listener.close()


def test_trickled_headers_end_at_the_request_deadline(trickling_headers: str) -> None:
    transport = httpx.HTTPTransport()
    with_deadlines(transport)
    request = httpx.Request("GET", trickling_headers + "/balances",
                            extensions={"timeout": httpx.Timeout(15).as_dict()})
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout, match=DEADLINE_MARK), request_deadline(0.8):
        transport.handle_request(request)
    assert time.monotonic() - started < 2.0  # not 15 s per byte, not forever
    transport.close()


def test_a_revolut_x_fetch_ends_at_its_deadline_retries_included() -> None:
    with RevolutXSimulator() as sim:
        sim.fail(None, times=None, trickle_s=0.2)  # a byte every 0.2 s: 1 KB takes minutes
        client = RevolutXClient(
            sim.api_key, sim.private_key_pem, api_root=sim.api_root,
            deadlines=Deadlines(request_s=1.0, fetch_s=2.5),
            policy=RetryPolicy(retries=5, backoff_s=0.01),
        )
        started = time.monotonic()
        with pytest.raises(NetworkError, match=STOPPED):
            client.get_balances()
        took = time.monotonic() - started
        client.close()
    assert 0.9 < took < 3.5
    assert 2 <= len(sim.requests) <= 3  # retried within the fetch deadline, then stopped


def test_a_bank_fetch_ends_at_its_deadline_and_says_why(
    memory_store: CredentialStore, data_home: Path
) -> None:
    with BankSimulator() as sim:
        source = make_source(sim, memory_store, data_home,
                             deadlines=Deadlines(request_s=1.0, fetch_s=2.0))
        memory_store.set_bank(sim.client_credentials("demo-client"))
        sim.fail(None, times=None, path="/balances", trickle_s=0.2)
        started = time.monotonic()
        result = source.fetch(user_present=True)
        took = time.monotonic() - started
    assert took < 4.0
    assert result.status in ("ok", "error")
    failed = [a for a in result.accounts if a.status == "error"]
    assert failed and all(a.error is not None and STOPPED in a.error.message for a in failed)
