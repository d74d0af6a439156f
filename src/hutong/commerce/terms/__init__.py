"""Merchant terms: what a platform applies to one merchant, kept as versions.

Commission, eligibility for promotions, whether it is listed at all, from
which day, why (and, for a delisting say, a justification). This is where
exclusivity pressure (二选一: raise a multi-homing merchant's fee, drop it
from promotions, delist it) becomes visible to the auditor. `rules` is pure;
`store` reads and writes the versions.
"""

from hutong.commerce.terms.rules import MAX_REASON, MerchantTerms, check_terms

__all__ = ["MAX_REASON", "MerchantTerms", "check_terms"]
