"""The ledger over real HTTP, on SQLite and PostgreSQL.

The operator creates accounts and submits transfers (one result code per
item, never an HTTP error for a refused transfer); holds are posted, voided
or expire; participants read their own accounts with signed requests, and
auditors read all. Every test that moves money ends with the ledger's own
check (`GET /operator/ledger/check`) reporting no problem.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.ledger.models import MAX_ACCOUNT_ID
from hutong.store.tables import ledger_accounts, ledger_failures, ledger_transfers
from tests.harness.assertions import assert_nack
from tests.harness.ledger import account, create, move, resolve, submit
from tests.harness.switch import Clock, Switch, row_counts

LIMITED: dict[str, Any] = {"debits_must_not_exceed_credits": True}


async def get_account(switch: Switch, account_id: str) -> dict[str, Any]:
    response = await switch.operator.get(f"/operator/ledger/accounts/{account_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def balances(switch: Switch) -> dict[str, tuple[int, int, int, int]]:
    """(debits pending, debits posted, credits pending, credits posted) of every account."""
    response = await switch.operator.get("/operator/ledger/accounts")
    assert response.status_code == 200, response.text
    return {
        a["id"]: (
            a["debits_pending"],
            a["debits_posted"],
            a["credits_pending"],
            a["credits_posted"],
        )
        for a in response.json()
    }


async def history(switch: Switch, account_id: str) -> list[dict[str, Any]]:
    response = await switch.operator.get(
        f"/operator/ledger/accounts/{account_id}/transfers", params={"limit": 1000}
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_after"] is None
    return list(response.json()["transfers"])


async def stored_transfer_ids(switch: Switch) -> list[str]:
    async with switch.services.db.read() as conn:
        rows = (await conn.execute(select(ledger_transfers.c.id))).all()
    return sorted(row.id for row in rows)


async def assert_ledger_ok(switch: Switch) -> dict[str, Any]:
    response = await switch.operator.get("/operator/ledger/check")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is True, report["problems"]
    assert report["problems"] == []
    return dict(report)


@pytest.fixture
async def funded(switch: Switch) -> Switch:
    """`bank` (funding, no limit) has put 1000 fen into `alice`; `bob` and `shop` are empty."""
    results = await create(
        switch,
        account("bank", kind="funding"),
        account("alice", owner="alice.example", **LIMITED),
        account("bob", owner="bob.example", **LIMITED),
        account("shop", owner="shop.example", kind="merchant_receivable"),
    )
    assert results == ["ok"] * 4
    assert await submit(switch, move("fund-alice", "bank", "alice", 1000, code="deposit")) == ["ok"]
    return switch


# -- accounts ------------------------------------------------------------------------


async def test_accounts_are_created_once_and_refusals_store_nothing(switch: Switch) -> None:
    created = [
        account("u1", owner="shop.example", **LIMITED),
        account("p1", owner="tmall.example", asset="points:88vip", kind="program_liability"),
        account("f1", kind="funding", credits_must_not_exceed_debits=True),
    ]
    assert await create(switch, *created) == ["ok", "ok", "ok"]
    # An identical repeat is `exists`, also twice in one call.
    assert await create(switch, created[0], created[1], created[1]) == ["exists"] * 3

    before = await row_counts(switch.services)
    refused = [
        (account("u1", owner="other.example", **LIMITED), "exists_with_different_owner"),
        (
            account("u1", owner="shop.example", asset="points:88vip", **LIMITED),
            "exists_with_different_asset",
        ),
        (
            account("u1", owner="shop.example", kind="funding", **LIMITED),
            "exists_with_different_kind",
        ),
        (account("u1", owner="shop.example"), "exists_with_different_flags"),
        (
            account(
                "p1",
                owner="tmall.example",
                asset="points:88vip",
                kind="program_liability",
                **LIMITED,
            ),
            "exists_with_different_flags",
        ),
        (account("bad id with spaces"), "id_invalid"),
        (account(""), "id_invalid"),
        (account("x" * (MAX_ACCOUNT_ID + 1)), "id_invalid"),
        (account("usd", asset="USD"), "asset_invalid"),
        (account("cny-lower", asset="cny"), "asset_invalid"),
        (account("no-program", asset="points:"), "asset_invalid"),
        (account("upper-program", asset="points:88VIP"), "asset_invalid"),
        (account("wallet", kind="wallet"), "kind_invalid"),
        (account("no-owner", owner=""), "owner_invalid"),
        (
            account(
                "both",
                debits_must_not_exceed_credits=True,
                credits_must_not_exceed_debits=True,
            ),
            "flags_are_mutually_exclusive",
        ),
    ]
    results = await create(switch, *(spec for spec, _ in refused))
    assert results == [expected for _, expected in refused]
    assert await row_counts(switch.services) == before

    # The refused variants changed nothing on the stored accounts.
    u1 = await get_account(switch, "u1")
    assert (u1["owner"], u1["asset"], u1["kind"]) == ("shop.example", "CNY", "user_balance")
    assert u1["debits_must_not_exceed_credits"] is True
    assert u1["credits_must_not_exceed_debits"] is False
    assert (u1["balance"], u1["available"]) == (0, 0)
    f1 = await get_account(switch, "f1")
    assert f1["credits_must_not_exceed_debits"] is True
    assert sorted(await balances(switch)) == ["f1", "p1", "u1"]
    # A mixed call stores the good ones only.
    assert await create(switch, account("u2"), account("u3", asset="EUR")) == [
        "ok",
        "asset_invalid",
    ]
    assert sorted(await balances(switch)) == ["f1", "p1", "u1", "u2"]
    missing = await switch.operator.get("/operator/ledger/accounts/u3")
    assert_nack(missing, 404, "unknown_account")
    listed = await switch.operator.get(
        "/operator/ledger/accounts", params={"owner": "tmall.example"}
    )
    assert [a["id"] for a in listed.json()] == ["p1"]
    await assert_ledger_ok(switch)


# -- transfers -----------------------------------------------------------------------


async def test_transfer_is_idempotent_by_id(funded: Switch) -> None:
    switch = funded
    assert await submit(switch, move("t1", "alice", "shop", 300, reference="order-1")) == ["ok"]
    after_first = await balances(switch)
    assert after_first["alice"] == (0, 300, 0, 1000)
    assert after_first["shop"] == (0, 0, 0, 300)
    assert after_first["bank"] == (0, 1000, 0, 0)

    # The identical retry (a lost answer) moves nothing.
    assert await submit(switch, move("t1", "alice", "shop", 300, reference="order-1")) == ["exists"]
    # The same id with different contents is refused, field by field.
    assert await submit(
        switch,
        move("t1", "alice", "shop", 301, reference="order-1"),
        move("t1", "alice", "bob", 300, reference="order-1"),
        move("t1", "bob", "shop", 300, reference="order-1"),
        move("t1", "alice", "shop", 300, reference="order-2"),
        move("t1", "alice", "shop", 300, reference="order-1", code="refund"),
    ) == [
        "exists_with_different_amount",
        "exists_with_different_credit_account_id",
        "exists_with_different_debit_account_id",
        "exists_with_different_reference",
        "exists_with_different_code",
    ]
    assert await balances(switch) == after_first
    # Those refusals did not mark the stored id as failed: the retry still says `exists`.
    assert await submit(switch, move("t1", "alice", "shop", 300, reference="order-1")) == ["exists"]
    assert await stored_transfer_ids(switch) == ["fund-alice", "t1"]
    [entry] = await history(switch, "shop")
    assert (entry["id"], entry["amount"], entry["state"]) == ("t1", 300, "posted")
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"]) == (700, 700)
    await assert_ledger_ok(switch)


async def test_overdraft_is_refused_and_the_failed_id_stays_failed(funded: Switch) -> None:
    switch = funded
    before = await balances(switch)
    assert await submit(switch, move("big", "alice", "shop", 1001)) == ["exceeds_credits"]
    assert await balances(switch) == before
    # Even once the amount would fit, the id that failed on its own stays failed.
    assert await submit(switch, move("big", "alice", "shop", 10)) == ["id_already_failed"]
    assert await submit(switch, move("big", "alice", "shop", 1001)) == ["id_already_failed"]
    assert await balances(switch) == before
    async with switch.services.db.read() as conn:
        failures = {
            row.id: row.result for row in (await conn.execute(select(ledger_failures))).all()
        }
    assert failures == {"big": "exceeds_credits"}
    # Spending exactly what is there is fine; one fen more is not.
    assert await submit(switch, move("all", "alice", "shop", 1000)) == ["ok"]
    assert await submit(switch, move("one-more", "alice", "shop", 1)) == ["exceeds_credits"]
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"]) == (0, 0)
    # An account without the flag (the funding account) may go below zero.
    assert await submit(switch, move("more", "bank", "bob", 5)) == ["ok"]
    assert (await get_account(switch, "bank"))["balance"] == -1005
    assert await stored_transfer_ids(switch) == ["all", "fund-alice", "more"]
    await assert_ledger_ok(switch)


async def test_refusals_that_move_nothing(funded: Switch) -> None:
    switch = funded
    assert await create(
        switch,
        account("vip", owner="alice.example", asset="points:88vip", **LIMITED),
        account("vip-pool", owner="tmall.example", asset="points:88vip", kind="program_liability"),
    ) == ["ok", "ok"]
    assert await submit(switch, move("pts", "vip-pool", "vip", 500, asset="points:88vip")) == ["ok"]
    before = await balances(switch)
    results = await submit(
        switch,
        # CNY and points never mix, whichever asset the transfer names.
        move("mix-1", "alice", "vip", 10, asset="CNY"),
        move("mix-2", "alice", "vip", 10, asset="points:88vip"),
        move("mix-3", "vip", "shop", 10, asset="points:88vip"),
        move("self", "alice", "alice", 10),
        move("zero", "alice", "shop", 0),
        move("negative", "alice", "shop", -5),
        move("nobody", "ghost", "shop", 5),
        move("nowhere", "alice", "ghost", 5),
        move("bad-asset", "alice", "shop", 5, asset="USD"),
        move("bad-code", "alice", "shop", 5, code="gift"),
        move("bad id", "alice", "shop", 5),
    )
    assert results == [
        "asset_mismatch",
        "asset_mismatch",
        "asset_mismatch",
        "accounts_must_differ",
        "amount_must_be_positive",
        "amount_must_be_positive",
        "debit_account_not_found",
        "credit_account_not_found",
        "asset_invalid",
        "code_invalid",
        "id_invalid",
    ]
    assert await balances(switch) == before
    assert await stored_transfer_ids(switch) == ["fund-alice", "pts"]
    await assert_ledger_ok(switch)


async def test_linked_group_fails_as_a_whole(funded: Switch) -> None:
    switch = funded
    before = await balances(switch)
    split = [
        move("pay-shop", "alice", "shop", 600, flags=["linked"]),
        move("pay-bob", "alice", "bob", 300, flags=["linked"]),
        move("pay-fee", "alice", "bank", 200),  # 1100 > 1000: this leg fails
    ]
    assert await submit(switch, *split) == [
        "linked_event_failed",
        "linked_event_failed",
        "exceeds_credits",
    ]
    assert await balances(switch) == before
    assert await stored_transfer_ids(switch) == ["fund-alice"]
    assert await history(switch, "shop") == []

    # A chain left open (the last item still `linked`) fails too.
    assert await submit(
        switch,
        move("open-1", "alice", "shop", 1, flags=["linked"]),
        move("open-2", "alice", "bob", 1, flags=["linked"]),
    ) == ["linked_event_failed", "linked_event_chain_open"]
    # A chain failure does not taint the other legs' ids; the failing leg's id stays failed.
    assert await submit(
        switch,
        move("pay-shop", "alice", "shop", 600, flags=["linked"]),
        move("pay-bob", "alice", "bob", 300, flags=["linked"]),
        move("pay-fee-2", "alice", "bank", 100),
    ) == ["ok", "ok", "ok"]
    assert await submit(switch, move("pay-fee", "alice", "bank", 100)) == ["id_already_failed"]
    after = await balances(switch)
    assert after["alice"] == (0, 1000, 0, 1000)
    assert after["shop"] == (0, 0, 0, 600)
    assert after["bob"] == (0, 0, 0, 300)
    # Transfers after a failed chain in the same call still apply.
    assert await submit(
        switch,
        move("fail-a", "bob", "shop", 100, flags=["linked"]),
        move("fail-b", "bob", "alice", 201),
        move("alone", "bob", "alice", 50),
    ) == ["linked_event_failed", "exceeds_credits", "ok"]
    assert (await get_account(switch, "bob"))["balance"] == 250
    await assert_ledger_ok(switch)


# -- holds ---------------------------------------------------------------------------


async def test_hold_posted_in_part_releases_the_rest(funded: Switch) -> None:
    switch = funded
    assert await submit(switch, move("hold", "alice", "shop", 600, flags=["pending"])) == ["ok"]
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"], alice["debits_pending"]) == (1000, 400, 600)
    assert (await get_account(switch, "shop"))["credits_pending"] == 600
    # The hold counts against the limit.
    assert await submit(switch, move("too-much", "alice", "bob", 401)) == ["exceeds_credits"]
    assert await resolve(switch, "post", "hold", "capture-too-much", 601) == (
        "exceeds_pending_transfer_amount"
    )

    assert await resolve(switch, "post", "hold", "capture", 250) == "ok"
    after = await balances(switch)
    assert after["alice"] == (0, 250, 0, 1000)
    assert after["shop"] == (0, 0, 0, 250)
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"]) == (750, 750)

    assert await resolve(switch, "post", "hold", "capture", 250) == "exists"
    assert await resolve(switch, "post", "hold", "capture-again", 100) == (
        "pending_transfer_already_posted"
    )
    assert await resolve(switch, "void", "hold", "void-after-post") == (
        "pending_transfer_already_posted"
    )
    assert await resolve(switch, "post", "fund-alice", "not-a-hold") == (
        "pending_transfer_not_pending"
    )
    assert await resolve(switch, "post", "no-such-hold", "capture-ghost") == (
        "pending_transfer_not_found"
    )
    assert await balances(switch) == after
    states = {t["id"]: t["state"] for t in await history(switch, "shop")}
    assert states == {"hold": "posted_pending", "capture": "posted"}
    # The whole remaining balance can now be spent.
    assert await submit(switch, move("rest", "alice", "bob", 750)) == ["ok"]
    await assert_ledger_ok(switch)


async def test_hold_voided_releases_everything(funded: Switch) -> None:
    switch = funded
    before = await balances(switch)
    assert await submit(switch, move("hold", "alice", "shop", 1000, flags=["pending"])) == ["ok"]
    assert (await get_account(switch, "alice"))["available"] == 0
    assert await submit(switch, move("spend", "alice", "bob", 1)) == ["exceeds_credits"]

    assert await resolve(switch, "void", "hold", "release") == "ok"
    assert await balances(switch) == before
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"]) == (1000, 1000)
    assert await resolve(switch, "void", "hold", "release") == "exists"
    assert await resolve(switch, "void", "hold", "release-again") == (
        "pending_transfer_already_voided"
    )
    assert await resolve(switch, "post", "hold", "capture-after-void") == (
        "pending_transfer_already_voided"
    )
    assert await balances(switch) == before
    states = {t["id"]: t["state"] for t in await history(switch, "alice")}
    assert states == {"fund-alice": "posted", "hold": "voided", "release": "posted"}
    await assert_ledger_ok(switch)


async def test_hold_expires_after_its_timeout(funded: Switch, clock: Clock) -> None:
    switch = funded
    before = await balances(switch)
    hold = move("hold", "alice", "shop", 700, flags=["pending"], timeout=1)
    assert await submit(switch, hold) == ["ok"]
    [stored] = [t for t in await history(switch, "shop") if t["id"] == "hold"]
    assert stored["state"] == "pending" and stored["expires_at"]
    assert (await get_account(switch, "alice"))["available"] == 300

    clock.advance(2)
    assert await resolve(switch, "post", "hold", "late-capture") == "pending_transfer_expired"
    # The hold was released on the way: everything is available again.
    assert await balances(switch) == before
    alice = await get_account(switch, "alice")
    assert (alice["balance"], alice["available"], alice["debits_pending"]) == (1000, 1000, 0)
    assert (await get_account(switch, "shop"))["credits_pending"] == 0
    [stored] = [t for t in await history(switch, "shop") if t["id"] == "hold"]
    assert stored["state"] == "expired"
    assert await resolve(switch, "void", "hold", "late-void") == "pending_transfer_expired"
    assert await submit(switch, hold) == ["exists"]
    assert await stored_transfer_ids(switch) == ["fund-alice", "hold"]
    assert await submit(switch, move("spend-all", "alice", "bob", 1000)) == ["ok"]
    await assert_ledger_ok(switch)


# -- malformed calls -------------------------------------------------------------------


async def test_batch_limit(funded: Switch) -> None:
    switch = funded
    before = await row_counts(switch.services)
    too_many = [move(f"b{i}", "bank", "bob", 1) for i in range(8191)]
    response = await switch.operator.post(
        "/operator/ledger/transfers", json={"transfers": too_many}
    )
    assert_nack(response, 422, "batch_too_large")
    assert await row_counts(switch.services) == before
    # 8190 is allowed, and applied in full.
    results = await submit(switch, *too_many[:8190])
    assert results == ["ok"] * 8190
    bob = await get_account(switch, "bob")
    assert bob["balance"] == 8190
    await assert_ledger_ok(switch)


@pytest.mark.parametrize(
    "bad",
    [
        {"flags": ["pending", "urgent"]},
        {"flags": ["LINKED"]},
    ],
    ids=["unknown", "upper-case"],
)
async def test_unknown_flag_is_refused(funded: Switch, bad: dict[str, Any]) -> None:
    switch = funded
    before = await row_counts(switch.services)
    response = await switch.operator.post(
        "/operator/ledger/transfers",
        json={
            "transfers": [move("fine", "alice", "bob", 1), move("odd", "alice", "bob", 1, **bad)]
        },
    )
    assert_nack(response, 422, "invalid_flag")
    assert await row_counts(switch.services) == before
    await assert_ledger_ok(switch)


@pytest.mark.parametrize("amount", [1.5, 100.0, "100", "1e2", None, True, [100]])
async def test_amount_must_be_an_integer(funded: Switch, amount: Any) -> None:
    switch = funded
    before = await row_counts(switch.services)
    response = await switch.operator.post(
        "/operator/ledger/transfers",
        json={"transfers": [move("fine", "alice", "bob", 1), move("odd", "alice", "bob", amount)]},
    )
    assert_nack(response, 422, "invalid_request")
    assert "amount" in response.json()["error"]["message"]
    assert await submit(switch, move("hold", "alice", "bob", 10, flags=["pending"])) == ["ok"]
    before = await row_counts(switch.services)
    response = await switch.operator.post(
        "/operator/ledger/pending/hold/post", json={"id": "capture", "amount": amount}
    )
    assert_nack(response, 422, "invalid_request")
    assert await row_counts(switch.services) == before
    await assert_ledger_ok(switch)


async def test_malformed_bodies_are_refused(funded: Switch) -> None:
    switch = funded
    before = await row_counts(switch.services)
    for path, body in [
        ("/operator/ledger/transfers", {"transfers": [{"debit_account_id": "alice"}]}),
        ("/operator/ledger/transfers", {"transfer": []}),
        ("/operator/ledger/transfers", {"transfers": [move("t", "alice", "bob", 1, timeout="1")]}),
        (
            "/operator/ledger/transfers",
            {"transfers": [move("t", "alice", "bob", 1, flags="linked")]},
        ),
        (
            "/operator/ledger/transfers",
            {"transfers": [move("t", "alice", "bob", 1, reference="r" * 256)]},
        ),
        (
            "/operator/ledger/accounts",
            {"accounts": [account("z", debits_must_not_exceed_credits="yes")]},
        ),
        (
            "/operator/ledger/accounts",
            {"accounts": [account("z", debits_must_not_exceed_credits=1)]},
        ),
        ("/operator/ledger/accounts", {"accounts": [{"id": "z", "owner": "o"}]}),
    ]:
        response = await switch.operator.post(path, json=body)
        assert_nack(response, 422, "invalid_request")
    assert await row_counts(switch.services) == before
    # Without the operator token nothing is served.
    async with httpx.AsyncClient(base_url=switch.url) as anonymous:
        response = await anonymous.post(
            "/operator/ledger/transfers", json={"transfers": [move("t", "alice", "bob", 1)]}
        )
        assert response.status_code == 401, response.text
        assert (await anonymous.get("/operator/ledger/check")).status_code == 401
    assert await row_counts(switch.services) == before
    await assert_ledger_ok(switch)


# -- history -------------------------------------------------------------------------


async def test_history_pages_return_every_transfer_once_in_order(funded: Switch) -> None:
    switch = funded
    expected = ["fund-alice"]
    for round_ in range(12):
        batch = [
            move(f"out-{round_}", "alice", "bob", 10),
            move(f"noise-{round_}", "bank", "shop", 1),  # not alice's
            move(f"in-{round_}", "bob", "alice", 3),
        ]
        assert await submit(switch, *batch) == ["ok", "ok", "ok"]
        expected += [f"out-{round_}", f"in-{round_}"]
    assert await submit(switch, move("hold", "alice", "shop", 5, flags=["pending"])) == ["ok"]
    expected.append("hold")

    for limit in (1, 4, 5, 25, 26, 1000):
        seen: list[dict[str, Any]] = []
        after = 0
        pages = 0
        while True:
            response = await switch.operator.get(
                "/operator/ledger/accounts/alice/transfers", params={"after": after, "limit": limit}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["account_id"] == "alice"
            assert len(page["transfers"]) <= limit
            seen += page["transfers"]
            pages += 1
            assert pages < 100
            if page["next_after"] is None:
                break
            assert page["next_after"] == page["transfers"][-1]["seq"]
            after = page["next_after"]
        assert [t["id"] for t in seen] == expected, limit
        seqs = [t["seq"] for t in seen]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    signs = {
        t["id"]: (t["debit_account_id"] == "alice", t["amount"])
        for t in await history(switch, "alice")
    }
    assert signs["out-0"] == (True, 10) and signs["in-0"] == (False, 3)
    page = await switch.operator.get(
        "/operator/ledger/accounts/alice/transfers", params={"after": 10**12}
    )
    assert page.json()["transfers"] == [] and page.json()["next_after"] is None
    assert_nack(
        await switch.operator.get("/operator/ledger/accounts/ghost/transfers"),
        404,
        "unknown_account",
    )
    alice = await get_account(switch, "alice")
    assert alice["balance"] == 1000 - 12 * 10 + 12 * 3
    await assert_ledger_ok(switch)


# -- participants (signed) -------------------------------------------------------------


async def test_participants_read_their_own_accounts(switch: Switch) -> None:
    shop = await switch.register("shop.example", ["merchant"])
    other = await switch.register("other.example", ["merchant"])
    auditor = await switch.register("audit.example", ["auditor"])
    assert (
        await create(
            switch,
            account("bank", kind="funding"),
            account("shop-cny", owner="shop.example", kind="merchant_receivable"),
            account("shop-pts", owner="shop.example", asset="points:88vip", **LIMITED),
            account("other-cny", owner="other.example", kind="merchant_receivable"),
        )
        == ["ok"] * 4
    )
    assert await submit(
        switch,
        move("sale-1", "bank", "shop-cny", 1200, code="payment"),
        move("sale-2", "bank", "other-cny", 800, code="payment"),
    ) == ["ok", "ok"]
    try:
        mine = await shop.get("/v1/ledger/accounts")
        assert mine.status_code == 200, mine.text
        assert [(a["id"], a["balance"]) for a in mine.json()] == [
            ("shop-cny", 1200),
            ("shop-pts", 0),
        ]
        own = await shop.get("/v1/ledger/accounts/shop-cny")
        assert own.status_code == 200 and own.json()["credits_posted"] == 1200
        own_history = await shop.get("/v1/ledger/accounts/shop-cny/transfers")
        assert own_history.status_code == 200, own_history.text
        assert [t["id"] for t in own_history.json()["transfers"]] == ["sale-1"]

        for path in ("/v1/ledger/accounts/other-cny", "/v1/ledger/accounts/other-cny/transfers"):
            assert_nack(await shop.get(path), 403, "not_your_account")
            found = await auditor.get(path)
            assert found.status_code == 200, found.text
        assert (await auditor.get("/v1/ledger/accounts/shop-pts")).json()["owner"] == "shop.example"
        assert [
            t["id"]
            for t in (await auditor.get("/v1/ledger/accounts/bank/transfers")).json()["transfers"]
        ] == ["sale-1", "sale-2"]
        # The auditor owns no account; its own list is empty.
        assert (await auditor.get("/v1/ledger/accounts")).json() == []
        assert [a["id"] for a in (await other.get("/v1/ledger/accounts")).json()] == ["other-cny"]
        assert_nack(await other.get("/v1/ledger/accounts/shop-pts"), 403, "not_your_account")
        assert_nack(await shop.get("/v1/ledger/accounts/ghost"), 404, "unknown_account")

        # Unsigned, or with the operator's token instead of a signature: refused.
        async with httpx.AsyncClient(base_url=switch.url) as anonymous:
            assert (await anonymous.get("/v1/ledger/accounts")).status_code == 401
        assert (await switch.operator.get("/v1/ledger/accounts/shop-cny")).status_code == 401
    finally:
        for client in (shop, other, auditor):
            await client.aclose()
    await assert_ledger_ok(switch)


# -- concurrency ---------------------------------------------------------------------


async def test_concurrent_calls_are_committed_together(switch: Switch) -> None:
    users = [f"user-{n}" for n in range(10)]
    assert (
        await create(
            switch,
            account("bank", kind="funding"),
            *(account(user, owner=f"{user}.example", **LIMITED) for user in users),
        )
        == ["ok"] * 11
    )
    ledger = switch.services.ledger()
    commits_before = ledger.commits

    async def one(n: int) -> str:
        response = await switch.operator.post(
            "/operator/ledger/transfers",
            json={"transfers": [move(f"c{n}", "bank", users[n % 10], n + 1, code="deposit")]},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["results"][0]["result"])

    results = await asyncio.gather(*(one(n) for n in range(200)))
    assert results == ["ok"] * 200
    commits = ledger.commits - commits_before
    assert 1 <= commits < 200, commits

    totals = await balances(switch)
    for index, user in enumerate(users):
        expected = sum(n + 1 for n in range(200) if n % 10 == index)
        assert totals[user] == (0, 0, 0, expected), user
    assert totals["bank"] == (0, 200 * 201 // 2, 0, 0)
    assert sum(t[3] - t[1] for t in totals.values()) == 0
    async with switch.services.db.read() as conn:
        stored = (await conn.execute(select(ledger_accounts.c.id))).all()
    assert len(stored) == 11
    assert len(await stored_transfer_ids(switch)) == 200
    report = await assert_ledger_ok(switch)
    assert (report["accounts"], report["transfers"]) == (11, 200)
