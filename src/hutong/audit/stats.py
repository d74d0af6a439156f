"""The auditor's statistics: exact tests for small samples, a seeded bootstrap, BH.

Standard library only (no scipy): the auditor needs four functions, each a
few lines, and every one of them is exact or seeded, so the same data always
gives the same numbers.

Fisher's exact test on a 2x2 table::

        | success | failure
    ----+---------+--------
     x  |    a    |    b        (the group under suspicion)
     y  |    c    |    d        (the baseline)

With the margins fixed, `a` follows the hypergeometric law
``P(a = k) = C(r1, k) C(r2, c1 - k) / C(n, c1)`` (r1 = a + b, r2 = c + d,
c1 = a + c, n = r1 + r2). The one-sided p-value "x succeeds less than y" is
``P(A <= a)``; "more" is ``P(A >= a)``; two-sided sums every table no more
likely than the one seen (with a relative tolerance of 1e-7, as R does).

Benjamini–Hochberg over the m p-values of one run: sort ascending,
``q_(i) = min_{j >= i} p_(j) * m / j``, capped at 1; a cell is significant
at level alpha when q <= alpha.

Mantel–Haenszel over K strata of 2x2 tables [[a, b], [c, d]] (n = a+b+c+d)::

    OR_MH = sum(a d / n) / sum(b c / n)
    z     = (sum a - sum E[a]) / sqrt(sum Var[a]),  E[a] = r1 c1 / n,
            Var[a] = r1 r2 c1 c2 / (n^2 (n - 1))

with the one-sided p-value P(Z > z) ("x succeeds more than y, stratum by
stratum"); strata with n < 2 carry no information and are skipped.

The bootstrap resamples units (queries, orders) with replacement from a
`random.Random(seed)`, so a confidence interval is reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from enum import StrEnum

__all__ = [
    "Alternative",
    "benjamini_hochberg",
    "binomial_sf",
    "bootstrap_ci",
    "fisher_exact",
    "hypergeom_pmf",
    "mantel_haenszel",
    "normal_sf",
    "welch_z",
]

#: Two probabilities closer than this (relatively) are the same table (two-sided test).
_RELATIVE_TOLERANCE = 1 + 1e-7


class Alternative(StrEnum):
    LESS = "less"  # x's success rate is below y's
    GREATER = "greater"  # x's success rate is above y's
    TWO_SIDED = "two-sided"


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def hypergeom_pmf(k: int, population: int, successes: int, draws: int) -> float:
    """P(K = k) drawing `draws` from `population` holding `successes` (0 outside the support)."""
    if k < max(0, draws - (population - successes)) or k > min(successes, draws):
        return 0.0
    return math.exp(
        _log_comb(successes, k)
        + _log_comb(population - successes, draws - k)
        - _log_comb(population, draws)
    )


def fisher_exact(
    a: int, b: int, c: int, d: int, alternative: Alternative = Alternative.LESS
) -> float:
    """Fisher's exact p-value for the table [[a, b], [c, d]] (see the module's docstring)."""
    if min(a, b, c, d) < 0:
        raise ValueError("a 2x2 table holds counts >= 0")
    r1, c1, n = a + b, a + c, a + b + c + d
    low, high = max(0, c1 - (n - r1)), min(r1, c1)
    if n == 0 or low == high:
        return 1.0
    pmf = [hypergeom_pmf(k, n, c1, r1) for k in range(low, high + 1)]
    if alternative is Alternative.LESS:
        p = sum(pmf[: a - low + 1])
    elif alternative is Alternative.GREATER:
        p = sum(pmf[a - low :])
    else:
        seen = pmf[a - low] * _RELATIVE_TOLERANCE
        p = sum(x for x in pmf if x <= seen)
    return min(1.0, p)


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def welch_z(mean_x: float, var_x: float, n_x: int, mean_y: float, var_y: float, n_y: int) -> float:
    """One-sided p-value that x's mean exceeds y's (Welch's statistic, normal tail).

    ``z = (mean_x - mean_y) / sqrt(var_x / n_x + var_y / n_y)``; for the large
    samples the auditor asks for (n >= its minimum) the normal tail is the t tail.
    Identical means with no variance give 1.0; a difference with none gives 0.0.
    """
    if n_x < 1 or n_y < 1:
        return 1.0
    spread = math.sqrt(max(var_x, 0.0) / n_x + max(var_y, 0.0) / n_y)
    diff = mean_x - mean_y
    if spread == 0.0:
        return 0.0 if diff > 0 else 1.0
    return normal_sf(diff / spread)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The BH-adjusted q-value of each p-value, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: (p_values[i], i))
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


def bootstrap_ci(
    units: Sequence[tuple[float, ...]],
    statistic: Callable[[Sequence[tuple[float, ...]]], float],
    *,
    seed: int = 15,
    resamples: int = 1000,
    level: float = 0.95,
) -> tuple[float, float]:
    """A percentile bootstrap interval of `statistic` over `units`, resampled with `seed`."""
    if not units:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    n = len(units)
    values = sorted(
        statistic([units[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples)
    )
    tail = (1 - level) / 2
    low = values[math.floor(tail * (resamples - 1))]
    high = values[math.ceil((1 - tail) * (resamples - 1))]
    return (low, high)


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): an exact upper tail (1.0 when k <= 0)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k, n + 1):
        term = math.exp(_log_comb(n, i) + i * log_p + (n - i) * log_q)
        total += term
        if i > n * p and term < total * 1e-17:
            break  # past the mode the terms only shrink: the rest is below rounding
    return min(1.0, total)


def mantel_haenszel(tables: Sequence[tuple[int, int, int, int]]) -> tuple[float, float]:
    """(the pooled odds ratio, the one-sided p that x's odds exceed y's) over strata."""
    top = bottom = observed = expected = variance = 0.0
    for a, b, c, d in tables:
        n = a + b + c + d
        if n < 2:
            continue
        r1, r2, c1, c2 = a + b, c + d, a + c, b + d
        top += a * d / n
        bottom += b * c / n
        observed += a
        expected += r1 * c1 / n
        variance += r1 * r2 * c1 * c2 / (n * n * (n - 1))
    ratio = top / bottom if bottom else (math.inf if top else 1.0)
    if variance == 0.0:
        return ratio, 1.0
    return ratio, normal_sf((observed - expected) / math.sqrt(variance))
