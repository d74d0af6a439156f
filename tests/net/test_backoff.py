"""Retry delays: exponential growth with "equal jitter", capped (pure code)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from hutong.net.backoff import retry_delay

BASE = 0.05
CAP = 0.2


class FixedDraw(random.Random):
    """A random source whose every draw is `value` (0 <= value <= 1)."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_no_failure_means_no_wait() -> None:
    assert retry_delay(0, base=BASE, cap=CAP) == 0.0
    assert retry_delay(-3, base=BASE, cap=CAP) == 0.0


def test_delays_double_with_each_failure_until_the_cap() -> None:
    # With the largest draw the delay is the whole exponential step ...
    top = [retry_delay(n, base=BASE, cap=CAP, rng=FixedDraw(1.0)) for n in range(1, 7)]
    assert top == [0.05, 0.1, 0.2, 0.2, 0.2, 0.2]
    # ... and with the smallest draw, half of it: the delay never collapses to 0.
    bottom = [retry_delay(n, base=BASE, cap=CAP, rng=FixedDraw(0.0)) for n in range(1, 7)]
    assert bottom == [0.025, 0.05, 0.1, 0.1, 0.1, 0.1]


def test_a_huge_failure_count_is_capped_without_overflow() -> None:
    assert retry_delay(10**6, base=BASE, cap=CAP, rng=FixedDraw(1.0)) == CAP
    assert retry_delay(10**6, base=1.0, cap=3600.0, rng=FixedDraw(0.0)) == 1800.0


@given(
    failures=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.001, max_value=10_000.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_every_delay_lies_between_half_the_step_and_the_step(
    failures: int, base: float, cap: float, seed: int
) -> None:
    step = min(cap, base * 2 ** min(failures - 1, 32))
    delay = retry_delay(failures, base=base, cap=cap, rng=random.Random(seed))
    assert step / 2 <= delay <= step
    assert delay <= cap


def test_a_seeded_random_makes_the_delays_reproducible() -> None:
    first = [retry_delay(n, base=BASE, cap=CAP, rng=random.Random(42)) for n in range(1, 10)]
    again = [retry_delay(n, base=BASE, cap=CAP, rng=random.Random(42)) for n in range(1, 10)]
    assert first == again
    one_stream = random.Random(7)
    other_stream = random.Random(7)
    assert [retry_delay(3, base=BASE, cap=CAP, rng=one_stream) for _ in range(5)] == [
        retry_delay(3, base=BASE, cap=CAP, rng=other_stream) for _ in range(5)
    ]


def test_jitter_spreads_retries_out() -> None:
    rng = random.Random(1)
    delays = {retry_delay(4, base=BASE, cap=CAP, rng=rng) for _ in range(50)}
    assert len(delays) > 40
    assert all(0.1 <= d <= 0.2 for d in delays)
