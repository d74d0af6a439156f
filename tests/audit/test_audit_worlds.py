"""The new checks over worlds built through the public API and read back in SQL.

Each world is made by the participants' own calls (orders completed, lists
reported, terms declared, links resolved) on SQLite and PostgreSQL; the
audit then reads the window's aggregates and judges them as the findings
API does (`hutong.audit.audit`).
"""

from __future__ import annotations

from datetime import timedelta

from hutong.audit import Window, audit
from hutong.audit.evidence import read_evidence
from tests.harness.cast import DOUYIN, JD
from tests.harness.shop import Shop
from tests.harness.switch import Clock


def today(clock: Clock) -> Window:
    return Window(clock.now.date(), clock.now.date() + timedelta(days=1))


async def declare_group(shop: Shop, name: str, *members: str) -> None:
    body = {"name": name, "members": list(members), "valid_from": "2013-01-01"}
    answer = await shop.switch.operator.post("/operator/groups", json=body)
    assert answer.status_code == 201, answer.text


async def test_completed_orders_are_read_with_their_take_rate_and_schedule(
    shop: Shop, clock: Clock
) -> None:
    await declare_group(shop, "bytedance", DOUYIN)
    await declare_group(shop, "jd", JD)
    for _ in range(2):
        await shop.completed(clock.now)

    async with shop.switch.services.db.read() as conn:
        evidence = await read_evidence(conn, today(clock))
    [cell] = evidence.fees
    assert (cell.host, cell.category, cell.channel, cell.merchant_platform) == (
        DOUYIN,
        "beauty",
        "storefront",
        JD,
    )
    assert (cell.count, cell.schedule_version) == (2, 1)
    assert cell.fees * 20 == cell.gmv and cell.min_rate == cell.max_rate == 0.05

    report = await audit(shop.switch.services.db, today(clock), check="fee_discrimination")
    assert report.findings == ()
    [blind] = report.inconclusive
    assert blind.reason == f"no own-group beauty orders on {DOUYIN} to compare"

    honoured = await audit(shop.switch.services.db, today(clock), check="declared_vs_observed")
    assert honoured.findings == () and honoured.inconclusive == ()
