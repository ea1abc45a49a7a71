"""`benchmarks/run` runs every benchmark (quick: small sizes, nothing judged) and writes the
table and the JSON a later commit is compared with."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests import REPO


def test_every_benchmark_runs_and_lands_in_one_table_and_one_json(
    tmp_path: Path, data_home: Path
) -> None:
    out = tmp_path / "figures.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BALANCE_DESK_HOME=str(data_home))
    done = subprocess.run(
        ["/bin/bash", "benchmarks/run", "--quick", "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["figure", "value", "bound", "ratio", "result"]
    document = json.loads(out.read_text())
    names = [f["name"] for f in document["figures"]]
    for expected in ("start to first paint", "start to fresh demo data", "longest GUI stall",
                     "memory", "Revolut X client", "bank fetch", "soak: memory growth"):
        assert any(expected in name for name in names), names
    for figure in document["figures"]:
        assert figure["bound"] > 0 and figure["value"] >= 0
        assert figure["name"] in done.stdout
    assert document["quick"] is True and document["commit"]
