"""The checks, each pure code from aggregated evidence to cells (`cells.decide` judges them)."""

from collections.abc import Callable

from hutong.audit.checks.cells import Cell, decide
from hutong.audit.checks.declared import declared_vs_observed
from hutong.audit.checks.exclusion import carrier_exclusion, wallet_exclusion
from hutong.audit.checks.exclusivity import exclusivity_retaliation
from hutong.audit.checks.fees import fee_discrimination
from hutong.audit.checks.friction import link_friction
from hutong.audit.checks.interop import interop_parity
from hutong.audit.checks.links import link_blocking
from hutong.audit.checks.ranking import ranking_self_preference
from hutong.audit.checks.storefronts import storefront_refusal
from hutong.audit.evidence import Evidence
from hutong.audit.parties import Parties
from hutong.audit.rules import Thresholds

__all__ = ["IMPLEMENTED", "Cell", "CheckFn", "decide"]

CheckFn = Callable[[Evidence, Parties, Thresholds], list[Cell]]

#: The checks this version runs, in the order it runs them.
IMPLEMENTED: dict[str, CheckFn] = {
    "link_blocking": link_blocking,
    "storefront_refusal": storefront_refusal,
    "wallet_exclusion": wallet_exclusion,
    "carrier_exclusion": carrier_exclusion,
    "fee_discrimination": fee_discrimination,
    "declared_vs_observed": declared_vs_observed,
    "link_friction": link_friction,
    "interop_parity": interop_parity,
    "ranking_self_preference": ranking_self_preference,
    "exclusivity_retaliation": exclusivity_retaliation,
}
