"""Identical sends racing each other: one effect, the same answer for all.

A host that times out resends the same signed message; under load several
copies can be in flight at once. The message id is claimed before any
wallet is asked, so the copies wait for the first one's answer instead of
tripping over its half-done work.
"""

from __future__ import annotations

import asyncio

from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from tests.harness.cast import ALIPAY, DOUYIN
from tests.harness.shop import Shop

COPIES = 20


async def test_twenty_identical_pays_capture_once_and_all_get_the_same_answer(shop: Shop) -> None:
    order = await shop.placed()
    body = encode_json(request_envelope({}, message_id="msg-pay-race"))
    path = f"/v1/orders/{order['id']}/pay"

    answers = await asyncio.gather(*(shop.send(DOUYIN, "POST", path, body) for _ in range(COPIES)))

    assert [a.status_code for a in answers] == [200] * COPIES, [a.text for a in answers]
    assert len({a.json()["order"]["state"] for a in answers}) == 1
    assert {a.json()["payment"]["state"] for a in answers} == {"captured"}
    assert (await shop.show(order["id"]))["state"] == "paid"
    asked = [action for action, _ in shop.wallet(ALIPAY).calls]
    assert asked.count("authorize") == 1, asked
    assert asked.count("capture") == 1, asked
    assert sum(a.headers.get("x-hutong-replay") == "true" for a in answers) == COPIES - 1


async def test_a_pay_refused_by_the_state_is_recorded_but_a_twin_never_refuses_itself(
    shop: Shop,
) -> None:
    order = await shop.paid()
    body = encode_json(request_envelope({}, message_id="msg-pay-again"))
    path = f"/v1/orders/{order['id']}/pay"

    first, again = [await shop.send(DOUYIN, "POST", path, body) for _ in range(2)]

    assert first.status_code == 409, first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers.get("x-hutong-replay") == "true"
