"""The fault matrix: every way a server can answer badly, for both sources, through the real
clients over loopback (issue 15's fault suite). For each fault: the kind and the words a user
sees, the last good figures kept and marked stale, and the next good answer recovering. The same
faults through the poller with the window open, and the other source unaffected, are in
tests/gui/test_fault_matrix_window.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_desk.config import RevolutXSettings
from balance_desk.credentials import CredentialStore, MemoryKeyring, RevolutXCredentials
from balance_desk.fetcher.runner import SourceRunner
from balance_desk.model import BankResult
from balance_desk.present.formatting import NumberFormat
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.base import Source
from balance_desk.sources.http import Deadlines
from balance_desk.sources.open_banking.source import OpenBankingSource
from balance_desk.sources.revolut_x.client import RetryPolicy
from balance_desk.sources.revolut_x.source import RevolutXSource
from tests.sources.open_banking.support import bank_settings, store_tokens

# Small limits, so that the slow faults end quickly and the matrix stays fast.
DEADLINES = Deadlines(request_s=1.5, fetch_s=3.0)
TIMEOUT = httpx.Timeout(connect=1.0, read=0.8, write=1.0, pool=1.0)
HUGE = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
DEEP = b"[" * 100_000 + b"]" * 100_000
HTML = b"<!DOCTYPE html><html><body>Captive portal</body></html>"


@dataclass(frozen=True)
class Fault:
    name: str
    options: dict[str, Any]
    # The error kind a user sees from each source; None: the source recovers within the fetch.
    kind: dict[str, str | None]
    # Words the message must hold (for both sources unless given per source).
    words: dict[str, str]


def both(kind: str | None) -> dict[str, str | None]:
    return {"revolut_x": kind, "bank": kind}


FAULTS = [
    Fault("500", {"status": 500}, both("server"), {"revolut_x": "HTTP 500", "bank": "HTTP 500"}),
    Fault("502", {"status": 502}, both("server"), {"revolut_x": "HTTP 502", "bank": "HTTP 502"}),
    Fault("503", {"status": 503}, both("server"), {"revolut_x": "HTTP 503", "bank": "HTTP 503"}),
    Fault("504", {"status": 504}, both("server"), {"revolut_x": "HTTP 504", "bank": "HTTP 504"}),
    Fault("400", {"status": 400}, {"revolut_x": "server", "bank": "protocol"},
          {"revolut_x": "400", "bank": "as malformed (HTTP 400)"}),
    Fault("401", {"status": 401}, both("auth"),
          {"revolut_x": "HTTP 401", "bank": "refused the refreshed access token"}),
    Fault("403", {"status": 403}, both("auth"),
          {"revolut_x": "HTTP 403", "bank": "ReadBalances permission"}),
    Fault("404", {"status": 404}, both("server"), {"revolut_x": "404", "bank": "404"}),
    Fault("429 long wait", {"status": 429, "retry_after": 3600},
          both("rate_limited"), {"revolut_x": "after", "bank": "after"}),
    Fault("429 no wait given", {"status": 429}, both("rate_limited"),
          {"revolut_x": "limiting", "bank": "limit"}),
    Fault("429 odd wait", {"status": 429, "retry_after_text": "soon"},
          both("rate_limited"), {"revolut_x": "limiting", "bank": "limit"}),
    Fault("429 silly wait", {"status": 429, "retry_after_text": "9" * 20},
          both("rate_limited"), {"revolut_x": "after", "bank": "after"}),
    Fault("429 short wait", {"status": 429, "retry_after": 0.3}, both(None), {}),
    Fault("HTML with 200", {"status": 200, "body": HTML, "content_type": "text/html"},
          both("protocol"), {"revolut_x": "HTML page", "bank": "HTML"}),
    Fault("empty 200", {"status": 200, "body": b""}, both("protocol"),
          {"revolut_x": "empty answer", "bank": "empty"}),
    Fault("truncated", {"status": None, "truncate_to": 20}, both("network"),
          {"revolut_x": "broke before the whole answer", "bank": "broke before"}),
    Fault("huge", {"status": 200, "body": HUGE}, both("protocol"),
          {"revolut_x": "larger than", "bank": "larger than"}),
    Fault("deep", {"status": 200, "body": DEEP}, both("protocol"),
          {"revolut_x": "nested too deeply", "bank": "bank"}),
    Fault("deep error body", {"status": 500, "body": DEEP}, both("server"),
          {"revolut_x": "HTTP 500", "bank": "HTTP 500"}),
    Fault("wrong types", {"status": 200, "body": b'{"balances": "none"}'}, both("protocol"),
          {"revolut_x": "JSON dict", "bank": "bank"}),
    Fault("read timeout", {"status": None, "delay_s": 3.0}, both("network"),
          {"revolut_x": "did not answer in time", "bank": " time"}),
    Fault("trickle", {"status": None, "trickle_s": 0.3}, both("network"),
          {"revolut_x": "within the time allowed", "bank": "within the time allowed"}),
]


class Rig:
    """One source against its simulator, with the last good table in a runner."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name = name
        store = CredentialStore(MemoryKeyring())
        self.source: Source
        if name == "revolut_x":
            self.crypto = RevolutXSimulator().start()
            store.set_revolut_x(RevolutXCredentials(
                api_key=self.crypto.api_key, private_key_pem=self.crypto.private_key_pem))
            self.source = RevolutXSource(
                store, RevolutXSettings(url=self.crypto.api_root),
                policy=RetryPolicy(retries=1, backoff_s=0.01), timeout=TIMEOUT,
                deadlines=DEADLINES,
            )
        else:
            self.bank = BankSimulator().start()
            store_tokens(store, self.bank.issue_tokens())
            self.source = OpenBankingSource(store, bank_settings(self.bank), tmp,
                                            deadlines=DEADLINES)
        self.runner = SourceRunner([self.source], NumberFormat())

    def apply(self, fault: Fault) -> None:
        options = dict(fault.options)
        wait = options.pop("retry_after", None)
        odd = options.pop("retry_after_text", None)
        status = options.pop("status")
        if self.name == "revolut_x":
            if wait is not None:
                options["retry_after_ms"] = int(wait * 1000)
            if odd is not None:
                options["headers"] = {"Retry-After": odd}
            times = 1 if fault.kind["revolut_x"] is None else None
            self.crypto.fail(status, times=times, **options)
        else:
            if wait is not None:
                if wait < 1:
                    options["headers"] = {"Retry-After": "0"}
                else:
                    options["retry_after_s"] = int(wait)
            if odd is not None:
                options["headers"] = {"Retry-After": odd}
            times = 1 if fault.kind["bank"] is None else None
            self.bank.fail(status, times=times, path="/balances", **options)

    def clear(self) -> None:
        if self.name == "revolut_x":
            self.crypto.clear_faults()
        else:
            self.bank.clear_faults()

    def close(self) -> None:
        self.runner.close()
        (self.crypto if self.name == "revolut_x" else self.bank).stop()


