"""The GUI benchmarks run (quick mode: small sizes, no timing asserted; figures are printed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import REPO

ROOT = REPO


def test_gui_benchmarks_run_and_print_every_figure(data_home: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BALANCE_DESK_HOME=str(data_home))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_gui", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for figure in ("startup to first paint", "longest GUI-thread stall", "row model and sort",
                   "resident memory"):
        assert figure in out, out
    assert out.count("ratio") == 4
