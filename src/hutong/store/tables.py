"""The tables of the switch (SQLAlchemy Core). Migrations mirror this file.

The database holds the invariants the code keeps as a second line of refusal
(the code refuses first, with its own error codes): CHECK constraints on
amounts, totals and state values, foreign keys inside the ledger, and the
no-overdraft rule of flagged ledger accounts. A state's CHECK lists the
values of the enum the code uses, so a new state needs a migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# The coupon tables (issue 18), the auditor's evidence tables, the Beckn gateway's jobs,
# what the dashboard reads precomputed and the switch's processes live in their own
# modules, on the same metadata.
from hutong.store.beckn_tables import beckn_jobs as beckn_jobs
from hutong.store.coupon_tables import coupon_campaigns as coupon_campaigns
from hutong.store.coupon_tables import coupon_claims as coupon_claims
from hutong.store.coupon_tables import coupon_redemptions as coupon_redemptions
from hutong.store.coupon_tables import coupon_refusals as coupon_refusals
from hutong.store.dashboard_tables import audit_runs as audit_runs
from hutong.store.dashboard_tables import link_traffic as link_traffic
from hutong.store.evidence_tables import corporate_groups as corporate_groups
from hutong.store.evidence_tables import decision_calls as decision_calls
from hutong.store.evidence_tables import impression_items as impression_items
from hutong.store.evidence_tables import impression_lists as impression_lists
from hutong.store.evidence_tables import merchant_terms as merchant_terms
from hutong.store.liquidity_tables import liquidity_limits as liquidity_limits
from hutong.store.liquidity_tables import liquidity_positions as liquidity_positions
from hutong.store.liquidity_tables import (
    settlement_acknowledgements as settlement_acknowledgements,
)
from hutong.store.livestream_tables import livestream_cart as livestream_cart
from hutong.store.livestream_tables import livestream_sessions as livestream_sessions
from hutong.store.livestream_tables import livestream_viewer_reports as livestream_viewer_reports
from hutong.store.points_tables import points_refusals as points_refusals
from hutong.store.process_tables import PROCESS_ID_LENGTH
from hutong.store.process_tables import switch_processes as switch_processes
from hutong.store.schema import known, not_negative, positive
from hutong.store.schema import metadata as metadata
from hutong.store.types import BigIntPK, UTCDateTime

#: The values of the code's enums that state columns may hold. They are
#: written out (the store is below the domain packages that own the enums);
#: tests/store/test_database_invariants.py checks each against its enum.
ORDER_STATES = (
    "created",
    "reserved",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "refund_requested",
    "partially_refunded",
    "refunded",
)
STOREFRONT_STATUSES = (
    "requested",
    "approved",
    "refused",
)
ACCOUNT_KINDS = (
    "user_balance",
    "merchant_receivable",
    "commission_income",
    "fee_income",
    "settlement_position",
    "program_liability",
    "funding",
    "suspense",
)
PENDING_STATES = (
    "posted",
    "pending",
    "posted_pending",
    "voided",
    "expired",
)
TRANSFER_CODES = (
    "payment",
    "commission",
    "refund",
    "fee",
    "exchange",
    "settlement",
    "transfer",
    "deposit",
    "withdrawal",
    "adjustment",
)
WINDOW_STATES = (
    "open",
    "closed",
    "settled",
)
SHIPMENT_STATUSES = (
    "info_received",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "available_for_pickup",
    "attempt_failed",
    "delivered",
    "exception",
    "returned",
    "cancelled",
    "unknown",
)
EXCHANGE_STATES = (
    "held",
    "committed",
    "cancelled",
)
PAY_FOR_ME_STATES = (
    "open",
    "paid",
    "expired",
    "cancelled",
)
PAYMENT_STATES = (
    "created",
    "authorized",
    "captured",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
    "failed",
)
TRANSFER_STATES = (
    "quoted",
    "reserved",
    "committed",
    "released",
    "expired",
    "failed",
)
PARTICIPANT_STATUSES = (
    "active",
    "suspended",
    "revoked",
)


#: The ledger's flag bits (hutong.ledger.models; checked by the same test).
DEBITS_LIMITED_FLAG = 1
CREDITS_LIMITED_FLAG = 2
PENDING_FLAG = 2
#: Width of every column holding a ledger account id (hutong.ledger.models.MAX_ACCOUNT_ID:
#: ids embed 255-character subscriber ids; checked by tests/ledger/test_account_widths.py).
ACCOUNT_ID_WIDTH = 384


#: Back-dated policy versions, each declared as a correction with its reason
#: (`hutong.protocol.declared_time`). `kind` names the policy table, `owner`
#: its owner; (kind, owner, version) is the corrected version's row there.
policy_corrections = Table(
    "policy_corrections",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("owner", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("declared_by", String(255), nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
)


def versioned_policy_table(name: str, owner: str) -> Table:
    """A declared policy kept as history: one row per version, never updated.

    `owner` names the column of who declares it (a host, a network).
    """
    return Table(
        name,
        metadata,
        Column(owner, String(255), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("rule", Text, nullable=False),  # JSON
        Column("valid_from", Date, nullable=False),
        Column("declared_at", UTCDateTime(), nullable=False),
    )


participants = Table(
    "participants",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("name", String(255), nullable=False, server_default=""),
    #: Space-separated role names, sorted (platform, merchant, wallet, ...).
    Column("roles", String(255), nullable=False),
    Column("callback_url", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    known("status", PARTICIPANT_STATUSES),
)

participant_keys = Table(
    "participant_keys",
    metadata,
    Column(
        "subscriber_id",
        String(255),
        ForeignKey("participants.subscriber_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key_id", String(255), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Beckn registry subscriptions (`POST /subscribe`): one row per subscriber and
#: domain. A row is UNDER_SUBSCRIPTION once its challenge was answered, and
#: SUBSCRIBED when the operator approved it (the participant then exists); it
#: is also where a participant's Beckn domain and location are kept.
BECKN_SUBSCRIPTION_STATUSES = ("UNDER_SUBSCRIPTION", "SUBSCRIBED")
BECKN_TYPES = ("BAP", "BPP", "BG")

beckn_subscriptions = Table(
    "beckn_subscriptions",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("domain", String(128), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("country", String(8), nullable=False),
    Column("city", String(64), nullable=False, server_default=""),
    #: The signing key's id in keyIds (ONDC's `ukId`).
    Column("key_id", String(255), nullable=False),
    Column("signing_public_key", String(64), nullable=False),
    Column("encr_public_key", String(64), nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("status", String(24), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    known("status", BECKN_SUBSCRIPTION_STATUSES),
    known("type", BECKN_TYPES),
)

#: The switch's own signing keys; the newest valid one signs.
switch_keys = Table(
    "switch_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("private_key", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: One row per (sender, message id): the first answer, replayed on retries.
messages = Table(
    "messages",
    metadata,
    Column("sender", String(255), primary_key=True),
    Column("message_id", String(128), primary_key=True),
    Column("body_hash", String(128), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    #: The switch process that holds the claim (`switch_processes.id`), while
    #: `status_code` is 0 (claimed); empty on answers and on older claims.
    Column("claimed_by", String(PROCESS_ID_LENGTH), nullable=True),
    Index("ix_messages_expires_at", "expires_at"),
)

#: Transactional outbox: events written with the state change that caused them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("recipient", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("transaction_id", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    #: A Beckn answer (`on_<action>` of a `/beckn/*` request): the URL it goes to,
    #: `{bap_uri}/on_<action>`, and the payload is the whole body (context and all).
    Column("reply_url", String(2048), nullable=True),
    UniqueConstraint("event_id"),
    Index("ix_outbox_recipient_status_id", "recipient", "status", "id"),
    Index("ix_outbox_status_id", "status", "id"),
)

#: One lane per recipient: events to one participant go out in order, and a
#: lane that is down backs off without holding up the others. Workers lease
#: lanes, so several workers on several hosts share the outbox; `lease_owner`
#: is `worker@process` while the process beats (`hutong.runtime.heartbeat`).
delivery_lanes = Table(
    "delivery_lanes",
    metadata,
    Column("recipient", String(255), primary_key=True),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
)

# -- ledger ------------------------------------------------------------------

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", String(ACCOUNT_ID_WIDTH), primary_key=True),
    #: The participant the account belongs to (or the switch itself).
    Column("owner", String(255), nullable=False),
    Column("asset", String(80), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_ledger_accounts_owner", "owner"),
    known("kind", ACCOUNT_KINDS),
    #: No flag, or one of the two limits (never both: they contradict).
    CheckConstraint(
        f"flags IN (0, {DEBITS_LIMITED_FLAG}, {CREDITS_LIMITED_FLAG})", name="flags_known"
    ),
    not_negative("debits_pending"),
    not_negative("debits_posted"),
    not_negative("credits_pending"),
    not_negative("credits_posted"),
    #: The no-overdraft rule: what is owed or held never passes what came in.
    #: Written as a subtraction of two non-negative totals, which cannot overflow.
    CheckConstraint(
        f"(flags & {DEBITS_LIMITED_FLAG}) = 0 OR debits_posted <= credits_posted - debits_pending",
        name="debits_within_credits",
    ),
    CheckConstraint(
        f"(flags & {CREDITS_LIMITED_FLAG}) = 0"
        " OR credits_posted <= debits_posted - credits_pending",
        name="credits_within_debits",
    ),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    #: Commit order, for history pages.
    Column("seq", BigIntPK, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False),
    Column(
        "debit_account_id",
        String(ACCOUNT_ID_WIDTH),
        ForeignKey("ledger_accounts.id"),
        nullable=False,
    ),
    Column(
        "credit_account_id",
        String(ACCOUNT_ID_WIDTH),
        ForeignKey("ledger_accounts.id"),
        nullable=False,
    ),
    #: Always > 0: a post or void of the whole hold stores the held amount
    #: (what the caller asked, maybe 0, is `requested_amount`).
    Column("amount", BigInteger, nullable=False),
    Column("asset", String(80), nullable=False),
    Column("code", String(32), nullable=False),
    Column("reference", String(255), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("pending_id", String(128), nullable=False),
    Column("timeout", Integer, nullable=False),
    Column("requested_amount", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    UniqueConstraint("id"),
    Index("ix_ledger_transfers_debit", "debit_account_id", "seq"),
    Index("ix_ledger_transfers_credit", "credit_account_id", "seq"),
    Index("ix_ledger_transfers_state_expires", "state", "expires_at"),
    Index("ix_ledger_transfers_reference", "reference"),
    positive("amount"),
    not_negative("requested_amount"),
    not_negative("timeout"),
    CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    known("state", PENDING_STATES),
    known("code", TRANSFER_CODES),
    #: Only a pending transfer has a pending state; every other one is posted.
    CheckConstraint(
        f"((flags & {PENDING_FLAG}) = 0) = (state = 'posted')",
        name="state_follows_flags",
    ),
)

#: Transfer ids that failed for a reason of their own: they stay failed.
ledger_failures = Table(
    "ledger_failures",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("result", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# -- catalog, storefronts, placements, links --------------------------------

#: What a merchant is beyond a participant: the platform that is its home
#: (where its own store sells), and whether it is that platform's own
#: (self-operated, 自营) store.
merchant_profiles = Table(
    "merchant_profiles",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("home_platform", String(255), nullable=False),
    Column("self_operated", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("merchant", String(255), primary_key=True),
    Column("sku_id", String(128), primary_key=True),
    Column("title", String(512), nullable=False),
    Column("price", BigInteger, nullable=False),  # fen
    Column("stock", BigInteger, nullable=False),
    Column("category", String(128), nullable=False),
    Column("h5_url", String(2048), nullable=False),
    Column("deep_link", String(2048), nullable=True),
    Column("mini_program_app_id", String(128), nullable=True),
    Column("mini_program_path", String(1024), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    positive("price"),
    not_negative("stock"),
)

#: The condition of an open storefront (migration 0009 has the same text).
OPEN_STOREFRONT = "status IN ('requested', 'approved')"

storefronts = Table(
    "storefronts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("merchant", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    #: JSON list of {"sku_id", "price"}: the catalog subset and its prices here.
    Column("catalog", Text, nullable=False),
    Column("commission_bps", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    #: A refusal's justification code and its reference (issue 15; NULL if none).
    Column("justification", String(16), nullable=True),
    Column("justification_ref", String(512), nullable=True),
    Column("decided_by", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Index("ix_storefronts_host", "host", "status"),
    Index("ix_storefronts_merchant", "merchant"),
    #: One open (requested or approved) storefront per merchant and host.
    Index(
        "ux_storefronts_open",
        "merchant",
        "host",
        unique=True,
        sqlite_where=text(OPEN_STOREFRONT),
        postgresql_where=text(OPEN_STOREFRONT),
    ),
    known("status", STOREFRONT_STATUSES),
)

#: A host's standing decisions on storefront requests, as declared (versioned).
storefront_policies = versioned_policy_table("storefront_policies", "host")

#: Link policies: one row per version of a host's rules (never updated).
link_rules = Table(
    "link_rules",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("rule", Text, nullable=False),  # JSON, LinkRule.to_dict()
    Column("recorded_at", UTCDateTime(), nullable=False),
)

placements = Table(
    "placements",
    metadata,
    Column("id", String(64), primary_key=True),
    #: The short code of the universal link /l/{code}; reveals nothing.
    Column("code", String(16), nullable=False),
    #: The serial inside the share code (the code itself carries a MAC).
    Column("share_serial", BigIntPK, nullable=False),
    Column("host", String(255), nullable=False),
    Column("surface", String(32), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("sku_id", String(128), nullable=False),
    #: Who placed it: the host platform or a creator on it (attribution).
    Column("placed_by", String(255), nullable=False),
    Column("storefront_id", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("share_expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("code"),
    UniqueConstraint("share_serial"),
)

#: Mini-program URL links, which expire (WeChat's live at most 30 days).
mini_program_links = Table(
    "mini_program_links",
    metadata,
    Column("placement_id", String(64), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)


#: Every resolution of a link or share code: attribution and audit evidence.
def _resolution_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False),
        Column("placement_id", String(64), nullable=True),
        Column("host", String(255), nullable=False),
        Column("surface", String(32), nullable=False),
        Column("outcome", String(32), nullable=False),
        Column("rule", String(64), nullable=False),
        Column("policy_day", Date, nullable=False),
        Column("latency_us", Integer, nullable=False),
        Column("detail", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Index(f"ix_{name}_placement", "placement_id"),
        Index(f"ix_{name}_host", "host", "outcome"),
    )


link_resolutions = _resolution_table("link_resolutions")

#: What-if resolutions (``/l/{code}?at=...``): same shape, kept apart so that
#: nothing counting traffic in `link_resolutions` ever counts a question.
link_what_if_resolutions = _resolution_table("link_what_if_resolutions")

#: Apps registered with the switch, for universal links / app links files.
app_links = Table(
    "app_links",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("ios_app_ids", Text, nullable=False),  # JSON list of TEAMID.bundle.id
    Column("android_packages", Text, nullable=False),  # JSON list of {package, sha256}
    Column("updated_at", UTCDateTime(), nullable=False),
)

# -- logistics ---------------------------------------------------------------

#: What a carrier declares it offers: services with coverage, prices, days.
carrier_services = Table(
    "carrier_services",
    metadata,
    Column("carrier", String(255), primary_key=True),
    Column("service", String(64), primary_key=True),
    #: JSON: {"provinces": [...], "price_table": [...], "promised_days": {...}, ...}
    Column("declaration", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

pickup_points = Table(
    "pickup_points",
    metadata,
    Column("id", String(128), primary_key=True),
    #: The network that runs it (a participant: cainiao, jd-logistics, a locker firm).
    Column("network", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("address", String(512), nullable=False),
    Column("province", String(16), nullable=False),
    Column("city", String(16), nullable=False),
    #: Micro-degrees, so positions are exact integers.
    Column("lat_e6", BigInteger, nullable=False),
    Column("lng_e6", BigInteger, nullable=False),
    Column("opening_hours", String(255), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("held", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_pickup_points_network", "network"),
    Index("ix_pickup_points_city", "province", "city"),
    not_negative("capacity"),
    not_negative("held"),
)

#: Which carriers a network lets deliver to its pickup points (versioned).
pickup_policies = versioned_policy_table("pickup_policies", "network")

#: Which carriers a host (or marketplace) lets its merchants' orders use (versioned).
host_carrier_policies = versioned_policy_table("host_carrier_policies", "host")

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("merchant", String(255), nullable=False),
    Column("host", String(255), nullable=True),
    Column("carrier", String(255), nullable=False),
    Column("service", String(64), nullable=False),
    Column("tracking_number", String(64), nullable=True),
    Column("label_ref", String(255), nullable=True),
    Column("pickup_point_id", String(128), nullable=True),
    Column("destination", Text, nullable=False),  # JSON address
    Column("weight_g", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),  # fen, as quoted
    Column("status", String(32), nullable=False),
    Column("sub_status", String(64), nullable=False),
    Column("status_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("carrier", "tracking_number"),
    Index("ix_shipments_merchant", "merchant"),
    known("status", SHIPMENT_STATUSES),
    positive("weight_g"),
    not_negative("price"),
)

#: Every tracking event as the carrier sent it, with its normalized meaning.
tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("shipment_id", String(64), nullable=False),
    Column("carrier", String(255), nullable=False),
    #: The carrier's own id of the event, or a digest of its content: duplicates share it.
    Column("dedupe_key", String(128), nullable=False),
    Column("raw_code", String(64), nullable=False),
    Column("raw_sub_code", String(64), nullable=False),
    Column("raw", Text, nullable=False),  # JSON as received
    Column("status", String(32), nullable=False),
    Column("sub_status", String(64), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("applied", Boolean, nullable=False),
    UniqueConstraint("carrier", "dedupe_key"),
    Index("ix_tracking_events_shipment", "shipment_id", "occurred_at"),
    known("status", SHIPMENT_STATUSES),
)

#: Every refusal that bites (a pickup point refusing a carrier, a host
#: restricting carriers): evidence for the auditor.
logistics_refusals = Table(
    "logistics_refusals",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("by", String(255), nullable=False),
    Column("against", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# -- payments, pay-for-me, transfers, points ------------------------------------

#: What a wallet declares beyond a participant: currencies and its fee schedule.
wallet_profiles = Table(
    "wallet_profiles",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("currencies", Text, nullable=False),  # JSON list, e.g. ["CNY"]
    Column("fees", Text, nullable=False),  # JSON {kind: {bps, fixed}}
    Column("updated_at", UTCDateTime(), nullable=False),
)

#: Which wallets a platform accepts, versioned like link policies.
acceptance_policies = versioned_policy_table("acceptance_policies", "platform")

payments = Table(
    "payments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # order, pay_for_me
    #: Who created it (a platform: the host, or the merchant's home platform).
    Column("created_by", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("merchant_platform", String(255), nullable=False),
    #: Empty until a wallet is chosen (a pay-for-me request leaves it open).
    Column("wallet", String(255), nullable=False),
    #: The payer's account at the wallet: an opaque reference, never a name.
    Column("payer", String(255), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("state", String(24), nullable=False),
    Column("captured", BigInteger, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    #: The wallet's fee on what was captured, and how much of it refunds gave back.
    Column("fee", BigInteger, nullable=False),
    Column("fee_returned", BigInteger, nullable=False),
    Column("hold_seconds", Integer, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("reference", String(255), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_payments_state_expires", "state", "expires_at"),
    Index("ix_payments_merchant", "merchant", "created_at"),
    known("state", PAYMENT_STATES),
    positive("amount"),
    not_negative("refunded"),
    #: 0 <= refunded <= captured <= amount, as the payment state machine keeps them.
    CheckConstraint("refunded <= captured", name="refunded_within_captured"),
    CheckConstraint("captured <= amount", name="captured_within_amount"),
    not_negative("fee_returned"),
    CheckConstraint("fee_returned <= fee", name="fee_returned_within_fee"),
    not_negative("hold_seconds"),
)

payment_refunds = Table(
    "payment_refunds",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("refund_id", String(128), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("fee_returned", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    positive("amount"),
    not_negative("fee_returned"),
)

pay_for_me_requests = Table(
    "pay_for_me_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payment_id", String(64), nullable=False),
    #: The universal link /p/{code}; random, reveals nothing.
    Column("code", String(16), nullable=False),
    Column("share_serial", BigIntPK, nullable=False),
    #: The host whose buyer asked, and that buyer's pseudonymous id there.
    Column("requester", String(255), nullable=False),
    Column("buyer", String(255), nullable=False),
    Column("note", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    #: Set while one payer's authorization is in flight (the request is paid once).
    Column("claimed_by", String(255), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("payer_host", String(255), nullable=True),
    Column("payer_wallet", String(255), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("payment_id"),
    UniqueConstraint("code"),
    UniqueConstraint("share_serial"),
    Index("ix_pay_for_me_requests_state_expires", "state", "expires_at"),
    known("state", PAY_FOR_ME_STATES),
)

#: The alias directory: keyed digests and masked forms, never a full phone number.
aliases = Table(
    "aliases",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("wallet", String(255), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("masked", String(64), nullable=False),
    Column("account", String(255), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Each wallet's alias-lookup allowance: a token bucket (thousandths of a
#: lookup), refilled by elapsed time (`hutong.runtime.rate_limit`).
alias_lookup_buckets = Table(
    "alias_lookup_buckets",
    metadata,
    Column("wallet", String(255), primary_key=True),
    Column("milli_tokens", BigInteger, nullable=False),
    Column("refilled_at", UTCDateTime(), nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payer_wallet", String(255), nullable=False),
    Column("payer_account", String(255), nullable=False),
    Column("payee_wallet", String(255), nullable=False),
    Column("payee_account", String(255), nullable=False),
    Column("payee_masked", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("payer_fee", BigInteger, nullable=False),
    Column("payee_fee", BigInteger, nullable=False),
    Column("total_debit", BigInteger, nullable=False),
    Column("credited", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    #: The quote's deadline, then the reservation's.
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_transfers_state_expires", "state", "expires_at"),
    Index("ix_transfers_payer", "payer_wallet", "created_at"),
    known("state", TRANSFER_STATES),
    positive("amount"),
    not_negative("payer_fee"),
    not_negative("payee_fee"),
    #: The payer pays amount + its fee; the payee gets amount - its fee (at most the amount).
    CheckConstraint("total_debit = amount + payer_fee", name="total_debit_adds_up"),
    CheckConstraint("credited = amount - payee_fee", name="credited_adds_up"),
    not_negative("credited"),
)

points_offers = Table(
    "points_offers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("program_from", String(255), nullable=False),
    Column("program_to", String(255), nullable=False),
    Column("points_price", BigInteger, nullable=False),
    Column("benefit", String(255), nullable=False),
    Column("daily_cap_per_user", Integer, nullable=True),
    Column("money_rate_fen", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    positive("points_price"),
    not_negative("money_rate_fen"),
    positive("daily_cap_per_user"),
)

points_exchanges = Table(
    "points_exchanges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("member", String(255), nullable=False),
    #: The member's account at the issuing program.
    Column("beneficiary", String(255), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("points_debit", BigInteger, nullable=False),
    Column("money_owed", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    #: The UTC day the daily cap counts against.
    Column("day", Date, nullable=False),
    Column("benefit_ref", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_points_exchanges_member_day", "offer_id", "member", "day"),
    known("state", EXCHANGE_STATES),
    positive("quantity"),
    positive("points_debit"),
    not_negative("money_owed"),
)

#: A platform refusing a registered wallet at checkout: evidence for the auditor.
payment_refusals = Table(
    "payment_refusals",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("by", String(255), nullable=False),
    Column("wallet", String(255), nullable=False),
    #: The payment (or checkout) it bit.
    Column("subject", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("since", Date, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Every wallet asked to authorize a payment, recorded before it is asked: a
#: wallet whose call timed out may have held anyway, so each one the payment
#: was not paid with is told to release (``on_payment_released``).
payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("wallet", String(255), primary_key=True),
    #: The message id of the request that asked (a retry asks under the same one).
    Column("attempt", String(128), primary_key=True),
    Column("asked_at", UTCDateTime(), nullable=False),
)

# -- orders, commissions, settlement ------------------------------------------------------

#: A host's commission schedule, as declared (versioned, never updated).
commission_schedules = versioned_policy_table("commission_schedules", "host")

#: A cross-platform order: the host's buyer, a merchant of (maybe) another platform.
orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    #: The host's pseudonymous id of its buyer; never a name or a phone number.
    Column("buyer", String(128), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("merchant_platform", String(255), nullable=False),
    Column("wallet", String(255), nullable=False),
    Column("carrier", String(255), nullable=False),
    Column("carrier_service", String(64), nullable=False),
    #: The creator whose placement brought the order ("" when none).
    Column("creator", String(255), nullable=False),
    #: How the order came (`hutong.commerce.commissions.Channel`), and from what.
    Column("channel", String(32), nullable=False),
    Column("placement_id", String(64), nullable=False),
    Column("storefront_id", String(64), nullable=False),
    Column("category", String(128), nullable=False),
    #: JSON: an address, or a pickup point id.
    Column("destination", Text, nullable=False),
    #: JSON list of {"sku_id", "quantity", "unit_price_shown"}.
    Column("lines", Text, nullable=False),
    Column("state", String(24), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    #: JSON list: fen refunded per line, in line order.
    Column("refunded", Text, nullable=False),
    Column("pay_by", UTCDateTime(), nullable=True),
    Column("confirm_by", UTCDateTime(), nullable=True),
    Column("carrier_booked", Boolean, nullable=False),
    #: While a refund is requested: fen per line (JSON), the state it came from, when.
    Column("requested", Text, nullable=True),
    Column("resume", String(24), nullable=True),
    Column("requested_at", UTCDateTime(), nullable=True),
    Column("payment_id", String(64), nullable=False),
    Column("shipment_id", String(64), nullable=False),
    #: The merchant platform's reservation reference.
    Column("reservation", String(128), nullable=False),
    #: At completion: the schedule version applied and the split (JSON), fen per part.
    Column("schedule_version", Integer, nullable=True),
    Column("split", Text, nullable=True),
    #: Refunds after completion so far (what the split's reversal is cumulative over).
    Column("refunded_after_split", BigInteger, nullable=False),
    #: Why the order was cancelled, when it was (a stable code), else "".
    Column("reason", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_orders_state_pay_by", "state", "pay_by"),
    Index("ix_orders_state_confirm_by", "state", "confirm_by"),
    Index("ix_orders_host", "host", "created_at"),
    Index("ix_orders_merchant", "merchant", "created_at"),
    Index("ix_orders_shipment", "shipment_id"),
    known("state", ORDER_STATES),
    known("resume", ORDER_STATES),
    positive("total"),
    #: An order is paid in full or not at all.
    CheckConstraint("paid = 0 OR paid = total", name="paid_all_or_nothing"),
    not_negative("refunded_after_split"),
)

#: Every refund of an order, by its id (a retry of the same refund changes nothing).
order_refunds = Table(
    "order_refunds",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("refund_id", String(128), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    #: JSON {sku_id: fen}.
    Column("lines", Text, nullable=False),
    #: JSON of the split's reversal when refunded after completion, else null.
    Column("reversal", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    positive("amount"),
)

#: Settlement windows over the ledger's commit order: transfers with
#: from_seq < seq <= to_seq. One window is open at a time.
settlement_windows = Table(
    "settlement_windows",
    metadata,
    Column("id", String(64), primary_key=True),
    #: 1, 2, 3, ...: the order of windows (unique: two windows never overlap).
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("from_seq", BigInteger, nullable=False),
    Column("to_seq", BigInteger, nullable=True),
    Column("transfer_count", BigInteger, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("settled_at", UTCDateTime(), nullable=True),
    Column("closed_by", String(255), nullable=False),
    UniqueConstraint("number"),
    known("state", WINDOW_STATES),
    not_negative("from_seq"),
    not_negative("transfer_count"),
)

#: A closed window's bilateral nets: what `participant` is owed by `counterparty`.
settlement_positions = Table(
    "settlement_positions",
    metadata,
    Column("window_id", String(64), primary_key=True),
    Column("participant", String(255), primary_key=True),
    Column("counterparty", String(255), primary_key=True),
    Column("asset", String(80), primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

#: A closed window's pay instructions: `payer` pays `payee`.
settlement_instructions = Table(
    "settlement_instructions",
    metadata,
    Column("window_id", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("asset", String(80), nullable=False),
    Column("payer", String(255), nullable=False),
    Column("payee", String(255), nullable=False),
    Column("amount", BigInteger, nullable=False),
    positive("amount"),
)
