"""The Revolut X benchmark runs end to end (quick mode; timing is judged by the benchmark)."""

from __future__ import annotations

import pytest

from benchmarks import bench_revolut_x


def test_quick_benchmark_prints_both_figures_and_the_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench_revolut_x.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for label in ("bare httpx GET + JSON:", "Balance Desk client:", "overhead ratio:"):
        assert label in out
    bare_us, ours_us = bench_revolut_x.run(iterations=5, currencies=3, rounds=1)
    assert bare_us > 0 and ours_us > 0
