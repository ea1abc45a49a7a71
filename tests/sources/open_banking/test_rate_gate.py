"""The bank's request pacing: at most `per_second` request starts in any one-second window, and
a burst within that limit never waits (a few accounts fetch at once)."""

from __future__ import annotations

from balance_desk.sources.open_banking.client import RateGate


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def starts(gate: RateGate, clock: FakeClock, count: int) -> list[float]:
    """When each of `count` requests, asked for at the same moment, would start."""
    times = []
    for _ in range(count):
        before = len(clock.slept)
        gate.wait()
        times.append(clock.now + (clock.slept[-1] if len(clock.slept) > before else 0.0))
    return times


def test_a_burst_within_the_limit_starts_at_once() -> None:
    clock = FakeClock()
    gate = RateGate(5, clock=clock, sleep=clock.sleep)
    assert starts(gate, clock, 5) == [100.0] * 5
    assert clock.slept == []


def test_no_one_second_window_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    gate = RateGate(5, clock=clock, sleep=clock.sleep)
    times = starts(gate, clock, 23)
    assert times == sorted(times)
    for i, first in enumerate(times):
        assert sum(1 for t in times[i:] if t < first + 1.0) <= 5
    # ... and no slower than that: the sixth waits one second, the eleventh two.
    assert times[5] == 101.0 and times[10] == 102.0 and times[22] == 104.0


def test_starts_that_have_left_the_window_no_longer_count() -> None:
    clock = FakeClock()
    gate = RateGate(3, clock=clock, sleep=clock.sleep)
    starts(gate, clock, 3)
    clock.now += 1.0
    assert starts(gate, clock, 3) == [101.0] * 3
