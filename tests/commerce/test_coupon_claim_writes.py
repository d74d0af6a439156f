"""What a coupon claim writes, how many statements it costs, and what holds under concurrency.

A claim reads its campaign's terms from the process's cache (they never
change once declared), then in its write reads the campaign's issued count
and its buyer's coupons in one statement, and adds one to the count as a
bounded increment (`hutong.store.increments.add_within`): the group commit
applies the sum of its claims of a campaign in one conditional UPDATE just
before its commit, so a hot campaign's row is updated once per batch, not
once per claim, and locked for the commit only. What cannot be skipped stays
in the database: the UPDATE adds only while the count stays within what is
released (a batch that would pass it runs again claim by claim), the CHECK
``issued <= stock``, the unique (campaign, host, buyer, seq) and the message
record's key.
"""

from __future__ import annotations

import asyncio

import pytest

from hutong.runtime.exactly_once import Answer
from tests.harness.coupon_claims import Desk, claim_desk
from tests.harness.statements import StatementCount, counting, lasting_declarations

#: Statements of one claim alone (SQLite): BEGIN IMMEDIATE, the campaign's
#: count with the buyer's coupons (one SELECT), the claim, its events (one
#: INSERT for every party), the answer, the campaign's count (one UPDATE,
#: just before the commit). Was 8: the campaign read before the write and
#: again in it, the buyer's coupons read apart.
GRANTED = 6
#: A claim refused ``coupon_exhausted``: BEGIN IMMEDIATE, the one SELECT, the
#: refusal kept for the auditor, the answer. Was 6.
REFUSED = 4
#: Claims sent together: each reads its campaign's count and its buyer's
#: coupons (one SELECT each); their claims, events and answers are one
#: INSERT per table and the campaign's count one UPDATE, per batch.
STATEMENTS_PER_BATCH = 5


async def _claims(desk: Desk, buyers: list[str], *, switch: int = 0) -> list[Answer]:
    return await asyncio.gather(
        *(desk.claim(buyer, f"m-{buyer}-{switch}", switch=switch) for buyer in buyers)
    )


def _shown(answer: Answer) -> tuple[int, bytes]:
    return answer.status, answer.body


def _kind(count: StatementCount, kind: str) -> int:
    return count.kinds.get(kind, 0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_claim_costs_its_budget_of_statements(database_url: str) -> None:
    async with claim_desk(database_url, released=2) as desk:
        db = desk.switches[0].db
        with lasting_declarations(db):
            await desk.claim("b-0", "m-0")  # reads the host and the campaign's terms once
            with counting(db) as granted:
                answer = await desk.claim("b-1", "m-1")
            assert answer.status == 201
            await desk.claim("b-2", "m-2")
            with counting(db) as refused:
                answer = await desk.claim("b-3", "m-3")
            assert (answer.status, answer.body) == (409, b'{"code":"coupon_exhausted"}')

    assert granted.total <= GRANTED, granted.kinds
    assert refused.total <= REFUSED, refused.kinds


async def test_claims_in_one_group_commit_add_to_their_campaign_once(database_url: str) -> None:
    async with claim_desk(database_url, released=100) as desk:
        services = desk.switches[0]
        with lasting_declarations(services.db):
            await desk.claim("warm", "m-warm")
            batches = services.batcher().batches
            with counting(services.db) as count:
                answers = await _claims(desk, [f"b-{n}" for n in range(16)])
            batches = services.batcher().batches - batches
        out = await desk.outcome()

    assert [a.status for a in answers] == [201] * 16
    assert out.issued == out.rows == 17
    assert batches < 16  # claims shared batches (one UPDATE each would also be 16)
    assert _kind(count, "UPDATE COUPON_CAMPAIGNS") == batches, count.kinds
    assert count.total <= 16 + STATEMENTS_PER_BATCH * batches, (batches, count.kinds)


async def test_twin_claims_of_one_buyer_in_one_batch_get_one_coupon(database_url: str) -> None:
    async with claim_desk(database_url, released=10) as desk:
        await desk.claim("warm", "m-warm")
        # One batch: each reads the buyer's coupons past the others' held claims (0) and
        # takes seq 1; the unique key fails the batch's INSERT, which runs claim by claim.
        before = desk.switches[0].batcher().batches
        answers = await asyncio.gather(*(desk.claim("b-1", f"m-{n}") for n in range(5)))
        shared = desk.switches[0].batcher().batches - before < 5
        out = await desk.outcome()

    assert shared  # twins met in a batch (else each ran alone and the held path went untested)

    assert sorted(a.status for a in answers) == [201, 409, 409, 409, 409]
    assert (out.issued, out.per_buyer["b-1"]) == (2, 1)
    assert out.refusals == {"coupon_limit_reached": 4}


async def test_a_claim_sent_twice_at_once_is_answered_once(database_url: str) -> None:
    async with claim_desk(database_url, released=10) as desk:
        await desk.claim("warm", "m-warm")
        answers = await asyncio.gather(
            desk.claim("b-1", "m-1"), desk.claim("b-2", "m-2"), desk.claim("b-1", "m-1")
        )
        again = await desk.claim("b-1", "m-1")
        out = await desk.outcome()

    assert [a.status for a in answers] == [201, 201, 201]
    # One message, one answer: the twin and the later send replay the first's.
    assert _shown(answers[2]) == _shown(answers[0]) == _shown(again)
    assert again.replayed
    assert (out.issued, out.per_buyer["b-1"], out.per_buyer["b-2"]) == (3, 1, 1)
    assert not out.refusals


async def test_claims_from_two_switches_never_issue_beyond_what_is_released(
    database_url: str,
) -> None:
    # 10 released now, 10 more tomorrow: the stock (20) is not what holds it at 10.
    async with claim_desk(database_url, released=10, later=10, switches=2) as desk:
        for switch in (0, 1):
            await desk.claim(f"warm-{switch}", f"m-warm-{switch}", switch=switch)
        rounds = await asyncio.gather(
            *(_claims(desk, [f"b-{s}-{n}" for n in range(25)], switch=s) for s in (0, 1))
        )
        out = await desk.outcome()

    statuses = [answer.status for answers in rounds for answer in answers]
    assert out.issued == out.rows == statuses.count(201) + 2 == 10
    assert out.refusals == {"coupon_exhausted": 50 - 8}
    assert max(out.per_buyer.values()) == 1
