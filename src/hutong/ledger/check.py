"""`hutong ledger check`: the invariants of the ledger, verified from storage.

1. For every asset, total debits equal total credits (posted, and pending).
2. No account breaks its limit flag.
3. Every account's totals equal the sums of its transfers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import AccountFlags, PendingState, TransferFlags
from hutong.store.tables import ledger_accounts, ledger_transfers


@dataclass(slots=True)
class CheckReport:
    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_ledger(conn: AsyncConnection) -> CheckReport:
    report = CheckReport()
    a = ledger_accounts
    t = ledger_transfers
    rows = (await conn.execute(select(a))).all()
    report.accounts = len(rows)
    report.transfers = int(await conn.scalar(select(func.count()).select_from(t)) or 0)

    per_asset: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        sums = per_asset[row.asset]
        sums[0] += row.debits_posted
        sums[1] += row.credits_posted
        sums[2] += row.debits_pending
        sums[3] += row.credits_pending
        flags = AccountFlags(row.flags)
        if flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and (
            row.debits_pending + row.debits_posted > row.credits_posted
        ):
            report.problems.append(f"account {row.id}: debits exceed credits")
        if flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and (
            row.credits_pending + row.credits_posted > row.debits_posted
        ):
            report.problems.append(f"account {row.id}: credits exceed debits")
        if min(row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted) < 0:
            report.problems.append(f"account {row.id}: a negative total")
    for asset, (debits, credits, debits_pending, credits_pending) in sorted(per_asset.items()):
        if debits != credits:
            report.problems.append(f"asset {asset}: posted debits {debits} != credits {credits}")
        if debits_pending != credits_pending:
            report.problems.append(
                f"asset {asset}: pending debits {debits_pending} != credits {credits_pending}"
            )

    # Recompute every account's totals from its transfers.
    moves_money = t.c.flags.op("&")(int(TransferFlags.PENDING | TransferFlags.VOID_PENDING)) == 0
    holding = (t.c.flags.op("&")(int(TransferFlags.PENDING)) != 0) & (
        t.c.state == PendingState.PENDING.value
    )
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for column, posted_index, pending_index in (
        (t.c.debit_account_id, 1, 0),
        (t.c.credit_account_id, 3, 2),
    ):
        for condition, index in ((moves_money, posted_index), (holding, pending_index)):
            query = select(column, func.sum(t.c.amount)).where(condition).group_by(column)
            for account_id, total in (await conn.execute(query)).all():
                expected[account_id][index] += int(total or 0)
    for row in rows:
        actual = [row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted]
        sums = expected.get(row.id, [0, 0, 0, 0])
        if sums != actual:
            report.problems.append(
                f"account {row.id}: totals {actual} != sums of its transfers {sums} "
                "(debits pending, debits posted, credits pending, credits posted)"
            )
    known = {row.id for row in rows}
    for account_id in sorted(set(expected) - known):
        report.problems.append(f"transfers name an unknown account {account_id}")
    return report
