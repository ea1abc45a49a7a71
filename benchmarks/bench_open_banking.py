"""Bank fetch wall time: 50 accounts (2 pages of accounts, balances on 1-2 pages each) with
100 ms simulated latency per request, against the ideal for the concurrency bound and against
fetching one request at a time.

The ideal: the first page of accounts must arrive before any balance can be asked for, and
after that the pool can do at best `bound` requests per latency period, so
ideal = latency x (1 + ceil(balance requests / bound)); the second account page loads beside
the balances. Wall time must stay within 1.3x of it.

    .venv/bin/python -m benchmarks.bench_open_banking [--accounts N] [--latency S] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from balance_desk.credentials import CredentialStore, MemoryKeyring
from balance_desk.simulator.open_banking.server import BankSimulator
from balance_desk.sources.open_banking.source import DEFAULT_CONCURRENCY, OpenBankingSource

LIMIT = 1.3


@dataclass(frozen=True)
class BenchResult:
    accounts: int
    requests: int
    bound: int
    wall_s: float
    ideal_s: float
    sequential_s: float | None
    all_ok: bool

    @property
    def ratio(self) -> float:
        return self.wall_s / self.ideal_s if self.ideal_s else math.inf


def _fetch_once(sim: BankSimulator, concurrency: int) -> tuple[float, int, bool]:
    store = CredentialStore(MemoryKeyring())
    store.set_bank(sim.client_credentials("sim-client"))
    settings = sim.client_settings()
    with tempfile.TemporaryDirectory() as home:
        source = OpenBankingSource(store, settings, Path(home), concurrency=concurrency)
        seen = len(sim.requests)
        started = time.perf_counter()
        result = source.fetch(user_present=True)
        wall = time.perf_counter() - started
    ok = result.status == "ok" and len(result.accounts) == len(sim.accounts)
    return wall, len(sim.requests) - seen, ok


def run(
    accounts: int = 50,
    latency_s: float = 0.1,
    bound: int = DEFAULT_CONCURRENCY,
    *,
    sequential: bool = True,
) -> BenchResult:
    per_page = math.ceil(accounts / 2)
    with BankSimulator(
        account_count=accounts, accounts_per_page=per_page, balances_per_page=2, latency_s=0
    ) as sim:
        _fetch_once(sim, bound)  # warm imports and certificate loading, not timed
        sim.latency_s = latency_s
        wall, requests, ok = _fetch_once(sim, bound)
        seq = _fetch_once(sim, 1)[0] if sequential else None
    balance_requests = requests - 2
    ideal = latency_s * (1 + math.ceil(balance_requests / bound))
    return BenchResult(accounts, requests, bound, wall, ideal, seq, ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--bound", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--quick", action="store_true", help="a small run (for the test suite)")
    args = parser.parse_args(argv)
    if args.quick:
        result = run(6, 0.01, args.bound, sequential=True)
    else:
        result = run(args.accounts, args.latency, args.bound)
    print(
        f"{result.accounts} accounts, {result.requests} requests, "
        f"concurrency bound {result.bound}"
    )
    print(f"wall time   {result.wall_s * 1000:8.0f} ms")
    print(f"ideal       {result.ideal_s * 1000:8.0f} ms   (for bound {result.bound})")
    print(f"ratio       {result.ratio:8.2f} x   (limit {LIMIT} x)")
    if result.sequential_s is not None:
        print(f"sequential  {result.sequential_s * 1000:8.0f} ms   (one request at a time)")
    if not result.all_ok:
        print("FAILED: not every account was read", file=sys.stderr)
        return 1
    if not args.quick and result.ratio > LIMIT:
        print(f"FAILED: wall time is {result.ratio:.2f}x the ideal", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
