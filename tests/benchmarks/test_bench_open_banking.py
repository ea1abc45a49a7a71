"""The bank benchmark runs end to end (quick mode; timing is judged by the benchmark itself)."""

from __future__ import annotations

import pytest

from benchmarks import bench_open_banking


def test_quick_benchmark_reads_every_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_open_banking.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for label in ("wall time", "ideal", "ratio", "sequential"):
        assert label in out
    result = bench_open_banking.run(4, 0.0, 2, sequential=False)
    assert result.all_ok
    assert result.requests == 2 + 2 * 1 + 2 * 2  # 2 account pages; 1 or 2 balance pages each
