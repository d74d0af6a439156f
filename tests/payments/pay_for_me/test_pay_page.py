"""`/p/{code}`: a pay-for-me request as whoever opens it sees it, in any app.

It shows the merchant, the amount and the deadline, never the buyer's id nor a
payer; for the app that opened it, it lists the wallets that app and the
merchant's platform accept and every refusal; an app asking for JSON gets the
same facts as JSON; an unknown code is a 404.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness.cast import DOUYIN, JD_BEAUTY, TAOBAO, TEA_HOUSE, WECHATPAY
from tests.harness.networks import PayNet
from tests.harness.switch import Clock


async def _request(paynet: PayNet, host: str, merchant: str) -> dict[str, Any]:
    payment = await paynet.payment(host, merchant=merchant, amount=19_900)
    asked = await paynet.post(
        host, f"/v1/payments/{payment['id']}/pay-for-me", {"buyer": "buyer-secret-id-77"}
    )
    assert asked.status_code == 201, asked.text
    request: dict[str, Any] = asked.json()["request"]
    return request


async def test_the_page_shows_what_is_asked_and_which_wallets_can_pay(paynet: PayNet) -> None:
    request = await _request(paynet, DOUYIN, JD_BEAUTY)
    assert request["share_text"].count("₴") == 2  # the code between its two markers
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{request['url']}?host=wechat")
        facts = await http.get(
            f"{request['url']}?host=wechat", headers={"accept": "application/json"}
        )
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "¥199.00" in page.text and JD_BEAUTY in page.text
    assert "buyer-secret-id-77" not in page.text
    body = facts.json()
    assert (body["state"], body["amount"], body["opened_in"]) == ("open", 19_900, "wechat.example")
    assert WECHATPAY in body["wallets"]["allowed"]
    assert "buyer-secret-id-77" not in facts.text


async def test_a_refusal_by_the_merchants_platform_is_shown(paynet: PayNet) -> None:
    request = await _request(paynet, TAOBAO, TEA_HOUSE)
    async with httpx.AsyncClient() as http:
        facts = await http.get(
            f"{request['url']}?host=wechat", headers={"accept": "application/json"}
        )
    refused = facts.json()["wallets"]["refused"]
    assert [(r["wallet"], r["by"]) for r in refused] == [(WECHATPAY, TAOBAO)]


async def test_an_unknown_code_is_not_found(paynet: PayNet) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{paynet.switch.url}/p/zzzzzzzz")
        facts = await http.get(
            f"{paynet.switch.url}/p/zzzzzzzz", headers={"accept": "application/json"}
        )
    assert page.status_code == 404 and "zzzzzzzz" in page.text
    assert facts.status_code == 404 and facts.json()["error"]["code"] == "unknown_request"


async def test_a_pay_for_me_share_code_pasted_anywhere_says_it_is_a_pay_for_me_request(
    paynet: PayNet,
) -> None:
    # The buyer pastes the sentence into a chat; the friend's app hands the
    # text to the switch's share-code parser, like any product's share code.
    request = await _request(paynet, DOUYIN, JD_BEAUTY)
    async with httpx.AsyncClient(base_url=paynet.switch.url) as http:
        parsed = await http.post(
            "/share/parse", json={"text": f"帮个忙 {request['share_text']}", "host": "wechat"}
        )
    assert parsed.status_code == 200, parsed.text
    body = parsed.json()
    assert (body["kind"], body["outcome"]) == ("pay_for_me", "pay_for_me")
    assert body["code"] in request["share_text"]
    assert (body["request_id"], body["state"], body["url"]) == (
        request["id"],
        "open",
        request["url"],
    )
    assert "buyer-secret-id-77" not in parsed.text


async def test_an_expired_pay_for_me_share_code_is_refused_as_expired(paynet: PayNet) -> None:
    request = await _request(paynet, DOUYIN, JD_BEAUTY)
    clock = paynet.switch.services.clock
    assert isinstance(clock, Clock)
    clock.advance(86_400 + 1)  # the request's default lifetime is a day
    async with httpx.AsyncClient(base_url=paynet.switch.url) as http:
        parsed = await http.post("/share/parse", json={"text": request["share_text"]})
    assert parsed.status_code == 422, parsed.text
    assert parsed.json()["error"]["code"] == "share_code_expired"
