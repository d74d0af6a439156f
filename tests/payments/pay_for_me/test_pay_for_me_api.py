"""Pay-for-me (找朋友帮忙付) over real HTTP: a buyer hands a payment to a friend in any app.

The story of every test: a buyer in Douyin picks a JD Beauty item; Douyin
(the host) turns the payment into a request with a link and a share code; a
friend opens it in WeChat (or Taobao) and pays with a wallet that app and JD
accept. The request is paid once, expires, can be withdrawn, and both the
requester and the payer's app are told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.payments import legs, pay_for_me
from hutong.workers.deadlines import sweep_once
from tests.harness.assertions import assert_nack as refused
from tests.harness.assertions import refused_keeping_only_its_answer
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, TAOBAO, WECHAT, WECHATPAY
from tests.harness.history import AS_HISTORY
from tests.harness.networks import PayNet
from tests.harness.payments import (
    account,
    calls,
    envelope,
    events,
    eventually,
    held_in_ledger,
    post,
    send,
    show,
)
from tests.harness.switch import Clock

BUYER = "dy-buyer-7"


async def ask(
    paynet: PayNet, amount: int = 19_900, expires_in: int = 3_600, **payment: Any
) -> dict[str, Any]:
    """A Douyin buyer's payment for a JD Beauty item, handed on; the request."""
    created = await post(
        paynet, DOUYIN, "/v1/payments", {"merchant": JD_BEAUTY, "amount": amount, **payment}
    )
    assert created.status_code == 201, created.text
    payment_id = created.json()["payment"]["id"]
    response = await post(
        paynet,
        DOUYIN,
        f"/v1/payments/{payment_id}/pay-for-me",
        {"buyer": BUYER, "expires_in": expires_in, "note": "生日礼物"},
    )
    assert response.status_code == 201, response.text
    request: dict[str, Any] = response.json()["request"]
    return request


def code_of(request: dict[str, Any]) -> str:
    url: str = request["url"]
    return url.rsplit("/p/", 1)[1]


async def pay(
    paynet: PayNet,
    request: dict[str, Any],
    sender: str = WECHAT,
    wallet: str = WECHATPAY,
    payer: str = "u-bob",
) -> Any:
    return await post(
        paynet,
        sender,
        f"/v1/pay-for-me/{code_of(request)}/pay",
        {"wallet": wallet, "payer": payer},
    )


@pytest.fixture
async def delivery(paynet: PayNet) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(paynet.switch.services)
    yield worker
    await worker.close()


async def stored(paynet: PayNet, request: dict[str, Any]) -> pay_for_me.PayForMe:
    async with paynet.switch.services.db.read() as conn:
        return await pay_for_me.require(conn, request_id=request["id"])


async def test_a_friend_in_wechat_pays_a_douyin_buyers_jd_order_with_wechat_pay(
    paynet: PayNet,
) -> None:
    request = await ask(paynet)
    assert request["state"] == "open"
    assert request["url"] == f"{paynet.switch.url}/p/{code_of(request)}"
    assert request["share_text"].count("₴") == 2  # a share code, for apps that block links
    assert request["note"] == "生日礼物"

    response = await pay(paynet, request)

    assert response.status_code == 200, response.text
    paid, payment = response.json()["request"], response.json()["payment"]
    assert (paid["state"], paid["payer_host"], paid["payer_wallet"]) == ("paid", WECHAT, WECHATPAY)
    assert (payment["state"], payment["wallet"], payment["host"]) == (
        "authorized",
        WECHATPAY,
        DOUYIN,
    )
    wechatpay = paynet.wallet(WECHATPAY)
    assert wechatpay.available("u-bob") == 50_000 - 19_900
    assert await held_in_ledger(paynet, WECHATPAY) == 19_900

    told = await events(paynet, "on_pay_for_me")
    assert sorted(e.recipient for e in told) == [DOUYIN, WECHAT]
    assert {e.message["state"] for e in told} == {"paid"}
    assert all("u-bob" not in str(e.message) for e in told)  # the payer's account stays private
    [to_douyin] = [e for e in told if e.recipient == DOUYIN]
    [to_wechat] = [e for e in told if e.recipient == WECHAT]
    assert to_douyin.message["buyer"] == BUYER  # the requester learns whose request it was
    assert "buyer" not in to_wechat.message  # the buyer's id never leaves their own app

    captured = await post(paynet, JD, f"/v1/payments/{payment['id']}/capture", {})
    assert captured.status_code == 200, captured.text
    assert captured.json()["payment"]["state"] == "captured"
    assert wechatpay.balance("u-bob") == 50_000 - 19_900
    assert (await account(paynet, legs.wallet_position(WECHATPAY))).debits_posted == 19_900


