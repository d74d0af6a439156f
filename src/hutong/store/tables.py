"""The tables of the switch (SQLAlchemy Core): the one import path for all of them.

Each area defines its tables in its own module (`hutong.store.<area>_tables`)
on the one metadata (`hutong.store.schema`); this module re-exports them all,
so callers import every table from here. Migrations mirror the metadata.

The database holds the invariants the code keeps as a second line of refusal
(the code refuses first, with its own error codes): CHECK constraints on
amounts, totals and state values, foreign keys inside the ledger, and the
no-overdraft rule of flagged ledger accounts. A state's CHECK lists the
values of the enum the code uses, so a new state needs a migration.
"""

from __future__ import annotations

from hutong.store.beckn_tables import (
    BECKN_JOB_STATUSES,
    beckn_jobs,
)
from hutong.store.catalog_tables import (
    OPEN_STOREFRONT,
    STOREFRONT_STATUSES,
    merchant_profiles,
    offers,
    storefront_policies,
    storefronts,
)
from hutong.store.coupon_tables import (
    CLAIM_STATES,
    COUPON_ACTIONS,
    COUPON_VALUE_KINDS,
    coupon_campaigns,
    coupon_claims,
    coupon_redemptions,
    coupon_refusals,
)
from hutong.store.dashboard_tables import (
    audit_runs,
    link_traffic,
)
from hutong.store.evidence_tables import (
    DECISION_OUTCOMES,
    JUSTIFICATIONS,
    corporate_groups,
    decision_calls,
    impression_items,
    impression_lists,
    merchant_terms,
)
from hutong.store.ledger_tables import (
    ACCOUNT_ID_WIDTH,
    ACCOUNT_KINDS,
    CREDITS_LIMITED_FLAG,
    DEBITS_LIMITED_FLAG,
    PENDING_FLAG,
    PENDING_STATES,
    TRANSFER_CODES,
    ledger_accounts,
    ledger_failures,
    ledger_transfers,
)
from hutong.store.link_tables import (
    app_links,
    link_resolutions,
    link_rules,
    link_what_if_resolutions,
    mini_program_links,
    placements,
)
from hutong.store.liquidity_tables import (
    ACKNOWLEDGEMENTS,
    liquidity_limits,
    liquidity_positions,
    settlement_acknowledgements,
)
from hutong.store.livestream_tables import (
    BROADCASTER_KINDS,
    SESSION_STATES,
    livestream_cart,
    livestream_sessions,
    livestream_viewer_reports,
)
from hutong.store.logistics_tables import (
    SHIPMENT_STATUSES,
    carrier_services,
    host_carrier_policies,
    logistics_refusals,
    pickup_points,
    pickup_policies,
    shipments,
    tracking_events,
)
from hutong.store.messaging_tables import (
    delivery_lanes,
    messages,
    outbox,
)
from hutong.store.order_tables import (
    ORDER_STATES,
    commission_schedules,
    order_refunds,
    orders,
)
from hutong.store.payment_tables import (
    PAY_FOR_ME_STATES,
    PAYMENT_STATES,
    acceptance_policies,
    pay_for_me_requests,
    payment_attempts,
    payment_refunds,
    payment_refusals,
    payments,
    wallet_profiles,
)
from hutong.store.points_tables import (
    EXCHANGE_STATES,
    points_exchanges,
    points_offers,
    points_refusals,
)
from hutong.store.policy_tables import (
    policy_corrections,
    versioned_policy_table,
)
from hutong.store.process_tables import (
    PROCESS_ID_LENGTH,
    switch_processes,
)
from hutong.store.registry_tables import (
    BECKN_SUBSCRIPTION_STATUSES,
    BECKN_TYPES,
    PARTICIPANT_STATUSES,
    beckn_subscriptions,
    participant_keys,
    participants,
    switch_keys,
)
from hutong.store.schema import metadata
from hutong.store.settlement_tables import (
    WINDOW_STATES,
    settlement_instructions,
    settlement_positions,
    settlement_windows,
)
from hutong.store.transfer_tables import (
    TRANSFER_STATES,
    alias_lookup_buckets,
    aliases,
    transfers,
)

__all__ = [
    "ACCOUNT_ID_WIDTH",
    "ACCOUNT_KINDS",
    "ACKNOWLEDGEMENTS",
    "BECKN_JOB_STATUSES",
    "BECKN_SUBSCRIPTION_STATUSES",
    "BECKN_TYPES",
    "BROADCASTER_KINDS",
    "CLAIM_STATES",
    "COUPON_ACTIONS",
    "COUPON_VALUE_KINDS",
    "CREDITS_LIMITED_FLAG",
    "DEBITS_LIMITED_FLAG",
    "DECISION_OUTCOMES",
    "EXCHANGE_STATES",
    "JUSTIFICATIONS",
    "OPEN_STOREFRONT",
    "ORDER_STATES",
    "PARTICIPANT_STATUSES",
    "PAYMENT_STATES",
    "PAY_FOR_ME_STATES",
    "PENDING_FLAG",
    "PENDING_STATES",
    "PROCESS_ID_LENGTH",
    "SESSION_STATES",
    "SHIPMENT_STATUSES",
    "STOREFRONT_STATUSES",
    "TRANSFER_CODES",
    "TRANSFER_STATES",
    "WINDOW_STATES",
    "acceptance_policies",
    "alias_lookup_buckets",
    "aliases",
    "app_links",
    "audit_runs",
    "beckn_jobs",
    "beckn_subscriptions",
    "carrier_services",
    "commission_schedules",
    "corporate_groups",
    "coupon_campaigns",
    "coupon_claims",
    "coupon_redemptions",
    "coupon_refusals",
    "decision_calls",
    "delivery_lanes",
    "host_carrier_policies",
    "impression_items",
    "impression_lists",
    "ledger_accounts",
    "ledger_failures",
    "ledger_transfers",
    "link_resolutions",
    "link_rules",
    "link_traffic",
    "link_what_if_resolutions",
    "liquidity_limits",
    "liquidity_positions",
    "livestream_cart",
    "livestream_sessions",
    "livestream_viewer_reports",
    "logistics_refusals",
    "merchant_profiles",
    "merchant_terms",
    "messages",
    "metadata",
    "mini_program_links",
    "offers",
    "order_refunds",
    "orders",
    "outbox",
    "participant_keys",
    "participants",
    "pay_for_me_requests",
    "payment_attempts",
    "payment_refunds",
    "payment_refusals",
    "payments",
    "pickup_points",
    "pickup_policies",
    "placements",
    "points_exchanges",
    "points_offers",
    "points_refusals",
    "policy_corrections",
    "settlement_acknowledgements",
    "settlement_instructions",
    "settlement_positions",
    "settlement_windows",
    "shipments",
    "storefront_policies",
    "storefronts",
    "switch_keys",
    "switch_processes",
    "tracking_events",
    "transfers",
    "versioned_policy_table",
    "wallet_profiles",
]
