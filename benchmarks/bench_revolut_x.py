"""Our Revolut X fetch-and-parse of /balances versus a bare httpx GET of the same URL.

Both run in the same process against the same loopback simulator, interleaved in rounds so
machine noise hits both alike. The bare GET sends the same header set (pre-computed once) and
decodes the JSON, so the server does identical work for both and the difference is our
client's own cost: a fresh Ed25519 signature per request, the capped streamed read, the
amount checks and the Decimal models. The simulator's signature check is off for the same
reason (it is server time, not ours).

    .venv/bin/python -m benchmarks.bench_revolut_x [--iterations N] [--currencies N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import httpx

from balance_desk.simulator.revolut_x.server import RevolutXSimulator
from balance_desk.sources.revolut_x.source import RevolutXClient

LIMIT = 1.2


def _per_call_us(call: Callable[[], object], iterations: int) -> float:
    started = time.perf_counter()
    for _ in range(iterations):
        call()
    return (time.perf_counter() - started) / iterations * 1e6


def run(iterations: int, currencies: int, rounds: int) -> tuple[float, float]:
    """Best-round microseconds per call: (bare httpx, our client). The minimum, as timeit
    advises: noise from other processes only ever adds time."""
    with RevolutXSimulator(currencies=currencies, verify_auth=False) as sim:
        url = sim.api_root + "/balances"
        with RevolutXClient(sim.api_key, sim.private_key_pem, api_root=sim.api_root) as ours:
            # The same header names and sizes as our requests carry.
            same_headers = ours.auth_headers("GET", httpx.URL(url).raw_path)
            with httpx.Client(trust_env=False, headers=same_headers) as bare:
                assert len(ours.get_balances()) == len(bare.get(url).json()) == currencies

                def bare_call() -> object:
                    return bare.get(url).json()

                for call in (bare_call, ours.get_balances):  # warm both connections and caches
                    _per_call_us(call, max(10, iterations // 10))
                bare_times, our_times = [], []
                for _ in range(rounds):
                    bare_times.append(_per_call_us(bare_call, iterations))
                    our_times.append(_per_call_us(ours.get_balances, iterations))
    return min(bare_times), min(our_times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=400, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--currencies", type=int, default=10, help="balances in the answer")
    parser.add_argument("--quick", action="store_true", help="a few calls; checks it runs")
    args = parser.parse_args(argv)
    iterations, rounds = (20, 2) if args.quick else (args.iterations, args.rounds)
    bare_us, ours_us = run(iterations, args.currencies, rounds)
    ratio = ours_us / bare_us
    print(f"currencies per answer:   {args.currencies}")
    print(f"calls:                   {iterations} x {rounds} rounds each")
    print(f"bare httpx GET + JSON:   {bare_us:8.1f} us/call")
    print(f"Balance Desk client:     {ours_us:8.1f} us/call (signed, checked, Decimal models)")
    print(f"overhead ratio:          {ratio:8.3f}x (limit {LIMIT}x)")
    if args.quick:
        return 0
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