async def test_a_second_payment_of_a_paid_request_is_already_paid(paynet: PayNet) -> None:
    request = await ask(paynet)
    assert (await pay(paynet, request)).status_code == 200

    again = await pay(paynet, request, TAOBAO, ALIPAY, "u-alice")

    refused(again, 409, "already_paid")
    assert calls(paynet, ALIPAY, "authorize") == []
    assert paynet.wallet(ALIPAY).available("u-alice") == 100_000


async def test_a_wallet_the_merchants_platform_refuses_cannot_pay(paynet: PayNet) -> None:
    declared = await post(
        paynet,
        JD,
        "/v1/acceptance-policy",
        {"valid_from": "2024-09-27", "refused": {ALIPAY: "JD does not take Alipay"}} | AS_HISTORY,
    )
    assert declared.status_code == 201, declared.text
    request = await ask(paynet)

    response = await pay(paynet, request, TAOBAO, ALIPAY, "u-alice")

    refused(response, 409, "wallet_not_accepted")
    assert "JD does not take Alipay" in response.json()["error"]["message"]
    assert calls(paynet, ALIPAY, "authorize") == []
    assert (await stored(paynet, request)).state.value == "open"
    assert any(e.message["wallet"] == ALIPAY for e in await events(paynet, "on_wallet_refusal"))
    assert (await pay(paynet, request)).status_code == 200  # WeChat Pay still can


async def test_a_wallet_the_payers_app_refuses_cannot_pay(paynet: PayNet) -> None:
    """A friend in Taobao cannot pay with WeChat Pay: Taobao refuses it."""
    request = await ask(paynet)

    response = await pay(paynet, request, TAOBAO, WECHATPAY, "u-bob")

    refused(response, 409, "wallet_not_accepted")
    assert calls(paynet, WECHATPAY, "authorize") == []


@pytest.mark.parametrize("wallet", ["nobody.example", JD], ids=["no-wallet", "not-a-wallet"])
async def test_a_wallet_that_does_not_exist_is_unknown_wallet_and_the_request_stays_open(
    paynet: PayNet, wallet: str
) -> None:
    """The body names the wallet: a missing one is the body's mistake (422, as at intake)."""
    request = await ask(paynet)

    await refused_keeping_only_its_answer(
        paynet.switch, pay(paynet, request, wallet=wallet), 422, "unknown_wallet"
    )
    assert (await stored(paynet, request)).state.value == "open"
    assert (await pay(paynet, request)).status_code == 200


async def test_a_payer_whose_wallet_declines_leaves_the_request_open_for_another(
    paynet: PayNet,
) -> None:
    request = await ask(paynet)

    poor = await pay(paynet, request, payer="u-poor")

    refused(poor, 409, "insufficient_funds")
    current = await stored(paynet, request)
    assert (current.state.value, current.claimed_by) == ("open", None)  # the claim is given back
    assert (await pay(paynet, request, TAOBAO, ALIPAY, "u-alice")).status_code == 200


async def test_an_expired_request_cannot_be_paid_and_the_sweep_tells_the_requester(
    paynet: PayNet, clock: Clock
) -> None:
    request = await ask(paynet, expires_in=600)
    clock.advance(599)
    assert (await sweep_once(paynet.switch.services))["pay-for-me requests"] == 0
    clock.advance(1)

    late = await pay(paynet, request)

    refused(late, 409, "request_expired")
    assert calls(paynet, WECHATPAY, "authorize") == []
    assert (await sweep_once(paynet.switch.services))["pay-for-me requests"] == 1
    assert (await stored(paynet, request)).state.value == "expired"
    [told] = await events(paynet, "on_pay_for_me")
    assert (told.recipient, told.message["state"]) == (DOUYIN, "expired")
    assert (await sweep_once(paynet.switch.services))["pay-for-me requests"] == 0
    refused(await pay(paynet, request), 409, "request_expired")


async def test_the_requester_withdraws_a_request_and_it_can_no_longer_be_paid(
    paynet: PayNet,
) -> None:
    request = await ask(paynet)
    path = f"/v1/pay-for-me/{request['id']}/cancel"

    response = await post(paynet, DOUYIN, path, {})

    assert response.status_code == 200, response.text
    assert response.json()["request"]["state"] == "cancelled"
    refused(await pay(paynet, request), 409, "request_cancelled")
    assert calls(paynet, WECHATPAY, "authorize") == []
    refused(await post(paynet, DOUYIN, path, {}), 409, "request_cancelled")
    [told] = await events(paynet, "on_pay_for_me")
    assert (told.recipient, told.message["state"]) == (DOUYIN, "cancelled")


@pytest.mark.parametrize("sender", [WECHAT, JD, JD_BEAUTY])
async def test_only_the_requester_withdraws_a_request(paynet: PayNet, sender: str) -> None:
    request = await ask(paynet)

    response = await post(paynet, sender, f"/v1/pay-for-me/{request['id']}/cancel", {})

    refused(response, 403, "not_a_party")
    assert (await stored(paynet, request)).state.value == "open"


