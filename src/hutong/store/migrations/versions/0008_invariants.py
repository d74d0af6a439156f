"""invariants in the database: CHECK constraints, ledger foreign keys, no overdraft

Revision ID: 0008
Revises: 0007

The code refuses first (with its own error codes); these make the database
refuse too, so a write that bypasses the code cannot break them. The state
lists are frozen here as they are today: `hutong.store.tables` builds its
lists from the enums, and tests/store/test_database_invariants.py fails when
the two differ, which is when a new migration must change the CHECK.

On SQLite every change goes through batch mode (the table is recreated and
its rows copied); on PostgreSQL it is an ALTER TABLE, which checks the rows
already there.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _one_of(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


_ORDER_STATES = (
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
_SHIPMENT_STATUSES = (
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

#: CHECK constraints by table (name without the `ck_<table>_` prefix, condition).
#: ledger_accounts comes before ledger_transfers, whose foreign keys name it.
CHECKS: dict[str, list[tuple[str, str]]] = {
    "participants": [
        ("status_known", _one_of("status", "active", "suspended", "revoked")),
    ],
    "ledger_accounts": [
        ("credits_pending_not_negative", "credits_pending >= 0"),
        ("credits_posted_not_negative", "credits_posted >= 0"),
        (
            "credits_within_debits",
            "(flags & 2) = 0 OR credits_posted <= debits_posted - credits_pending",
        ),
        ("debits_pending_not_negative", "debits_pending >= 0"),
        ("debits_posted_not_negative", "debits_posted >= 0"),
        (
            "debits_within_credits",
            "(flags & 1) = 0 OR debits_posted <= credits_posted - debits_pending",
        ),
        ("flags_known", "flags IN (0, 1, 2)"),
        (
            "kind_known",
            _one_of(
                "kind",
                "user_balance",
                "merchant_receivable",
                "commission_income",
                "fee_income",
                "settlement_position",
                "program_liability",
                "funding",
                "suspense",
            ),
        ),
    ],
    "ledger_transfers": [
        ("accounts_differ", "debit_account_id <> credit_account_id"),
        ("amount_positive", "amount > 0"),
        (
            "code_known",
            _one_of(
                "code",
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
            ),
        ),
        ("requested_amount_not_negative", "requested_amount >= 0"),
        ("state_follows_flags", "((flags & 2) = 0) = (state = 'posted')"),
        (
            "state_known",
            _one_of("state", "posted", "pending", "posted_pending", "voided", "expired"),
        ),
        ("timeout_not_negative", "timeout >= 0"),
    ],
    "offers": [
        ("price_positive", "price > 0"),
        ("stock_not_negative", "stock >= 0"),
    ],
    "storefronts": [
        ("status_known", _one_of("status", "requested", "approved", "refused")),
    ],
    "pickup_points": [
        ("capacity_not_negative", "capacity >= 0"),
        ("held_not_negative", "held >= 0"),
    ],
    "shipments": [
        ("price_not_negative", "price >= 0"),
        ("status_known", _one_of("status", *_SHIPMENT_STATUSES)),
        ("weight_g_positive", "weight_g > 0"),
    ],
    "tracking_events": [
        ("status_known", _one_of("status", *_SHIPMENT_STATUSES)),
    ],
    "payments": [
        ("amount_positive", "amount > 0"),
        ("captured_within_amount", "captured <= amount"),
        ("fee_returned_not_negative", "fee_returned >= 0"),
        ("fee_returned_within_fee", "fee_returned <= fee"),
        ("hold_seconds_not_negative", "hold_seconds >= 0"),
        ("refunded_not_negative", "refunded >= 0"),
        ("refunded_within_captured", "refunded <= captured"),
        (
            "state_known",
            _one_of(
                "state",
                "created",
                "authorized",
                "captured",
                "partially_refunded",
                "refunded",
                "voided",
                "expired",
                "failed",
            ),
        ),
    ],
    "payment_refunds": [
        ("amount_positive", "amount > 0"),
        ("fee_returned_not_negative", "fee_returned >= 0"),
    ],
    "pay_for_me_requests": [
        ("state_known", _one_of("state", "open", "paid", "expired", "cancelled")),
    ],
    "transfers": [
        ("amount_positive", "amount > 0"),
        ("credited_adds_up", "credited = amount - payee_fee"),
        ("credited_not_negative", "credited >= 0"),
        ("payee_fee_not_negative", "payee_fee >= 0"),
        ("payer_fee_not_negative", "payer_fee >= 0"),
        (
            "state_known",
            _one_of("state", "quoted", "reserved", "committed", "released", "expired", "failed"),
        ),
        ("total_debit_adds_up", "total_debit = amount + payer_fee"),
    ],
    "points_offers": [
        ("daily_cap_per_user_positive", "daily_cap_per_user > 0"),
        ("money_rate_fen_not_negative", "money_rate_fen >= 0"),
        ("points_price_positive", "points_price > 0"),
    ],
    "points_exchanges": [
        ("money_owed_not_negative", "money_owed >= 0"),
        ("points_debit_positive", "points_debit > 0"),
        ("quantity_positive", "quantity > 0"),
        ("state_known", _one_of("state", "held", "committed", "cancelled")),
    ],
    "orders": [
        ("paid_all_or_nothing", "paid = 0 OR paid = total"),
        ("refunded_after_split_not_negative", "refunded_after_split >= 0"),
        ("resume_known", _one_of("resume", *_ORDER_STATES)),
        ("state_known", _one_of("state", *_ORDER_STATES)),
        ("total_positive", "total > 0"),
    ],
    "order_refunds": [
        ("amount_positive", "amount > 0"),
    ],
    "settlement_windows": [
        ("from_seq_not_negative", "from_seq >= 0"),
        ("state_known", _one_of("state", "open", "closed", "settled")),
        ("transfer_count_not_negative", "transfer_count >= 0"),
    ],
    "settlement_instructions": [
        ("amount_positive", "amount > 0"),
    ],
}

#: Foreign keys: (table, column, referred table, referred column).
FOREIGN_KEYS = [
    ("ledger_transfers", "debit_account_id", "ledger_accounts", "id"),
    ("ledger_transfers", "credit_account_id", "ledger_accounts", "id"),
]


def _fk_name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)
            for source, column, referred, referred_column in FOREIGN_KEYS:
                if source == table:
                    batch_op.create_foreign_key(
                        op.f(_fk_name(table, column, referred)),
                        referred,
                        [column],
                        [referred_column],
                    )


def downgrade() -> None:
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for source, column, referred, _ in FOREIGN_KEYS:
                if source == table:
                    batch_op.drop_constraint(
                        op.f(_fk_name(table, column, referred)), type_="foreignkey"
                    )
            for name, _ in reversed(checks):
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
