"""The operator writes that need no key: a repeat is already one effect and the same answer.

These are `NATURAL` in `tests/api/test_operator_once.py`: a status change
to the status a participant has, the apps of a participant put again (a
PUT of the whole), the ledger's accounts and transfers (keyed by the ids the
caller chose, refused when the same id asks for something else) and a
reconciliation (a comparison: it writes nothing). Each repeat below leaves
every row as it was, not only their count.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Table, select

from hutong.store.tables import (
    app_links,
    ledger_accounts,
    ledger_transfers,
    outbox,
    participant_keys,
    participants,
)
from tests.harness.ledger import account, create, move, resolve, submit
from tests.harness.settlement import JD, a_day_of_trade, close
from tests.harness.switch import Clock, Switch, row_counts


async def rows(switch: Switch, *tables: Table) -> dict[str, list[Any]]:
    """Every row of `tables`, as tuples in a stable order."""
    found: dict[str, list[Any]] = {}
    async with switch.services.db.read() as conn:
        for table in tables:
            result = await conn.execute(select(table))
            found[table.name] = sorted((tuple(row) for row in result), key=repr)
    return found


@pytest.mark.parametrize("step", ["suspend", "reactivate", "revoke"])
async def test_a_status_change_repeated_changes_nothing_and_answers_the_same(
    switch: Switch, step: str
) -> None:
    await (await switch.register("shop.example", ["merchant"])).aclose()
    if step == "reactivate":
        suspended = await switch.operator.post("/operator/participants/shop.example/suspend")
        assert suspended.status_code == 200, suspended.text
    path = f"/operator/participants/shop.example/{step}"
    first = await switch.operator.post(path, json={"reason": "audit"})
    assert first.status_code == 200, first.text
    tables = (participants, participant_keys, outbox)
    before, counted = await rows(switch, *tables), await row_counts(switch.services)

    again = await switch.operator.post(path, json={"reason": "audit"})

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert await rows(switch, *tables) == before  # no second event, no new updated_at
    assert await row_counts(switch.services) == counted


async def test_apps_put_again_are_the_same_apps_and_the_same_answer(switch: Switch) -> None:
    await (await switch.register("wechat.example", ["platform"])).aclose()
    apps = {"ios_app_ids": ["ABCDE12345.com.example.wechat"], "android": []}
    first = await switch.operator.put("/operator/apps/wechat.example", json=apps)
    assert first.status_code == 200, first.text
    before = await row_counts(switch.services)

    again = await switch.operator.put("/operator/apps/wechat.example", json=apps)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert await row_counts(switch.services) == before
    [(subscriber_id, ios, *_)] = (await rows(switch, app_links))["app_links"]
    assert (subscriber_id, ios) == ("wechat.example", '["ABCDE12345.com.example.wechat"]')


async def test_ledger_writes_repeated_are_one_effect_answered_exists(switch: Switch) -> None:
    """The ledger's ids are the caller's (TigerBeetle's model): a repeat of an account or a
    transfer is ``exists``, still ok, and moves nothing; the same id asking for another
    amount is refused ``exists_with_different_amount`` and moves nothing either."""
    accounts = (account("a/cny", "a.example"), account("b/cny", "b.example"))
    assert await create(switch, *accounts) == ["ok", "ok"]
    pay = move("pay-1", "a/cny", "b/cny", 1_000)
    hold = move("hold-1", "a/cny", "b/cny", 500, flags=["pending"])
    assert await submit(switch, pay, hold) == ["ok", "ok"]
    assert await resolve(switch, "post", "hold-1", "hold-1/post", 300) == "ok"
    tables = (ledger_accounts, ledger_transfers)
    before, counted = await rows(switch, *tables), await row_counts(switch.services)

    assert await create(switch, *accounts) == ["exists", "exists"]
    assert await submit(switch, pay, hold) == ["exists", "exists"]
    assert await resolve(switch, "post", "hold-1", "hold-1/post", 300) == "exists"
    assert await resolve(switch, "void", "hold-1", "hold-1/post") != "ok"

    changed = await switch.operator.post(
        "/operator/ledger/transfers", json={"transfers": [pay | {"amount": 2_000}]}
    )
    assert changed.json()["results"] == [{"id": "pay-1", "result": "exists_with_different_amount"}]
    assert await rows(switch, *tables) == before
    assert await row_counts(switch.services) == counted


async def test_a_reconciliation_repeated_writes_nothing_and_answers_the_same(
    switch: Switch, clock: Clock
) -> None:
    await a_day_of_trade(switch, clock)
    await close(switch)
    path = "/operator/settlement/windows/window-1"
    statement = (await switch.operator.get(f"{path}/files/{JD}")).text
    csv = {"content-type": "text/csv"}
    first = await switch.operator.post(f"{path}/reconcile/{JD}", content=statement, headers=csv)
    assert first.status_code == 200, first.text
    before = await row_counts(switch.services)

    again = await switch.operator.post(f"{path}/reconcile/{JD}", content=statement, headers=csv)

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert await row_counts(switch.services) == before