async def test_a_paid_request_cannot_be_withdrawn(paynet: PayNet) -> None:
    request = await ask(paynet)
    assert (await pay(paynet, request)).status_code == 200

    response = await post(paynet, DOUYIN, f"/v1/pay-for-me/{request['id']}/cancel", {})

    refused(response, 409, "already_paid")


async def test_a_payment_is_handed_on_once(paynet: PayNet) -> None:
    request = await ask(paynet)

    again = await post(
        paynet, DOUYIN, f"/v1/payments/{request['payment_id']}/pay-for-me", {"buyer": BUYER}
    )

    refused(again, 409, "already_requested")


async def test_an_authorized_payment_cannot_be_handed_on(paynet: PayNet) -> None:
    created = await post(
        paynet,
        DOUYIN,
        "/v1/payments",
        {"merchant": JD_BEAUTY, "amount": 500, "wallet": ALIPAY, "payer": "u-alice"},
    )
    payment_id = created.json()["payment"]["id"]
    authorized = await post(paynet, DOUYIN, f"/v1/payments/{payment_id}/authorize", {})
    assert authorized.status_code == 200, authorized.text

    response = await post(paynet, DOUYIN, f"/v1/payments/{payment_id}/pay-for-me", {"buyer": BUYER})

    refused(response, 409, "not_payable")


async def test_only_the_buyers_host_hands_a_payment_on(paynet: PayNet) -> None:
    created = await post(paynet, DOUYIN, "/v1/payments", {"merchant": JD_BEAUTY, "amount": 500})
    payment_id = created.json()["payment"]["id"]

    response = await post(paynet, JD, f"/v1/payments/{payment_id}/pay-for-me", {"buyer": BUYER})

    refused(response, 403, "not_a_party")


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"buyer": BUYER, "expires_in": 59}, "invalid_deadline"),
        ({"buyer": BUYER, "expires_in": 7 * 86_400 + 1}, "invalid_deadline"),
        ({"buyer": ""}, "invalid_request"),
        ({"buyer": BUYER, "note": "x" * 256}, "invalid_request"),
    ],
)
async def test_a_malformed_request_is_refused(
    paynet: PayNet, message: dict[str, Any], code: str
) -> None:
    created = await post(paynet, DOUYIN, "/v1/payments", {"merchant": JD_BEAUTY, "amount": 500})
    payment_id = created.json()["payment"]["id"]

    response = await post(paynet, DOUYIN, f"/v1/payments/{payment_id}/pay-for-me", message)

    refused(response, 422, code)


async def test_an_unknown_code_is_unknown_request(paynet: PayNet) -> None:
    response = await post(
        paynet, WECHAT, "/v1/pay-for-me/zzzzzzzz/pay", {"wallet": WECHATPAY, "payer": "u-bob"}
    )

    refused(response, 404, "unknown_request")


async def test_a_merchant_cannot_pay_a_request(paynet: PayNet) -> None:
    request = await ask(paynet)

    response = await pay(paynet, request, JD_BEAUTY)

    refused(response, 403, "wrong_role")


async def test_a_request_whose_payment_was_voided_asks_no_wallet(paynet: PayNet) -> None:
    request = await ask(paynet)
    voided = await post(paynet, DOUYIN, f"/v1/payments/{request['payment_id']}/void", {})
    assert voided.status_code == 200, voided.text

    response = await pay(paynet, request)

    refused(response, 409, "not_payable")
    assert calls(paynet, WECHATPAY, "authorize") == []
    assert paynet.wallet(WECHATPAY).holds == {}


async def test_a_request_whose_buyer_paid_meanwhile_asks_no_wallet(paynet: PayNet) -> None:
    request = await ask(paynet)
    authorized = await post(
        paynet,
        DOUYIN,
        f"/v1/payments/{request['payment_id']}/authorize",
        {"wallet": ALIPAY, "payer": "u-alice"},
    )
    assert authorized.status_code == 200, authorized.text

    response = await pay(paynet, request)

    refused(response, 409, "not_payable")
    assert calls(paynet, WECHATPAY, "authorize") == []
    assert paynet.wallet(WECHATPAY).holds == {}


