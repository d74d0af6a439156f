"""Retry delays: exponential with jitter, capped. Pure code."""

from __future__ import annotations

import random


def retry_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after `failures` consecutive failures (1 for the first).

    "Equal jitter": half of the exponential step is fixed, half is random, so
    retries spread out without ever collapsing to zero.
    """
    if failures < 1:
        return 0.0
    step = min(cap, base * (2 ** min(failures - 1, 32)))
    draw: float = (rng or random).random()
    return float(step / 2 + draw * step / 2)
