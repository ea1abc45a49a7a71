"""The soak, short (the long one is `benchmarks/soak.py`): fetch rounds through the app's fetch
process with faults mixed in leave its memory, threads and open files flat."""

from __future__ import annotations

from benchmarks.soak import MEMORY_GROWTH_LIMIT_MB, soak


def test_fetch_rounds_with_faults_leave_the_fetch_process_flat() -> None:
    result = soak(60)
    assert result.failures_seen >= 4  # the faults really ran (retried ones are not counted)
    before, after = result.after_warmup, result.at_end
    assert after.threads <= before.threads + 2, (before, after)
    assert after.fds <= before.fds + 4, (before, after)
    assert after.rss_mb - before.rss_mb <= MEMORY_GROWTH_LIMIT_MB, (before, after)
