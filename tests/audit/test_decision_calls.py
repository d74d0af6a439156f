"""Decision calls: every signed call the switch makes to a participant is journaled.

Who was asked, on whose behalf (the order's host), the action, the latency
in ms and the outcome (answered, refused with the participant's code and
justification, failed), committed with the group commit rather than a
commit of its own; rows past the configured retention are pruned.
"""

from __future__ import annotations

from datetime import timedelta

from hutong.net import call_journal
from hutong.net.call_journal import DecisionCall, Outcome, latency_ms
from hutong.protocol.justifications import Justification, JustificationCode
from hutong.runtime.services import Services
from hutong.workers.deadlines import sweep_once
from tests.harness.cast import ALIPAY, DOUYIN, JD, JDL
from tests.harness.shop import HANGZHOU, Shop
from tests.harness.switch import Clock


async def journal(services: Services) -> list[DecisionCall]:
    await call_journal.settled(services)
    async with services.db.read() as conn:
        return await call_journal.list_calls(conn)


def test_latency_is_whole_milliseconds_rounded_up() -> None:
    assert [latency_ms(s) for s in (0.0, 0.0001, 0.001, 0.0012, 1.5)] == [0, 1, 1, 2, 1500]


async def test_an_order_s_calls_are_journaled_with_the_host_they_serve(shop: Shop) -> None:
    order = await shop.paid()
    await shop.act(order["merchant"], order["id"], "ship", origin=HANGZHOU, weight_g=500)

    calls = await journal(shop.switch.services)
    asked = [(c.callee, c.on_behalf_of, c.action, c.outcome) for c in calls]
    assert (JD, DOUYIN, "reserve_stock", Outcome.ANSWERED) in asked
    assert (ALIPAY, DOUYIN, "authorize", Outcome.ANSWERED) in asked
    assert (JDL, DOUYIN, "book", Outcome.ANSWERED) in asked
    reserve = next(c for c in calls if c.action == "reserve_stock")
    assert reserve.message_id == f"{order['id']}.reserve"
    assert reserve.latency_ms >= 0 and reserve.code == "" and reserve.justification is None


async def test_a_refusal_is_journaled_with_its_code_and_justification(shop: Shop) -> None:
    shop.wallet(ALIPAY).flagged["u-alice"] = {"code": "fraud", "reference": "risk case 7"}
    order = await shop.placed()
    response = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {})
    assert response.status_code == 409, response.text

    refused = [c for c in await journal(shop.switch.services) if c.outcome is Outcome.REFUSED]
    assert [(c.callee, c.on_behalf_of, c.action, c.code) for c in refused] == [
        (ALIPAY, DOUYIN, "authorize", "risk_declined")
    ]
    assert refused[0].justification == Justification(JustificationCode.FRAUD, "risk case 7")


async def test_calls_past_the_retention_are_pruned(shop: Shop, clock: Clock) -> None:
    await shop.placed()
    kept = len(await journal(shop.switch.services))
    assert kept == 1  # reserve_stock
    days = shop.switch.services.settings.decision_call_retention_days
    clock.advance(timedelta(days=days - 1).total_seconds())
    await sweep_once(shop.switch.services)
    assert len(await journal(shop.switch.services)) == kept
    clock.advance(timedelta(days=2).total_seconds())
    assert (await sweep_once(shop.switch.services))["decision calls past their retention"] == kept
    assert await journal(shop.switch.services) == []
