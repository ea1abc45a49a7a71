"""Soak: thousands of fetch rounds through the app's fetch process, with faults mixed in, and the
fetch process's memory, threads and open files watched: all three must stay flat.

    .venv/bin/python -m benchmarks.soak [--rounds 2000] [--quick]

Each round fetches both sources through `FetchHost` (the app's own path: the sources, the rates
and the tables in the fetch process, the outcome over its pipe). Every 7th Revolut X answer is a
500, every 11th bank answer is cut off, every 13th is a 429 asked to wait: the error paths run as
often as the good ones. The figures are taken after a warm-up (a fifth of the rounds) and at the
end; exit 1 when memory grew more than 15 MB, or threads or open files grew at all (beyond a
small allowance for a connection pool's churn).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MEMORY_GROWTH_LIMIT_MB = 15.0
THREAD_ALLOWANCE = 2
FD_ALLOWANCE = 4


@dataclass(frozen=True)
class Usage:
    rss_mb: float
    threads: int
    fds: int


@dataclass(frozen=True)
class SoakResult:
    rounds: int
    seconds: float
    after_warmup: Usage
    at_end: Usage
    failures_seen: int

    @property
    def flat(self) -> bool:
        return (
            self.at_end.rss_mb - self.after_warmup.rss_mb <= MEMORY_GROWTH_LIMIT_MB
            and self.at_end.threads <= self.after_warmup.threads + THREAD_ALLOWANCE
            and self.at_end.fds <= self.after_warmup.fds + FD_ALLOWANCE
        )


def usage(pid: int) -> Usage:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = {line.split(":")[0]: line.split(":", 1)[1].split() for line in status}
    return Usage(
        rss_mb=int(fields["VmRSS"][0]) / 1024,
        threads=int(fields["Threads"][0]),
        fds=len(list(Path(f"/proc/{pid}/fd").iterdir())),
    )


def soak(rounds: int) -> SoakResult:
    from balance_desk.fetcher.parent import FetchHost, HostedFactory
    from balance_desk.present.formatting import NumberFormat
    from balance_desk.simulator.demo import start_demo

    with tempfile.TemporaryDirectory(prefix="bd-soak-") as home, start_demo(
        base_currency="GBP"
    ) as env:
        assert env.bank is not None
        spec = HostedFactory(
            "balance_desk.fetcher.targets:given_sources",
            (env.store.get_revolut_x(), env.store.get_bank(), env.settings, home),
        )
        host = FetchHost(spec, NumberFormat())
        try:
            host.start()
            pid = host.pid
            assert pid is not None
            warmup = max(1, rounds // 5)
            after_warmup = usage(pid)
            failures = 0
            started = time.perf_counter()
            for round_ in range(rounds):
                if round_ % 7 == 3:
                    env.revolut_x.fail(500)
                if round_ % 11 == 5:
                    env.bank.fail(None, path="/balances", truncate_to=10, times=1)
                if round_ % 13 == 8:
                    env.bank.fail(429, path="/balances", retry_after_s=0, times=1)
                for name in ("revolut_x", "bank"):
                    outcome = host.fetch(name, True)
                    failures += outcome.result.status == "error"
                if round_ + 1 == warmup:
                    after_warmup = usage(pid)
            seconds = time.perf_counter() - started
            assert host.pid == pid, "the fetch process was replaced during the soak"
            return SoakResult(rounds, seconds, after_warmup, usage(pid), failures)
        finally:
            host.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="100 rounds: proves it runs")
    args = parser.parse_args(argv)
    result = soak(100 if args.quick else args.rounds)
    w, e = result.after_warmup, result.at_end
    print(f"soak: {result.rounds} rounds of both sources in {result.seconds:.1f} s, "
          f"{result.failures_seen} failed fetches (faults mixed in)")
    print(f"  fetch process memory {w.rss_mb:.1f} -> {e.rss_mb:.1f} MB "
          f"(limit +{MEMORY_GROWTH_LIMIT_MB:.0f}), threads {w.threads} -> {e.threads}, "
          f"open files {w.fds} -> {e.fds}")
    print(f"  flat: {'yes' if result.flat else 'NO'}")
    return 0 if result.flat or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
