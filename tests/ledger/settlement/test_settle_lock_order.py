"""Settling a window takes participants' position locks in the ledger's order.

A ledger batch locks a capped participant's position as it posts and adds to
every uncapped position only at its commit (`hutong.ledger.liquidity`).
Settling moves every participant's position; if it took them in name order
it could hold an uncapped position a batch is about to add to while waiting
for a capped one that batch holds: a deadlock, which PostgreSQL breaks by
failing one side after a second. Settling therefore locks the capped
positions first and moves the uncapped ones after, as a batch does.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness.settlement import ALIPAY, JD, a_day_of_trade, close
from tests.harness.switch import Clock, Switch

W1 = "/operator/settlement/windows/window-1"


async def test_settling_waits_for_a_batch_holding_a_capped_position_without_deadlock(
    switch: Switch, clock: Clock
) -> None:
    if switch.services.db.is_sqlite:
        pytest.skip("SQLite has one writer: no two transactions hold row locks at once")
    await switch.register(JD, ["merchant"])
    await a_day_of_trade(switch, clock)
    capped = await switch.operator.post(
        f"/operator/liquidity/{JD}",
        json={"net_debit_cap": 100_000, "prefunded": 100_000, "reason": "test"},
    )
    assert capped.status_code == 200, capped.text
    await close(switch)
    assert ALIPAY < JD  # the uncapped one comes first by name

    batch_engine = create_async_engine(switch.services.db.sync_engine.url)
    try:
        async with batch_engine.connect() as batch:
            trans = await batch.begin()
            # The batch posted for capped JD: it holds JD's position row.
            await batch.execute(
                text("SELECT position FROM liquidity_positions WHERE participant = :p FOR UPDATE"),
                {"p": JD},
            )
            settling = asyncio.create_task(switch.operator.post(f"{W1}/settle"))
            await asyncio.sleep(0.5)  # settle is now waiting on a lock
            # At its commit the batch adds to uncapped Alipay's position.
            await batch.execute(
                text("UPDATE liquidity_positions SET position = position WHERE participant = :p"),
                {"p": ALIPAY},
            )
            await trans.commit()
        settled = await settling
    finally:
        await batch_engine.dispose()
    assert settled.status_code == 200, settled.text
    assert settled.json()["state"] == "settled"
