"""Storefronts (入驻): a merchant of one platform sells inside a host platform.

This face is the pure rules (`rules`): a `Storefront`, its `StorefrontStatus`,
a host's `Decision`, the `StandingRule`s a host declares and which of them
decide a request. The steps are in `service` (request, decide, declare a
standing policy: checks, rows and events in one transaction) and the rows in
`store`, each imported by name.
"""

from hutong.commerce.storefronts.rules import (
    MAX_BPS,
    MAX_CATALOG,
    MAX_DECIDED_BY,
    MAX_REASON,
    CatalogItem,
    Decision,
    StandingRule,
    Storefront,
    StorefrontStatus,
    check_catalog,
    check_justification,
    check_reason,
    decide,
    policy_ref,
    rules_in_force,
    standing_decision,
)

__all__ = [
    "MAX_BPS",
    "MAX_CATALOG",
    "MAX_DECIDED_BY",
    "MAX_REASON",
    "CatalogItem",
    "Decision",
    "StandingRule",
    "Storefront",
    "StorefrontStatus",
    "check_catalog",
    "check_justification",
    "check_reason",
    "decide",
    "policy_ref",
    "rules_in_force",
    "standing_decision",
]