@pytest.fixture(params=["revolut_x", "bank"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    made = Rig(request.param, tmp_path)
    yield made
    made.close()


def _ids(fault: Fault) -> str:
    return fault.name.replace(" ", "-")


@pytest.mark.parametrize("fault", FAULTS, ids=_ids)
def test_every_fault_is_a_clear_message_and_the_last_good_figures_stay(
    rig: Rig, fault: Fault
) -> None:
    good = rig.runner.fetch(rig.name, user_present=True)  # type: ignore[arg-type]
    assert good.result.status == "ok" and good.table is not None and good.table.rows

    rig.apply(fault)
    during = rig.runner.fetch(rig.name, user_present=True)  # type: ignore[arg-type]
    expected = fault.kind[rig.name]
    if expected is None:  # a short wait is waited out: the user sees fresh figures
        assert during.result.status == "ok"
    else:
        error = during.result.error
        if isinstance(during.result, BankResult) and error is None:  # per account, summed up
            error = next(a.error for a in during.result.accounts if a.error is not None)
        assert during.result.status == "error" and error is not None
        assert error.kind == expected, error.message
        message = error.message
        assert message[:1].isupper() and "Traceback" not in message
        assert fault.words[rig.name] in message, message
        assert len(message) < 1200
        # The last good figures are what stays on screen (the window marks them stale).
        assert during.table is not None
        assert [r.values for r in during.table.rows] == [r.values for r in good.table.rows]

    rig.clear()
    after = rig.runner.fetch(rig.name, user_present=True)  # type: ignore[arg-type]
    assert after.result.status == "ok", after.result.error
    assert after.table is not None and after.table.stale_rows == 0


def test_a_refused_connection_is_a_network_error_in_words(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    store = CredentialStore(MemoryKeyring())
    with RevolutXSimulator() as sim:
        store.set_revolut_x(RevolutXCredentials(api_key=sim.api_key,
                                                private_key_pem=sim.private_key_pem))
    source = RevolutXSource(store, RevolutXSettings(url=f"http://127.0.0.1:{port}/api/1.0"),
                            policy=RetryPolicy(retries=0), deadlines=DEADLINES)
    result = source.fetch(user_present=True)
    source.close()
    assert result.error is not None and result.error.kind == "network"
    assert result.error.message.startswith(f"Could not connect to Revolut X at 127.0.0.1:{port}")


def test_a_bank_whose_certificate_we_cannot_verify_is_a_tls_error_in_words(
    tmp_path: Path,
) -> None:
    store = CredentialStore(MemoryKeyring())
    with BankSimulator() as sim:
        store_tokens(store, sim.issue_tokens())
        # Our side trusts another CA than the one that signed the bank's certificate.
        from balance_desk.simulator.certs import make_ca, write_cert

        stranger = write_cert(tmp_path / "other-ca.crt", make_ca("Someone else").cert)
        source = OpenBankingSource(
            store, bank_settings(sim, ca_bundle=str(stranger)), tmp_path, deadlines=DEADLINES
        )
        result = source.fetch(user_present=True)
    assert result.error is not None and result.error.kind == "network"
    assert "secure connection" in result.error.message
    assert "--ca-bundle" in result.error.message


def test_duplicates_are_shown_as_sent_with_a_warning(tmp_path: Path) -> None:
    rig = Rig("revolut_x", tmp_path)
    try:
        rig.crypto.set_balances_document([
            {"currency": "BTC", "available": "1", "reserved": "0", "total": "1"},
            {"currency": "BTC", "available": "2", "reserved": "0", "total": "2"},
        ])
        outcome = rig.runner.fetch("revolut_x", user_present=True)
        assert outcome.result.status == "ok" and outcome.table is not None
        rows = outcome.table.rows
        assert len(rows) == 2 and all("listed BTC 2 times" in (r.warning or "") for r in rows)
        assert json.dumps([r.values[4] for r in rows], default=str) == '["1", "2"]'
    finally:
        rig.close()


