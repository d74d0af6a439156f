"""Each participant confirms or disputes its settlement of a closed window, over real HTTP.

JD disputes window-1 (its reconciliation found a difference): the operator
cannot settle the window while the dispute stands (``window_disputed``). JD
withdraws it by confirming; the window settles, and every participant's
position comes down by its net in the window, as the hub's payments settled it.
Every refusal has a stable code and changes nothing but the answer recorded
under its message id.
"""

from __future__ import annotations

from collections.abc import Awaitable

import httpx

from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import assert_nack
from tests.harness.settlement import ALIPAY, JD, TAOBAO, WECHATPAY, a_day_of_trade, close
from tests.harness.switch import Clock, Switch, row_counts

W1 = "/v1/settlement/windows/window-1"


async def refused(
    switch: Switch, request: Awaitable[httpx.Response], status: int, code: str
) -> None:
    """Refused with this status and code; no table but the message ids' answers changed."""
    before = await row_counts(switch.services)
    assert_nack(await request, status, code)
    after = await row_counts(switch.services)
    assert {k: v for k, v in after.items() if k != "messages"} == {
        k: v for k, v in before.items() if k != "messages"
    }


async def answers(switch: Switch) -> dict[str, str]:
    listed = await switch.operator.get("/operator/settlement/windows/window-1/answers")
    assert listed.status_code == 200, listed.text
    return {a["participant"]: a["state"] for a in listed.json()}


async def positions(switch: Switch) -> dict[str, int]:
    listed = await switch.operator.get("/operator/liquidity")
    assert listed.status_code == 200, listed.text
    return {p["participant"]: p["position"] for p in listed.json()}


async def test_a_disputed_window_is_not_settled_until_the_dispute_is_withdrawn(
    switch: Switch, clock: Clock
) -> None:
    jd = await switch.register(JD, ["merchant"])
    await a_day_of_trade(switch, clock)
    await close(switch)
    assert set((await answers(switch)).values()) == {"pending"}
    async with jd:
        disputed = await jd.post(f"{W1}/dispute", {"reason": "pay-1 is 99.00 in our books"})
        assert disputed.status_code == 200, disputed.text
        assert disputed.json()["answer"]["state"] == "disputed"
        assert (await answers(switch))[JD] == "disputed"

        settle = switch.operator.post("/operator/settlement/windows/window-1/settle")
        await refused(switch, settle, 409, "window_disputed")

        confirmed = await jd.post(f"{W1}/confirm", {})
        assert confirmed.status_code == 200, confirmed.text
        assert (await answers(switch))[JD] == "confirmed"
    before = await positions(switch)
    assert (before[ALIPAY], before[JD]) == (5_500, -10_440)
    settled = await switch.operator.post("/operator/settlement/windows/window-1/settle")
    assert settled.status_code == 200, settled.text
    assert set((await positions(switch)).values()) == {0}  # the hub's payments settled all


async def test_each_wrong_answer_is_refused_with_its_code(switch: Switch, clock: Clock) -> None:
    jd = await switch.register(JD, ["merchant"])
    wechat = await switch.register(WECHATPAY, ["wallet"])
    taobao = await switch.register(TAOBAO, ["platform"])
    stranger = await switch.register("kuaishou.example", ["platform"])
    await a_day_of_trade(switch, clock)
    assert (await switch.operator.get("/operator/settlement/windows")).status_code == 200
    async with jd, wechat, taobao, stranger:
        await refused(switch, jd.post(f"{W1}/confirm", {}), 409, "window_open")
        await close(switch)
        await refused(switch, jd.post(f"{W1}/dispute", {"reason": "  "}), 422, "invalid_reason")
        await refused(switch, stranger.post(f"{W1}/confirm", {}), 404, "not_in_window")
        await refused(
            switch, jd.post("/v1/settlement/windows/window-9/confirm", {}), 404, "unknown_window"
        )
        assert (await jd.post(f"{W1}/confirm", {})).status_code == 200
        await refused(switch, jd.post(f"{W1}/confirm", {}), 409, "already_confirmed")
        await refused(
            switch, jd.post(f"{W1}/dispute", {"reason": "late"}), 409, "already_confirmed"
        )
        assert (await wechat.post(f"{W1}/dispute", {"reason": "fee"})).status_code == 200
        await refused(
            switch, wechat.post(f"{W1}/dispute", {"reason": "again"}), 409, "already_disputed"
        )
        assert (await wechat.post(f"{W1}/confirm", {})).status_code == 200
        settled = await switch.operator.post("/operator/settlement/windows/window-1/settle")
        assert settled.status_code == 200, settled.text
        await refused(switch, taobao.post(f"{W1}/confirm", {}), 409, "window_settled")


async def test_an_answer_sent_again_is_recorded_once(switch: Switch, clock: Clock) -> None:
    jd = await switch.register(JD, ["merchant"])
    wechat = await switch.register(WECHATPAY, ["wallet"])
    await a_day_of_trade(switch, clock)
    await close(switch)
    async with jd, wechat:
        for client, path, message in (
            (wechat, f"{W1}/dispute", {"reason": "fee"}),
            (jd, f"{W1}/confirm", {}),
        ):
            body = encode_json(request_envelope(message, message_id=f"m-{path[-7:]}"))
            first = await client.send("POST", path, body)
            assert first.status_code == 200, first.text
            before = await row_counts(switch.services)
            again = await client.send("POST", path, body)
            assert (again.status_code, again.json()) == (200, first.json())
            assert again.headers["x-hutong-replay"] == "true"
            assert await row_counts(switch.services) == before
    assert (await answers(switch))[WECHATPAY] == "disputed"
    assert (await answers(switch))[JD] == "confirmed"