async def test_two_friends_paying_at_once_pay_once_and_the_other_wallet_holds_nothing(
    paynet: PayNet,
) -> None:
    request = await ask(paynet)
    for wallet in (WECHATPAY, ALIPAY):
        desk = paynet.wallet(wallet)
        desk.fail["authorize"], desk.delay = "slow", 0.2

    by_wechat, by_taobao = await asyncio.gather(
        pay(paynet, request, WECHAT, WECHATPAY, "u-bob"),
        pay(paynet, request, TAOBAO, ALIPAY, "u-alice"),
    )

    answers = sorted(
        [(by_wechat.status_code, WECHATPAY), (by_taobao.status_code, ALIPAY)], reverse=True
    )
    assert [status for status, _ in answers] == [409, 200], (by_wechat.text, by_taobao.text)
    winner, loser = answers[1][1], answers[0][1]
    losing = by_wechat if loser == WECHATPAY else by_taobao
    assert losing.json()["error"]["code"] in ("payment_in_progress", "already_paid")
    assert paynet.wallet(loser).holds == {}
    assert await held_in_ledger(paynet, loser) == 0
    assert await held_in_ledger(paynet, winner) == 19_900
    assert (await stored(paynet, request)).payer_wallet == winner

    captured = await post(paynet, JD, f"/v1/payments/{request['payment_id']}/capture", {})
    assert captured.status_code == 200, captured.text
    payment = await show(paynet, request["payment_id"], JD)
    assert (payment["state"], payment["wallet"]) == ("captured", winner)
    winner_desk = paynet.wallet(winner)
    payer = "u-bob" if winner == WECHATPAY else "u-alice"
    assert winner_desk.balance(payer) == (50_000 if payer == "u-bob" else 100_000) - 19_900


class TestAPayersWalletThatDoesNotAnswerInTime:
    """The switch waits 0.6 s for a wallet, once; a slow wallet answers after 1.2 s.

    (Long enough that a wallet answering at once is never late on a loaded CI machine.)
    """

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(wallet_call_timeout=0.6, wallet_call_attempts=1)

    async def test_is_a_timeout_and_the_same_request_retried_pays_exactly_once(
        self, paynet: PayNet
    ) -> None:
        request = await ask(paynet)
        wechatpay = paynet.wallet(WECHATPAY)
        body = envelope({"wallet": WECHATPAY, "payer": "u-bob"})
        path = f"/v1/pay-for-me/{code_of(request)}/pay"
        wechatpay.fail["authorize"], wechatpay.delay = "slow", 1.2

        refused(await send(paynet, WECHAT, path, body), 502, "participant_timeout")
        assert (await stored(paynet, request)).claimed_by is None  # the claim is given back
        del wechatpay.fail["authorize"]
        retried = await send(paynet, WECHAT, path, body)

        assert retried.status_code == 200, retried.text
        assert list(wechatpay.holds) == [request["payment_id"]]
        assert wechatpay.available("u-bob") == 50_000 - 19_900
        assert await held_in_ledger(paynet, WECHATPAY) == 19_900

    async def test_a_late_hold_of_a_timed_out_payer_is_released_when_another_pays(
        self, paynet: PayNet, delivery: DeliveryWorker
    ) -> None:
        request = await ask(paynet)
        wechatpay = paynet.wallet(WECHATPAY)
        wechatpay.fail["authorize"], wechatpay.delay = "slow", 1.2
        refused(await pay(paynet, request), 502, "participant_timeout")
        await eventually(lambda: bool(wechatpay.holds))  # it held, after the switch gave up

        assert (await pay(paynet, request, TAOBAO, ALIPAY, "u-alice")).status_code == 200
        await delivery.drain()

        assert wechatpay.holds == {}
        assert wechatpay.available("u-bob") == 50_000
        [told] = await events(paynet, "on_payment_released")
        assert (told.recipient, told.message) == (
            WECHATPAY,
            {"payment_id": request["payment_id"], "reason": "paid_with_another_wallet"},
        )
        assert paynet.wallet(ALIPAY).holds.keys() == {request["payment_id"]}
        assert await held_in_ledger(paynet, ALIPAY) == 19_900
        assert await held_in_ledger(paynet, WECHATPAY) == 0

    @pytest.mark.parametrize("end", ["voided", "expired"])
    async def test_a_late_hold_of_a_timed_out_payer_is_released_when_the_payment_ends(
        self, paynet: PayNet, delivery: DeliveryWorker, clock: Clock, end: str
    ) -> None:
        request = await ask(paynet)
        wechatpay = paynet.wallet(WECHATPAY)
        wechatpay.fail["authorize"], wechatpay.delay = "slow", 1.2
        refused(await pay(paynet, request), 502, "participant_timeout")
        await eventually(lambda: bool(wechatpay.holds))

        if end == "voided":
            voided = await post(paynet, DOUYIN, f"/v1/payments/{request['payment_id']}/void", {})
            assert voided.status_code == 200, voided.text
        else:
            clock.advance(3_600)  # the request's deadline, which the payment's follows
            assert (await sweep_once(paynet.switch.services))["payments"] == 1
        await delivery.drain()

        assert wechatpay.holds == {}
        [told] = await events(paynet, "on_payment_released")
        assert (told.recipient, told.message["reason"]) == (WECHATPAY, end)
