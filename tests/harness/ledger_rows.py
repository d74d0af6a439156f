"""Rows of the ledger's tables as stored, for tests that write them straight to the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

#: When the rows were made, unless a test says otherwise.
MADE_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def account(account_id: str, flags: int = 0, **totals: Any) -> dict[str, Any]:
    """A `ledger_accounts` row: a user balance of shop.example in CNY, totals zero."""
    return {
        "id": account_id,
        "owner": "shop.example",
        "asset": "CNY",
        "kind": "user_balance",
        "flags": flags,
        "debits_pending": 0,
        "debits_posted": 0,
        "credits_pending": 0,
        "credits_posted": 0,
        "created_at": MADE_AT,
    } | totals


def transfer(
    transfer_id: str, debit: str, credit: str, amount: int = 100, **fields: Any
) -> dict[str, Any]:
    """A posted `ledger_transfers` row of `amount` CNY from `debit` to `credit`."""
    return {
        "id": transfer_id,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "asset": "CNY",
        "code": "payment",
        "reference": "",
        "flags": 0,
        "pending_id": "",
        "timeout": 0,
        "requested_amount": amount,
        "state": "posted",
        "created_at": MADE_AT,
        "expires_at": None,
    } | fields
