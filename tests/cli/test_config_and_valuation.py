"""`balance-desk config` for non-secret settings, and the valuation `snapshot` adds: a net worth
line, `--base`, and a rate source that fails without failing the snapshot."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from balance_desk.config import Settings
from balance_desk.credentials import CredentialStore
from balance_desk.simulator.ecb import EcbSimulator
from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from tests.cli.test_revolut_x import _set_keys, run


def test_config_list_get_set_and_unset(data_home: Path, local_rates: EcbSimulator) -> None:
    listed = run("config", "list")
    assert listed.returncode == 0
    assert re.search(r"^base_currency\s+EUR$", listed.stdout, re.M)
    assert re.search(r"^rates\.region\s+\(default\)$", listed.stdout, re.M)
    assert re.search(r"^crypto_interval_s\s+30\s+\(default\)$", listed.stdout, re.M)

    done = run("config", "set", "base_currency", "gbp")
    assert done.returncode == 0 and done.stdout.strip() == "base_currency = GBP"
    assert Settings.load().base_currency == "GBP"
    assert run("config", "get", "base_currency").stdout.strip() == "GBP"
    assert run("config", "set", "rates.region", "uk").returncode == 0
    assert Settings.load().rates.region == "UK"
    assert run("config", "set", "privacy_mode", "yes").returncode == 0
    assert Settings.load().privacy_mode is True
    # Everything else in the file is kept.
    assert Settings.load().rates.ecb_url == local_rates.feed_url

    assert run("config", "unset", "base_currency").returncode == 0
    assert Settings.load().base_currency == ""
    # Unset: the system locale's currency (the test runs under whatever locale the CI has).
    shown = run("config", "get", "base_currency", env={"LANG": "en_GB.UTF-8", "LC_ALL": ""})
    assert shown.stdout.strip() == "GBP"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("set", "base_curency", "GBP"), "There is no setting 'base_curency'. Did you mean "
         "base_currency? The settings are: base_currency, rates.ecb_url"),
        (("get", "colour"), "The settings are: base_currency"),
        (("set", "base_currency", "BTC"), "'BTC' is not a valid base_currency; valid: AUD, "
         "BRL"),
        (("set", "rates.region", "US"), "valid: UK, EEA, or empty for any"),
        (("set", "rates.ecb_url", "http://example.com/feed.xml"), "Refusing the plain http://"),
        (("set", "crypto_interval_s", "1"), "at least 5"),
        (("set", "privacy_mode", "maybe"), "valid: true or false"),
        (("set", "rates.ca_bundle", "/no/such.pem"), "/no/such.pem is not a file"),
    ],
)
def test_unknown_keys_and_bad_values_are_refused_with_what_is_valid(
    data_home: Path, argv: tuple[str, ...], words: str
) -> None:
    before = (data_home / "settings.json").read_text()
    refused = run("config", *argv)
    assert refused.returncode == 2
    assert words in refused.stderr
    assert (data_home / "settings.json").read_text() == before  # nothing changed


@pytest.fixture
def sim() -> Iterator[RevolutXSimulator]:
    with RevolutXSimulator() as server:
        yield server


@pytest.mark.keyring
def test_the_readable_snapshot_ends_with_net_worth_and_base_can_be_chosen(
    sim: RevolutXSimulator, real_keyring_store: CredentialStore, tmp_path: Path
) -> None:
    assert _set_keys(sim, tmp_path).returncode == 0
    text = run("snapshot", "--source", "revolut-x")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.rstrip().splitlines()
    # Worked out by hand from the simulator's balances, mids and ECB rates (105,236.4932…).
    assert lines[-1] == "Net worth: 105,236.49 EUR (crypto 105,236.49 + bank 0.00)"
    assert "  1 BTC = 114000.00 EUR (Revolut X ticker, " in text.stdout
    assert re.search(r"  1 ETH = \S+ EUR \(crossed via USD, ", text.stdout)

    in_usd = run("snapshot", "--json", "--source", "revolut-x", "--base", "usd")
    assert in_usd.returncode == 0
    valuation = json.loads(in_usd.stdout)["valuation"]
    assert valuation["base"] == "USD"
    btc = next(line for line in valuation["crypto"] if line["currency"] == "BTC")
    assert btc["value"] == "64008.00"  # 0.5334 x 120000.00, the BTC/USD mid

    wrong = run("snapshot", "--base", "XBT")
    assert wrong.returncode == 2 and "not a currency the ECB quotes" in wrong.stderr


@pytest.mark.keyring
def test_no_rates_still_means_balances_and_exit_0(
    sim: RevolutXSimulator, real_keyring_store: CredentialStore, tmp_path: Path,
    local_rates: EcbSimulator,
) -> None:
    """A laptop on a train: the ECB and the prices fail, the balances do not."""
    assert _set_keys(sim, tmp_path).returncode == 0
    sim.fail(503, times=None, endpoint="tickers", message="Prices are down")
    local_rates.failing = 503
    try:
        done = run("snapshot", "--json", "--source", "revolut-x")
    finally:
        local_rates.failing = None
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["sources"]["revolut_x"]["status"] == "ok"
    valuation = doc["valuation"]
    assert [e.split(":")[0] for e in valuation["errors"]] == ["No ECB rates",
                                                              "No Revolut X prices"]
    assert "HTTP 503" in valuation["errors"][0] and "Prices are down" in valuation["errors"][1]
    values = {line["currency"]: line["value"] for line in valuation["crypto"]}
    assert values["BTC"] is None and values["EUR"] == "1234.50" and values["ADA"] == "0"
    assert "USD" in valuation["unvalued"] and "BTC" in valuation["unvalued"]


@pytest.mark.keyring
def test_snapshot_records_history_and_export_gives_it_back(
    sim: RevolutXSimulator, real_keyring_store: CredentialStore, tmp_path: Path,
    data_home: Path,
) -> None:
    import csv
    import io

    assert _set_keys(sim, tmp_path).returncode == 0
    assert run("export", "--history").returncode == 2  # nothing recorded yet
    assert run("snapshot", "--source", "revolut-x").returncode == 0
    assert run("snapshot", "--source", "revolut-x", "--no-history").returncode == 0
    assert run("snapshot", "--source", "revolut-x").returncode == 0
    exported = run("export", "--history")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    totals = [r for r in rows if r["account_id_or_currency"] == "BTC"
              and r["balance_type"] == "total"]
    assert len(totals) == 2  # --no-history recorded nothing
    # The exact product, as stored: 0.53340000 x 114000.00 (the BTC/EUR mid).
    assert totals[0]["amount"] == "0.53340000" and totals[0]["value"] == "60807.6000000000"
    assert totals[0]["base_currency"] == "EUR" and totals[0]["rate_source"] == "ticker"

    out = tmp_path / "now.json"
    current = run("export", "--current", "--format", "json", "--source", "revolut-x",
                  "--output", str(out))
    assert current.returncode == 0, current.stderr
    assert "Wrote" in current.stderr and oct(out.stat().st_mode & 0o777) == "0o600"
    now = json.loads(out.read_text())
    assert {r["source"] for r in now} == {"revolut_x"}
    assert any(r["account_id_or_currency"] == "ETH" and r["amount"] == "3.250000000000000000"
               for r in now)

    wrong = run("export", "--history", "--since", "yesterday")
    assert wrong.returncode == 2 and "is not a date" in wrong.stderr
