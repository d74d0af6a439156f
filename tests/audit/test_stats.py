"""The auditor's statistics against published values, and their determinism."""

from __future__ import annotations

import math

import pytest

from hutong.audit.stats import (
    Alternative,
    benjamini_hochberg,
    bootstrap_ci,
    fisher_exact,
    hypergeom_pmf,
)


def test_fisher_exact_matches_the_textbook_table() -> None:
    # [[1, 9], [11, 3]]: R's fisher.test gives 0.002759 two-sided, 0.001380 "less".
    assert fisher_exact(1, 9, 11, 3, Alternative.TWO_SIDED) == pytest.approx(0.002759, abs=1e-6)
    assert fisher_exact(1, 9, 11, 3, Alternative.LESS) == pytest.approx(0.001380, abs=1e-6)
    assert fisher_exact(1, 9, 11, 3, Alternative.GREATER) == pytest.approx(0.99996, abs=1e-5)


def test_fisher_exact_of_equal_rates_is_not_significant_and_empty_tables_are_one() -> None:
    assert fisher_exact(10, 10, 10, 10, Alternative.LESS) > 0.5
    assert fisher_exact(0, 0, 0, 0) == 1.0
    with pytest.raises(ValueError):
        fisher_exact(-1, 0, 0, 0)


def test_hypergeometric_probabilities_sum_to_one() -> None:
    total = sum(hypergeom_pmf(k, 50, 20, 10) for k in range(11))
    assert math.isclose(total, 1.0, rel_tol=1e-12)
    assert hypergeom_pmf(11, 50, 20, 10) == 0.0


def test_benjamini_hochberg_adjusts_in_the_given_order() -> None:
    # Textbook: p = (0.01, 0.04, 0.03, 0.005) -> q = (0.02, 0.04, 0.04, 0.02).
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert benjamini_hochberg([]) == []


def test_the_bootstrap_is_seeded_so_the_same_data_gives_the_same_interval() -> None:
    units = [(float(x),) for x in range(100)]

    def mean(sample: list[tuple[float, ...]]) -> float:
        return sum(u[0] for u in sample) / len(sample)

    first = bootstrap_ci(units, mean, seed=7)  # type: ignore[arg-type]
    assert first == bootstrap_ci(units, mean, seed=7)  # type: ignore[arg-type]
    assert first[0] < 49.5 < first[1]
