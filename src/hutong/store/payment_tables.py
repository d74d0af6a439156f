"""Payments: wallets' profiles, platforms' acceptance, payments, refunds, pay-for-me requests,
refusals of a wallet at checkout and every wallet asked to authorize.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.policy_tables import versioned_policy_table
from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "PAYMENT_STATES",
    "PAY_FOR_ME_STATES",
    "acceptance_policies",
    "pay_for_me_requests",
    "payment_attempts",
    "payment_refunds",
    "payment_refusals",
    "payments",
    "wallet_profiles",
]

#: The values of the code's enums a state column may hold, written out (the store
#: is below the domain package that owns them); tests/store/test_database_invariants.py
#: checks them against their enums.
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
    #: The wallet asked to authorize it besides its own (`wallet`): empty while none
    #: was, the one while one was, ``*`` once several were (`payment_attempts` has
    #: them all). On the row so that the authorizing UPDATE's WHERE sees an ask
    #: committed while it waited for the row's lock (`hutong.payments.checkout.notices`).
    Column("other_wallet_asked", String(255), nullable=False, server_default=""),
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
