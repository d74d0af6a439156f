"""Every ledger account id the switch builds fits the ledger's columns.

Account ids embed subscriber ids (up to 255 characters) and points member ids
(up to 64): ``m/<merchant>/receivable``, ``p/<program>/member/<member>``, ...
The longest one must still be a valid account id, and the columns that hold
account ids must be as wide as the longest valid one; anything longer is
refused by the ledger with `id_invalid` before it reaches the database.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import String, func, select

from hutong.commerce.commissions import (
    carrier_fees_account,
    creator_commission_account,
    host_commission_account,
)
from hutong.commerce.coupons.legs import funder_account
from hutong.ledger.models import MAX_ACCOUNT_ID, valid_account_id
from hutong.ledger.store import AccountResult, NewAccount, create_accounts
from hutong.payments import legs
from hutong.payments.points.programs import MAX_MEMBER
from hutong.runtime.services import Services
from hutong.store import tables
from hutong.store.tables import ledger_accounts, ledger_transfers

#: The longest subscriber id the registry accepts (hutong.registry.models).
LONGEST_SUBSCRIBER = ".".join(["a" * 63] * 4)
LONGEST_MEMBER = "m" * MAX_MEMBER

BUILDERS: dict[str, Callable[[str], str]] = {
    "wallet_position": legs.wallet_position,
    "wallet_fees": legs.wallet_fees,
    "merchant_receivable": legs.merchant_receivable,
    "program_position": legs.program_position,
    "points_issued": legs.points_issued,
    "points_redeemed": legs.points_redeemed,
    "member_points": lambda program: legs.member_points(program, LONGEST_MEMBER),
    "host_commission_account": host_commission_account,
    "creator_commission_account": creator_commission_account,
    "carrier_fees_account": carrier_fees_account,
    "funder_account": funder_account,
}


def test_the_longest_subscriber_id_is_one_the_registry_accepts() -> None:
    from hutong.registry.models import validate_subscriber_id

    assert len(LONGEST_SUBSCRIBER) == 255
    assert validate_subscriber_id(LONGEST_SUBSCRIBER) == LONGEST_SUBSCRIBER


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_an_account_named_after_the_longest_subscriber_id_is_a_valid_account_id(
    name: str,
) -> None:
    account_id = BUILDERS[name](LONGEST_SUBSCRIBER)
    assert len(account_id) <= MAX_ACCOUNT_ID
    assert valid_account_id(account_id)


def test_every_column_holding_an_account_id_is_as_wide_as_the_longest_valid_one() -> None:
    columns = (
        ledger_accounts.c.id,
        ledger_transfers.c.debit_account_id,
        ledger_transfers.c.credit_account_id,
    )
    for column in columns:
        assert isinstance(column.type, String)
        assert column.type.length == MAX_ACCOUNT_ID, column
    assert tables.ACCOUNT_ID_WIDTH == MAX_ACCOUNT_ID


async def test_an_account_id_longer_than_the_columns_is_refused_before_the_database(
    services: Services,
) -> None:
    widest = NewAccount("w" * MAX_ACCOUNT_ID, "owner.example", "CNY", "settlement_position")
    too_wide = NewAccount("t" * (MAX_ACCOUNT_ID + 1), "owner.example", "CNY", "settlement_position")
    async with services.db.transaction() as conn:
        results = await create_accounts(conn, [widest, too_wide], services.clock())
    assert results == [AccountResult.OK, AccountResult.ID_INVALID]
    async with services.db.read() as conn:
        stored = await conn.scalar(select(func.max(func.length(ledger_accounts.c.id))))
    assert stored == MAX_ACCOUNT_ID
