"""The new checks over worlds built through the public API and read back in SQL.

Each world is made by the participants' own calls (orders completed, lists
reported, terms declared, links resolved) on SQLite and PostgreSQL; the
audit then reads the window's aggregates and judges them as the findings
API does (`hutong.audit.audit`).
"""

from __future__ import annotations

from datetime import date, timedelta

from hutong.audit import Window, audit
from hutong.audit.evidence import read_evidence
from hutong.links.policy import Surface, Treatment
from tests.harness.cast import DOUYIN, JD
from tests.harness.links import TB_TEA, Net, declare, link_rule, placed, resolve
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


async def test_links_opened_behind_steps_are_read_with_their_steps_and_latency(
    links_net: Net,
) -> None:
    rule = link_rule(
        "wechat",
        "taobao",
        Treatment.OPEN,
        date(2021, 9, 17),
        surfaces={Surface.CHAT},
        extra_steps=("warning_page", "copy_to_browser"),
    )
    await declare(links_net, rule)
    placement = await placed(links_net, "wechat", "chat", TB_TEA, "tea-1")
    for _ in range(3):
        answer = await resolve(links_net, placement["code"], host="wechat")
        assert answer.status_code == 200, answer.text
    await links_net.switch.services.resolver().log.flush()

    async with links_net.switch.services.db.read() as conn:
        day = links_net.clock().date()
        evidence = await read_evidence(conn, Window(day, day + timedelta(days=1)))
    assert {(c.host, c.surface, c.steps, c.copy_to_browser) for c in evidence.friction} == {
        ("wechat", "chat", 2, True)
    }
    assert sum(c.count for c in evidence.friction) == 3
