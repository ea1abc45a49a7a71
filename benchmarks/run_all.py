"""Every benchmark of the project in one run: one table (figure, bound, ratio, pass/fail) and a
JSON file to compare commits with.

    bash benchmarks/run [--quick] [--json FILE]

`--quick` runs each at small sizes and judges nothing (the test command uses it to prove they
all run); without it, exit status 1 when any figure is past its bound. The JSON (default
`benchmarks/results/<UTC time>-<commit>.json`) holds every figure, its bound and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    bound: float
    # value / bound for a budget, or the ratio itself for a "times faster than" bound.
    ratio: float

    @property
    def passed(self) -> bool:
        return self.ratio <= 1.0


def _budget(name: str, value: float, unit: str, bound: float) -> Figure:
    return Figure(name, value, unit, bound, value / bound)


def gui(quick: bool) -> list[Figure]:
    from benchmarks import bench_gui as g

    rounds = 1 if quick else 7
    bare, ours = g.startup(rounds)
    bare_fresh, fresh = g.fresh_data(1 if quick else 5)
    stall = g.gui_stall_ms(30 if quick else 300, 20 if quick else 200, 1 if quick else 5)
    replace = g.replace_and_sort_ms(1000 if quick else 10_000, 1 if quick else 5)
    rss = g.resident_memory_mb()
    load, redraw, chart_stall, open_stall = g.chart_ms(24 * 30 if quick else 24 * 366)
    bare_h, paint_h, figures_h = g.first_figures(1 if quick else 5, 24 * 3 if quick else 8760)
    return [
        Figure("start to first paint (x bare window)", ours / bare, "x",
               g.STARTUP_RATIO_LIMIT, ours / bare / g.STARTUP_RATIO_LIMIT),
        Figure("start to fresh demo data (x bare window)", fresh / bare_fresh, "x",
               g.FRESH_RATIO_LIMIT, fresh / bare_fresh / g.FRESH_RATIO_LIMIT),
        _budget("longest GUI stall during refreshes", stall, "ms", g.STALL_LIMIT_MS),
        _budget("replace and sort a 10,000-row table", replace, "ms", g.REPLACE_SORT_LIMIT_MS),
        _budget("window + fetch process memory", rss, "MB", g.RSS_LIMIT_MB),
        _budget("chart redraw, a year of hourly points", redraw, "ms", g.CHART_REDRAW_LIMIT_MS),
        Figure("first paint with a year of history (x bare window)", paint_h / bare_h, "x",
               g.STARTUP_RATIO_LIMIT, paint_h / bare_h / g.STARTUP_RATIO_LIMIT),
        Figure("first figures, from the history (x bare window)", figures_h / bare_h, "x",
               g.FRESH_RATIO_LIMIT, figures_h / bare_h / g.FRESH_RATIO_LIMIT),
        Figure("chart data read off the GUI thread", load, "ms", 1000.0, load / 1000.0),
        _budget("longest GUI stall while the History tab reads a year", chart_stall, "ms",
                g.CHART_STALL_LIMIT_MS),
        _budget("longest GUI stall at the History tab's first opening (library import)",
                open_stall, "ms", g.CHART_OPEN_STALL_LIMIT_MS),
    ]


def revolut_x(quick: bool) -> list[Figure]:
    from benchmarks import bench_revolut_x as r

    bare, ours = r.run(20 if quick else 400, 10, 2 if quick else 7)
    return [Figure("Revolut X client (x bare httpx)", ours / bare, "x", r.LIMIT,
                   ours / bare / r.LIMIT)]


def open_banking(quick: bool) -> list[Figure]:
    from benchmarks import bench_open_banking as b

    result = b.run(6, 0.01, sequential=False) if quick else b.run(50, 0.1, sequential=False)
    return [Figure("bank fetch (x ideal for 8 at once)", result.ratio, "x", b.LIMIT,
                   result.ratio / b.LIMIT)]


def soak(quick: bool) -> list[Figure]:
    from benchmarks import soak as s

    result = s.soak(30 if quick else 2000)
    growth = result.at_end.rss_mb - result.after_warmup.rss_mb
    threads = result.at_end.threads - result.after_warmup.threads
    fds = result.at_end.fds - result.after_warmup.fds
    return [
        _budget(f"soak: memory growth over {result.rounds} rounds", max(growth, 0.0), "MB",
                s.MEMORY_GROWTH_LIMIT_MB),
        Figure("soak: thread growth", max(threads, 0), "", s.THREAD_ALLOWANCE,
               max(threads, 0) / s.THREAD_ALLOWANCE),
        Figure("soak: open file growth", max(fds, 0), "", s.FD_ALLOWANCE,
               max(fds, 0) / s.FD_ALLOWANCE),
    ]


SUITES: dict[str, Callable[[bool], list[Figure]]] = {
    "gui": gui, "revolut_x": revolut_x, "open_banking": open_banking, "soak": soak,
}


def table(figures: list[Figure], judged: bool) -> str:
    rows = [("figure", "value", "bound", "ratio", "result")]
    for f in figures:
        rows.append((
            f.name, f"{f.value:.2f} {f.unit}".strip(), f"{f.bound:g} {f.unit}".strip(),
            f"{f.ratio:.2f}", ("pass" if f.passed else "FAIL") if judged else "-",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _commit() -> str:
    import shutil

    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        return subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; judges nothing")
    parser.add_argument("--json", metavar="FILE", help="where to write the figures")
    parser.add_argument("--only", choices=sorted(SUITES), action="append",
                        help="run only these (repeatable)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import logging

    # The soak's faults are logged by the sources as they would be for a user; not here.
    logging.basicConfig(level=logging.ERROR)
    figures: list[Figure] = []
    with TemporaryDirectory() as home:
        os.environ["BALANCE_DESK_HOME"] = home
        for name in args.only or list(SUITES):
            print(f"[benchmarks] {name}…", file=sys.stderr, flush=True)
            figures += SUITES[name](args.quick)
    judged = not args.quick
    print(table(figures, judged))
    commit = _commit()
    document = {
        "commit": commit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "system": platform.platform()},
        "figures": [{**asdict(f), "passed": f.passed} for f in figures],
    }
    path = Path(args.json) if args.json else (
        ROOT / "benchmarks" / "results"
        / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{commit}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"figures written to {path}")
    return 0 if not judged or all(f.passed for f in figures) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
