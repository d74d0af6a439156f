"""Payments over real HTTP with the reference wallets: every transition and every refusal.

Each test reads like one rule of the payments API. Money is checked in three
places: the payment as the switch reports it, the reference wallet's own
books (`WalletDesk`: balances, holds, calls received) and the switch's ledger
(the `paynet` fixture also checks after every test that the ledger balances).

Requests are signed at the switch's (settable) clock, so a test can move the
clock days ahead and still be heard. A retry sends the very same bytes again,
as a participant retrying a request would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.net.transport import call_transport
from hutong.payments import checkout, legs
from hutong.payments.checkout import PaymentState
from hutong.payments.checkout import store as checkout_store
from hutong.protocol.errors import HutongError
from hutong.store.tables import payment_refunds, payment_refusals
from hutong.workers.deadlines import sweep_once
from tests.harness.assertions import assert_nack, refused_keeping_only_its_answer
from tests.harness.cast import ALIPAY, AUDITOR, DOUYIN, JD, JD_BEAUTY, TAOBAO, TEA_HOUSE, WECHATPAY
from tests.harness.history import AS_HISTORY
from tests.harness.networks import PayNet
from tests.harness.payments import (
    account,
    calls,
    envelope,
    events,
    eventually,
    get,
    held_in_ledger,
    post,
    send,
    show,
)
from tests.harness.switch import Clock, row_counts

# -- helpers: signed requests at the switch's clock -------------------------------------------


async def create(paynet: PayNet, sender: str = TAOBAO, **message: Any) -> dict[str, Any]:
    message = {"merchant": TEA_HOUSE, "amount": 10_000, **message}
    response = await post(paynet, sender, "/v1/payments", message)
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()["payment"]
    return payment


async def authorized(
    paynet: PayNet, amount: int = 10_000, payer: str = "u-alice", **extra: Any
) -> dict[str, Any]:
    payment = await create(paynet, amount=amount, wallet=ALIPAY, payer=payer, **extra)
    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["payment"]
    return result


async def captured(paynet: PayNet, amount: int = 10_000, part: int | None = None) -> dict[str, Any]:
    """An authorized payment of `amount`, captured in full or `part` of it."""
    payment = await authorized(paynet, amount)
    capture = {} if part is None else {"amount": part}
    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/capture", capture)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["payment"]
    return result


# -- creating ------------------------------------------------------------------------------------


async def test_the_host_creates_a_payment_and_learns_which_wallets_the_buyer_may_use(
    paynet: PayNet,
) -> None:
    response = await post(paynet, DOUYIN, "/v1/payments", {"merchant": TEA_HOUSE, "amount": 2_999})

    assert response.status_code == 201, response.text
    payment, wallets = response.json()["payment"], response.json()["wallets"]
    assert payment["state"] == "created"
    assert (payment["host"], payment["merchant"], payment["merchant_platform"]) == (
        DOUYIN,
        TEA_HOUSE,
        TAOBAO,
    )
    assert (payment["amount"], payment["captured"], payment["wallet"]) == (2_999, 0, None)
    assert wallets["allowed"] == [ALIPAY]
    assert [(r["wallet"], r["by"]) for r in wallets["refused"]] == [(WECHATPAY, TAOBAO)]
    told = {e.recipient for e in await events(paynet, "on_payment")}
    assert told == {DOUYIN, TEA_HOUSE, TAOBAO}


async def test_the_merchants_platform_creates_a_payment_for_a_buyer_in_another_app(
    paynet: PayNet,
) -> None:
    payment = await create(paynet, TAOBAO, host=DOUYIN)

    assert (payment["host"], payment["merchant_platform"]) == (DOUYIN, TAOBAO)
    assert (await show(paynet, payment["id"], DOUYIN))["id"] == payment["id"]


async def test_a_platform_that_is_neither_host_nor_the_merchants_platform_cannot_create(
    paynet: PayNet,
) -> None:
    before = await row_counts(paynet.switch.services)

    response = await post(
        paynet, JD, "/v1/payments", {"merchant": TEA_HOUSE, "amount": 100, "host": DOUYIN}
    )

    assert_nack(response, 403, "not_a_party")
    after = await row_counts(paynet.switch.services)
    assert after["payments"] == before["payments"]
    assert after["outbox"] == before["outbox"]


@pytest.mark.parametrize("sender", [TEA_HOUSE, ALIPAY, AUDITOR])
async def test_only_a_platform_creates_payments(paynet: PayNet, sender: str) -> None:
    before = await row_counts(paynet.switch.services)

    response = await post(paynet, sender, "/v1/payments", {"merchant": TEA_HOUSE, "amount": 100})

    assert_nack(response, 403, "wrong_role")
    assert (await row_counts(paynet.switch.services))["payments"] == before["payments"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "invalid_amount"),
        (-100, "invalid_amount"),
        (2**63, "invalid_amount"),
        ("100", "invalid_request"),  # a string is not money, even a numeric one
        (1.5, "invalid_request"),
        (100.0, "invalid_request"),  # nor is a float that happens to be whole
        (True, "invalid_request"),
        (None, "invalid_request"),
    ],
)
async def test_an_amount_that_is_not_a_positive_whole_number_of_fen_writes_nothing(
    paynet: PayNet, amount: Any, code: str
) -> None:
    before = await row_counts(paynet.switch.services)

    response = await post(paynet, TAOBAO, "/v1/payments", {"merchant": TEA_HOUSE, "amount": amount})

    assert_nack(response, 422, code)
    after = await row_counts(paynet.switch.services)
    for table in ("payments", "payment_refusals", "outbox", "ledger_transfers"):
        assert after[table] == before[table], table


@pytest.mark.parametrize(
    ("named", "code"),
    [
        ({"merchant": "nobody.example"}, "no_such_merchant"),
        ({"merchant": DOUYIN}, "no_such_merchant"),  # a platform, not a merchant
        ({"wallet": "nobody.example", "payer": "u-alice"}, "unknown_wallet"),
        ({"wallet": JD, "payer": "u-alice"}, "unknown_wallet"),  # a platform, not a wallet
        ({"host": "nobody.example"}, "invalid_host"),
        ({"host": ALIPAY}, "invalid_host"),  # a wallet hosts no buyers
    ],
    ids=["no-merchant", "not-a-merchant", "no-wallet", "not-a-wallet", "no-host", "not-a-host"],
)
async def test_a_party_the_body_names_that_does_not_exist_is_a_422_and_writes_nothing(
    paynet: PayNet, named: dict[str, str], code: str
) -> None:
    """The body's mistake, as at order intake: 422 with the code `POST /v1/orders` gives
    (404 is for what a path names); no payment, no refusal kept, no event: only the
    answer, kept for a resend."""
    message = {"merchant": TEA_HOUSE, "amount": 100} | named

    await refused_keeping_only_its_answer(
        paynet.switch, post(paynet, TAOBAO, "/v1/payments", message), 422, code, str(named)
    )


@pytest.mark.parametrize("wallet", ["nobody.example", JD], ids=["no-wallet", "not-a-wallet"])
async def test_a_wallet_named_at_authorization_that_does_not_exist_is_unknown_wallet(
    paynet: PayNet, wallet: str
) -> None:
    payment = await create(paynet)
    path = f"/v1/payments/{payment['id']}/authorize"

    await refused_keeping_only_its_answer(
        paynet.switch,
        post(paynet, TAOBAO, path, {"wallet": wallet, "payer": "u-bob"}),
        422,
        "unknown_wallet",
    )
    assert (await show(paynet, payment["id"]))["state"] == "created"


@pytest.mark.parametrize(
    "payer_fields", [{"wallet": ALIPAY}, {"payer": "u-alice"}], ids=["no-payer", "no-wallet"]
)
async def test_a_wallet_and_its_payer_are_named_together(
    paynet: PayNet, payer_fields: dict[str, str]
) -> None:
    before = await row_counts(paynet.switch.services)

    response = await post(
        paynet, TAOBAO, "/v1/payments", {"merchant": TEA_HOUSE, "amount": 100, **payer_fields}
    )

    assert_nack(response, 422, "invalid_payer")
    assert (await row_counts(paynet.switch.services))["payments"] == before["payments"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("pay_within", 59), ("pay_within", 30 * 86_400 + 1), ("hold_seconds", 0)],
)
async def test_deadlines_outside_a_minute_to_thirty_days_are_refused(
    paynet: PayNet, field: str, value: int
) -> None:
    response = await post(
        paynet, TAOBAO, "/v1/payments", {"merchant": TEA_HOUSE, "amount": 100, field: value}
    )

    assert_nack(response, 422, "invalid_deadline")


async def test_a_wallet_that_is_not_a_wallet_is_unknown_wallet(paynet: PayNet) -> None:
    response = await post(
        paynet,
        TAOBAO,
        "/v1/payments",
        {"merchant": TEA_HOUSE, "amount": 100, "wallet": DOUYIN, "payer": "u-alice"},
    )

    assert_nack(response, 422, "unknown_wallet")


# -- which wallets a buyer may use -------------------------------------------------------------


async def test_the_options_show_allowed_wallets_and_each_refusal_with_its_reason_and_date(
    paynet: PayNet,
) -> None:
    response = await get(paynet, DOUYIN, f"/v1/payments/options?merchant={TEA_HOUSE}&host={DOUYIN}")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "host": DOUYIN,
        "merchant": TEA_HOUSE,
        "allowed": [ALIPAY],
        "refused": [
            {
                "wallet": WECHATPAY,
                "by": TAOBAO,
                "since": "2021-10-01",
                "reason": "Taobao does not offer WeChat Pay",
                "version": 1,
            }
        ],
    }
    at_jd = await get(paynet, DOUYIN, f"/v1/payments/options?merchant={JD_BEAUTY}&host={DOUYIN}")
    assert at_jd.json()["allowed"] == [ALIPAY, WECHATPAY]
    assert at_jd.json()["refused"] == []


async def test_paying_with_a_refused_wallet_is_refused_recorded_and_reported_to_the_auditor(
    paynet: PayNet,
) -> None:
    before = await row_counts(paynet.switch.services)

    response = await post(
        paynet,
        DOUYIN,
        "/v1/payments",
        {"merchant": TEA_HOUSE, "amount": 100, "wallet": WECHATPAY, "payer": "u-bob"},
    )

    assert_nack(response, 409, "wallet_not_accepted")
    assert "since 2021-10-01" in response.json()["error"]["message"]
    assert (await row_counts(paynet.switch.services))["payments"] == before["payments"]
    async with paynet.switch.services.db.read() as conn:
        rows = (await conn.execute(select(payment_refusals))).all()
    assert [(r.by, r.wallet, r.policy_version, r.since.isoformat()) for r in rows] == [
        (TAOBAO, WECHATPAY, 1, "2021-10-01")
    ]
    [event] = await events(paynet, "on_wallet_refusal", AUDITOR)
    assert event.message == {
        "subject": rows[0].subject,
        "wallet": WECHATPAY,
        "by": TAOBAO,
        "since": "2021-10-01",
        "reason": "Taobao does not offer WeChat Pay",
        "version": 1,
    }


async def test_once_taobao_accepts_wechat_pay_the_same_payment_works_and_the_past_stays(
    paynet: PayNet,
) -> None:
    wechat_at_tea_house = {
        "merchant": TEA_HOUSE,
        "amount": 1_000,
        "wallet": WECHATPAY,
        "payer": "u-bob",
    }
    assert_nack(
        await post(paynet, DOUYIN, "/v1/payments", wechat_at_tea_house), 409, "wallet_not_accepted"
    )

    declared = await post(
        paynet,
        TAOBAO,
        "/v1/acceptance-policy",
        {"valid_from": "2024-09-27", "note": "all wallets"} | AS_HISTORY,
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["policy"]["version"] == 2

    response = await post(paynet, DOUYIN, "/v1/payments", wechat_at_tea_house)
    assert response.status_code == 201, response.text
    assert response.json()["wallets"] == {"allowed": [ALIPAY, WECHATPAY], "refused": []}
    authorize = await post(
        paynet, DOUYIN, f"/v1/payments/{response.json()['payment']['id']}/authorize", {}
    )
    assert authorize.status_code == 200, authorize.text
    assert paynet.wallet(WECHATPAY).available("u-bob") == 49_000

    in_2022 = await get(paynet, DOUYIN, f"/v1/acceptance-policy/{TAOBAO}?at=2022-01-01")
    assert in_2022.status_code == 200, in_2022.text
    assert in_2022.json()["in_force"]["version"] == 1
    assert in_2022.json()["in_force"]["refused"] == {WECHATPAY: "Taobao does not offer WeChat Pay"}
    today = await get(paynet, DOUYIN, f"/v1/acceptance-policy/{TAOBAO}")
    assert today.json()["in_force"]["version"] == 2
    assert today.json()["in_force"]["refused"] == {}
    assert [v["version"] for v in today.json()["versions"]] == [1, 2]


# -- authorizing ---------------------------------------------------------------------------------


async def test_authorizing_holds_the_amount_at_the_wallet_and_in_the_ledger(
    paynet: PayNet, clock: Clock
) -> None:
    payment = await create(paynet, amount=12_345, wallet=ALIPAY, payer="u-alice", hold_seconds=3600)
    assert await held_in_ledger(paynet) == 0

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})

    assert response.status_code == 200, response.text
    body = response.json()["payment"]
    assert (body["state"], body["wallet"]) == ("authorized", ALIPAY)
    assert body["expires_at"] == (clock.now + timedelta(seconds=3600)).isoformat()
    alipay = paynet.wallet(ALIPAY)
    assert (alipay.balance("u-alice"), alipay.available("u-alice")) == (100_000, 87_655)
    assert await held_in_ledger(paynet) == 12_345
    receivable = await account(paynet, legs.merchant_receivable(TEA_HOUSE))
    assert (receivable.credits_pending, receivable.credits_posted) == (12_345, 0)


async def test_a_wallet_chosen_only_at_authorization_is_checked_and_kept(paynet: PayNet) -> None:
    payment = await create(paynet)

    response = await post(
        paynet,
        TAOBAO,
        f"/v1/payments/{payment['id']}/authorize",
        {"wallet": ALIPAY, "payer": "u-bob"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["payment"]["wallet"] == ALIPAY
    assert paynet.wallet(ALIPAY).available("u-bob") == 40_000


async def test_authorizing_with_a_wallet_the_merchants_platform_refuses_asks_no_wallet(
    paynet: PayNet,
) -> None:
    payment = await create(paynet)

    response = await post(
        paynet,
        TAOBAO,
        f"/v1/payments/{payment['id']}/authorize",
        {"wallet": WECHATPAY, "payer": "u-bob"},
    )

    assert_nack(response, 409, "wallet_not_accepted")
    assert calls(paynet, WECHATPAY, "authorize") == []


async def test_authorizing_without_a_wallet_says_which_is_missing(paynet: PayNet) -> None:
    payment = await create(paynet)

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})

    assert_nack(response, 422, "invalid_payer")


async def test_another_wallet_than_the_one_named_at_creation_is_a_mismatch(paynet: PayNet) -> None:
    payment = await create(paynet, merchant=JD_BEAUTY, wallet=ALIPAY, payer="u-alice")

    response = await post(
        paynet,
        JD,
        f"/v1/payments/{payment['id']}/authorize",
        {"wallet": WECHATPAY, "payer": "u-bob"},
    )

    assert_nack(response, 409, "wallet_mismatch")


@pytest.mark.parametrize(
    ("payer", "code"),
    [
        ("u-poor", "insufficient_funds"),
        ("u-cancels", "user_cancelled"),
        ("u-nobody", "unknown_account"),
    ],
)
async def test_a_wallet_that_declines_leaves_the_payment_created_and_holds_nothing(
    paynet: PayNet, payer: str, code: str
) -> None:
    alipay = paynet.wallet(ALIPAY)
    alipay.balances["u-cancels"] = 100_000
    alipay.cancelling.add("u-cancels")
    payment = await create(paynet, amount=1_000, wallet=ALIPAY, payer=payer)

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})

    assert_nack(response, 409, code)
    assert (await show(paynet, payment["id"]))["state"] == "created"
    assert alipay.holds == {}
    assert await held_in_ledger(paynet) == 0
    assert [e.message["state"] for e in await events(paynet, "on_payment", TAOBAO)] == ["created"]


async def test_authorizing_twice_is_already_authorized_and_holds_once(paynet: PayNet) -> None:
    payment = await authorized(paynet, 10_000)

    again = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})

    assert_nack(again, 409, "already_authorized")
    assert len(calls(paynet, ALIPAY, "authorize")) == 1
    assert paynet.wallet(ALIPAY).available("u-alice") == 90_000
    assert await held_in_ledger(paynet) == 10_000


async def test_a_platform_that_is_not_a_party_cannot_authorize(paynet: PayNet) -> None:
    payment = await create(paynet, wallet=ALIPAY, payer="u-alice")

    response = await post(paynet, JD, f"/v1/payments/{payment['id']}/authorize", {})

    assert_nack(response, 403, "not_a_party")
    assert calls(paynet, ALIPAY, "authorize") == []


class TestAWalletThatDoesNotAnswerInTime:
    """The switch waits 0.6 s for a wallet, once; a slow wallet answers after 1.2 s.

    (Long enough that a wallet answering at once is never late on a loaded CI machine.)
    """

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(wallet_call_timeout=0.6, wallet_call_attempts=1)

    async def test_is_a_timeout_and_a_retry_of_the_same_request_authorizes_exactly_once(
        self, paynet: PayNet
    ) -> None:
        alipay = paynet.wallet(ALIPAY)
        payment = await create(paynet, amount=7_000, wallet=ALIPAY, payer="u-alice")
        request = envelope({}, message_id="authorize-once")
        path = f"/v1/payments/{payment['id']}/authorize"
        alipay.fail["authorize"], alipay.delay = "slow", 1.2

        timed_out = await send(paynet, TAOBAO, path, request)

        assert_nack(timed_out, 502, "participant_timeout")
        assert (await show(paynet, payment["id"]))["state"] == "created"
        assert await held_in_ledger(paynet) == 0

        del alipay.fail["authorize"]  # the wallet recovers (it did hold, late)
        retried = await send(paynet, TAOBAO, path, request)

        assert retried.status_code == 200, retried.text
        assert retried.json()["payment"]["state"] == "authorized"
        first, second = calls(paynet, ALIPAY, "authorize")
        assert first == second  # asked again under the same id: the wallet dedupes
        assert list(alipay.holds) == [payment["id"]]
        assert alipay.available("u-alice") == 93_000
        assert await held_in_ledger(paynet) == 7_000

        replayed = await send(paynet, TAOBAO, path, request)
        assert replayed.headers["x-hutong-replay"] == "true"
        assert replayed.content == retried.content
        assert len(calls(paynet, ALIPAY, "authorize")) == 2  # the answer was stored: not asked

    async def test_a_capture_the_wallet_did_not_answer_leaves_the_hold_and_can_be_retried(
        self, paynet: PayNet
    ) -> None:
        alipay = paynet.wallet(ALIPAY)
        payment = await authorized(paynet, 10_000)
        request = envelope({"amount": 4_000})
        path = f"/v1/payments/{payment['id']}/capture"
        alipay.fail["capture"], alipay.delay = "slow", 1.2

        assert_nack(await send(paynet, TAOBAO, path, request), 502, "participant_timeout")
        assert (await show(paynet, payment["id"]))["state"] == "authorized"

        del alipay.fail["capture"]
        retried = await send(paynet, TAOBAO, path, request)

        assert retried.status_code == 200, retried.text
        assert retried.json()["payment"]["captured"] == 4_000
        assert alipay.balance("u-alice") == 96_000
        assert (await account(paynet, legs.wallet_position(ALIPAY))).debits_posted == 4_000

    async def test_a_capture_that_timed_out_is_not_recorded_for_another_amount_than_taken(
        self, paynet: PayNet
    ) -> None:
        """The wallet took 4,000 late; a new request for 5,000 must not book 5,000."""
        alipay = paynet.wallet(ALIPAY)
        payment = await authorized(paynet, 10_000)
        path = f"/v1/payments/{payment['id']}/capture"
        alipay.fail["capture"], alipay.delay = "slow", 1.2
        assert_nack(await post(paynet, TAOBAO, path, {"amount": 4_000}), 502, "participant_timeout")
        del alipay.fail["capture"]
        await eventually(lambda: payment["id"] in alipay.captured)  # the wallet took it, late
        assert alipay.captured == {payment["id"]: 4_000}

        other = await post(paynet, TAOBAO, path, {"amount": 5_000})

        assert_nack(other, 409, "already_captured")
        assert (await show(paynet, payment["id"]))["captured"] == 0
        assert (await account(paynet, legs.wallet_position(ALIPAY))).debits_posted == 0
        same = await post(paynet, TAOBAO, path, {"amount": 4_000})
        assert same.status_code == 200, same.text
        assert same.json()["payment"]["captured"] == 4_000
        assert alipay.balance("u-alice") == 96_000
        assert (await account(paynet, legs.wallet_position(ALIPAY))).debits_posted == 4_000

    async def test_a_refund_that_timed_out_is_not_recorded_for_another_amount_than_given(
        self, paynet: PayNet
    ) -> None:
        alipay = paynet.wallet(ALIPAY)
        payment = await captured(paynet, 10_000)
        path = f"/v1/payments/{payment['id']}/refunds"
        alipay.fail["refund"], alipay.delay = "slow", 1.2
        timed_out = await post(paynet, TEA_HOUSE, path, {"amount": 2_000, "refund_id": "r-1"})
        assert_nack(timed_out, 502, "participant_timeout")
        del alipay.fail["refund"]
        await eventually(lambda: alipay.balance("u-alice") == 92_000)  # refunded, late

        other = await post(paynet, TEA_HOUSE, path, {"amount": 3_000, "refund_id": "r-1"})

        assert_nack(other, 409, "refund_id_reused")
        assert (await show(paynet, payment["id"]))["refunded"] == 0
        same = await post(paynet, TEA_HOUSE, path, {"amount": 2_000, "refund_id": "r-1"})
        assert same.status_code == 200, same.text
        assert same.json()["payment"]["refunded"] == 2_000
        assert alipay.balance("u-alice") == 92_000
        receivable = await account(paynet, legs.merchant_receivable(TEA_HOUSE))
        assert receivable.balance == 10_000 - 60 - 2_000 + 12  # 12 = 60 * 2000 // 10000 back


# -- capturing -----------------------------------------------------------------------------------


async def test_a_full_capture_moves_the_money_and_charges_the_wallets_fee(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000)

    assert (payment["state"], payment["captured"], payment["fee"]) == ("captured", 10_000, 60)
    alipay = paynet.wallet(ALIPAY)
    assert (alipay.balance("u-alice"), alipay.holds) == (90_000, {})
    position = await account(paynet, legs.wallet_position(ALIPAY))
    receivable = await account(paynet, legs.merchant_receivable(TEA_HOUSE))
    fees = await account(paynet, legs.wallet_fees(ALIPAY))
    assert (position.debits_pending, position.debits_posted) == (0, 10_000)
    assert (receivable.credits_pending, receivable.balance) == (0, 10_000 - 60)
    assert fees.balance == 60


async def test_a_partial_capture_releases_the_rest_at_the_wallet_and_in_the_ledger(
    paynet: PayNet,
) -> None:
    payment = await captured(paynet, 10_000, part=6_000)

    assert (payment["state"], payment["captured"], payment["fee"]) == ("captured", 6_000, 36)
    alipay = paynet.wallet(ALIPAY)
    assert (alipay.balance("u-alice"), alipay.available("u-alice"), alipay.holds) == (
        94_000,
        94_000,
        {},
    )
    position = await account(paynet, legs.wallet_position(ALIPAY))
    assert (position.debits_pending, position.debits_posted) == (0, 6_000)


async def test_a_second_capture_is_already_captured(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000, part=3_000)

    again = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/capture", {"amount": 3_000})

    assert_nack(again, 409, "already_captured")
    assert len(calls(paynet, ALIPAY, "capture")) == 1
    assert paynet.wallet(ALIPAY).balance("u-alice") == 97_000


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (10_001, 409, "capture_exceeds_authorized"),
        (0, 422, "invalid_amount"),
        (-1, 422, "invalid_amount"),
        ("10", 422, "invalid_request"),
    ],
)
async def test_a_capture_of_a_wrong_amount_is_refused_before_asking_the_wallet(
    paynet: PayNet, amount: Any, status: int, code: str
) -> None:
    payment = await authorized(paynet, 10_000)

    response = await post(
        paynet, TAOBAO, f"/v1/payments/{payment['id']}/capture", {"amount": amount}
    )

    assert_nack(response, status, code)
    assert calls(paynet, ALIPAY, "capture") == []
    assert (await show(paynet, payment["id"]))["state"] == "authorized"
    assert await held_in_ledger(paynet) == 10_000


async def test_a_capture_after_the_hold_ended_is_hold_expired(paynet: PayNet, clock: Clock) -> None:
    payment = await authorized(paynet, 10_000, hold_seconds=3_600)
    clock.advance(3_600)

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/capture", {})

    assert_nack(response, 409, "hold_expired")
    assert calls(paynet, ALIPAY, "capture") == []
    assert paynet.wallet(ALIPAY).balance("u-alice") == 100_000


async def test_a_capture_retried_with_its_message_id_is_answered_again_without_the_wallet(
    paynet: PayNet,
) -> None:
    payment = await authorized(paynet, 10_000)
    request = envelope({"amount": 8_000})
    path = f"/v1/payments/{payment['id']}/capture"

    first = await send(paynet, TAOBAO, path, request)
    again = await send(paynet, TAOBAO, path, request)

    assert first.status_code == again.status_code == 200, first.text
    assert "x-hutong-replay" not in first.headers
    assert again.headers["x-hutong-replay"] == "true"
    assert again.content == first.content
    assert len(calls(paynet, ALIPAY, "capture")) == 1
    assert paynet.wallet(ALIPAY).balance("u-alice") == 92_000
    assert (await account(paynet, legs.wallet_position(ALIPAY))).debits_posted == 8_000


async def test_the_same_message_id_with_another_capture_amount_is_a_conflict(
    paynet: PayNet,
) -> None:
    payment = await authorized(paynet, 10_000)
    path = f"/v1/payments/{payment['id']}/capture"
    first = await post(paynet, TAOBAO, path, {"amount": 8_000}, message_id="cap-1")
    assert first.status_code == 200, first.text

    other = await post(paynet, TAOBAO, path, {"amount": 9_000}, message_id="cap-1")

    assert_nack(other, 409, "message_id_conflict")
    assert (await show(paynet, payment["id"]))["captured"] == 8_000


async def test_the_merchant_may_capture_its_own_payment(paynet: PayNet) -> None:
    payment = await authorized(paynet, 10_000)

    response = await post(paynet, TEA_HOUSE, f"/v1/payments/{payment['id']}/capture", {})

    assert response.status_code == 200, response.text
    assert response.json()["payment"]["state"] == "captured"


# -- voiding -------------------------------------------------------------------------------------


async def test_a_created_payment_is_voided_without_asking_a_wallet(paynet: PayNet) -> None:
    payment = await create(paynet, wallet=ALIPAY, payer="u-alice")

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/void", {})

    assert response.status_code == 200, response.text
    assert response.json()["payment"]["state"] == "voided"
    assert calls(paynet, ALIPAY, "void") == []
    authorize = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/authorize", {})
    assert_nack(authorize, 409, "already_voided")
    assert calls(paynet, ALIPAY, "authorize") == []


async def test_voiding_an_authorized_payment_releases_the_hold_everywhere(paynet: PayNet) -> None:
    payment = await authorized(paynet, 10_000)

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/void", {})

    assert response.status_code == 200, response.text
    assert response.json()["payment"]["state"] == "voided"
    alipay = paynet.wallet(ALIPAY)
    assert (alipay.holds, alipay.available("u-alice")) == ({}, 100_000)
    position = await account(paynet, legs.wallet_position(ALIPAY))
    assert (position.debits_pending, position.debits_posted) == (0, 0)
    assert_nack(
        await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/void", {}), 409, "already_voided"
    )
    capture = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/capture", {})
    assert_nack(capture, 409, "already_voided")
    assert calls(paynet, ALIPAY, "capture") == []


async def test_a_payment_that_moves_while_its_wallet_holds_is_not_held_in_the_ledger(
    paynet: PayNet,
) -> None:
    """The hold's write finds the payment no longer created (here another writer voided
    it after the wallet was asked): refused for what it is now, nothing held."""
    payment = await create(paynet, amount=7_000, wallet=ALIPAY, payer="u-alice")
    services = paynet.switch.services
    write = await checkout.authorize(
        services, call_transport(), TAOBAO, payment["id"], attempt="a-1"
    )
    async with services.db.transaction() as conn:  # the other writer
        await checkout_store.update_payment(conn, payment["id"], state=PaymentState.VOIDED)

    with pytest.raises(HutongError) as refused:
        await services.batcher().run(write)

    assert refused.value.code == "already_voided"
    assert (await show(paynet, payment["id"]))["state"] == "voided"
    assert await held_in_ledger(paynet) == 0


async def test_a_payment_that_moves_while_its_wallet_captures_is_not_captured_in_the_ledger(
    paynet: PayNet,
) -> None:
    """The capture's write finds the payment no longer authorized (here another writer
    voided it after the wallet was asked): refused for what it is now, nothing posted."""
    payment = await authorized(paynet, 10_000)
    services = paynet.switch.services
    write = await checkout.capture(services, call_transport(), TAOBAO, payment["id"], None)
    async with services.db.transaction() as conn:  # the other writer
        await checkout_store.update_payment(conn, payment["id"], state=PaymentState.VOIDED)

    with pytest.raises(HutongError) as refused:
        await services.batcher().run(write)

    assert refused.value.code == "already_voided"
    assert (await show(paynet, payment["id"]))["state"] == "voided"
    position = await account(paynet, legs.wallet_position(ALIPAY))
    assert position.debits_posted == 0


async def test_a_captured_payment_cannot_be_voided(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000)

    response = await post(paynet, TAOBAO, f"/v1/payments/{payment['id']}/void", {})

    assert_nack(response, 409, "already_captured")
    assert calls(paynet, ALIPAY, "void") == []
    assert (await show(paynet, payment["id"]))["state"] == "captured"
    assert paynet.wallet(ALIPAY).balance("u-alice") == 90_000


# -- refunding -----------------------------------------------------------------------------------


async def test_partial_refunds_give_back_the_fee_in_proportion_and_exactly_in_total(
    paynet: PayNet,
) -> None:
    payment = await captured(paynet, 10_000)
    assert payment["fee"] == 60
    path = f"/v1/payments/{payment['id']}/refunds"
    seen = []
    for amount in (3_333, 3_333, 3_334):
        response = await post(paynet, TEA_HOUSE, path, {"amount": amount})
        assert response.status_code == 200, response.text
        body = response.json()["payment"]
        seen.append((body["state"], body["refunded"], body["fee_returned"]))

    assert seen == [
        ("partially_refunded", 3_333, 19),  # 60 * 3333 // 10000
        ("partially_refunded", 6_666, 39),
        ("refunded", 10_000, 60),
    ]
    async with paynet.switch.services.db.read() as conn:
        rows = (await conn.execute(select(payment_refunds))).all()
    assert sorted(r.fee_returned for r in rows) == [19, 20, 21]
    assert sum(r.fee_returned for r in rows) == 60
    assert paynet.wallet(ALIPAY).balance("u-alice") == 100_000
    for account_id in (
        legs.wallet_position(ALIPAY),
        legs.wallet_fees(ALIPAY),
        legs.merchant_receivable(TEA_HOUSE),
    ):
        assert (await account(paynet, account_id)).balance == 0, account_id
    more = await post(paynet, TEA_HOUSE, path, {"amount": 1})
    assert_nack(more, 409, "already_refunded")


async def test_refunds_beyond_what_was_captured_are_refused(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000, part=6_000)
    path = f"/v1/payments/{payment['id']}/refunds"
    assert (await post(paynet, TEA_HOUSE, path, {"amount": 5_000})).status_code == 200

    response = await post(paynet, TEA_HOUSE, path, {"amount": 1_001})

    assert_nack(response, 409, "refund_exceeds_captured")
    assert len(calls(paynet, ALIPAY, "refund")) == 1
    assert (await show(paynet, payment["id"]))["refunded"] == 5_000
    assert paynet.wallet(ALIPAY).balance("u-alice") == 99_000


@pytest.mark.parametrize(("amount", "code"), [(0, "invalid_amount"), (-5, "invalid_amount")])
async def test_a_refund_of_no_money_is_invalid(paynet: PayNet, amount: int, code: str) -> None:
    payment = await captured(paynet, 10_000)

    response = await post(
        paynet, TEA_HOUSE, f"/v1/payments/{payment['id']}/refunds", {"amount": amount}
    )

    assert_nack(response, 422, code)
    assert calls(paynet, ALIPAY, "refund") == []


async def test_a_refund_before_capture_is_not_captured(paynet: PayNet) -> None:
    payment = await authorized(paynet, 10_000)

    response = await post(
        paynet, TEA_HOUSE, f"/v1/payments/{payment['id']}/refunds", {"amount": 100}
    )

    assert_nack(response, 409, "not_captured")
    assert calls(paynet, ALIPAY, "refund") == []


async def test_the_same_refund_id_twice_refunds_once(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000)
    path = f"/v1/payments/{payment['id']}/refunds"

    first = await post(paynet, TEA_HOUSE, path, {"amount": 2_000, "refund_id": "r-1"})
    second = await post(paynet, TEA_HOUSE, path, {"amount": 2_000, "refund_id": "r-1"})

    assert first.status_code == second.status_code == 200, second.text
    assert first.json()["refund_id"] == second.json()["refund_id"] == "r-1"
    assert second.json()["payment"]["refunded"] == 2_000
    assert len(calls(paynet, ALIPAY, "refund")) == 1
    assert paynet.wallet(ALIPAY).balance("u-alice") == 92_000
    assert (await account(paynet, legs.merchant_receivable(TEA_HOUSE))).debits_posted == (
        60 + 2_000
    )


async def test_the_same_refund_id_with_another_amount_is_refund_id_reused(paynet: PayNet) -> None:
    payment = await captured(paynet, 10_000)
    path = f"/v1/payments/{payment['id']}/refunds"
    assert (
        await post(paynet, TEA_HOUSE, path, {"amount": 2_000, "refund_id": "r-1"})
    ).status_code == 200

    response = await post(paynet, TEA_HOUSE, path, {"amount": 3_000, "refund_id": "r-1"})

    assert_nack(response, 409, "refund_id_reused")
    assert (await show(paynet, payment["id"]))["refunded"] == 2_000
    assert len(calls(paynet, ALIPAY, "refund")) == 1


# -- deadlines -----------------------------------------------------------------------------------


@pytest.fixture
async def delivery(paynet: PayNet) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(paynet.switch.services)
    yield worker
    await worker.close()


async def test_the_sweep_expires_late_payments_releases_holds_and_tells_everyone(
    paynet: PayNet, clock: Clock, delivery: DeliveryWorker
) -> None:
    unpaid = await create(paynet, pay_within=60)
    held = await authorized(paynet, 10_000, hold_seconds=3_600)
    fresh = await create(paynet, pay_within=7_200)
    assert paynet.wallet(ALIPAY).holds.keys() == {held["id"]}

    clock.advance(59)
    assert (await sweep_once(paynet.switch.services))["payments"] == 0
    clock.advance(3_600 - 59)
    counts = await sweep_once(paynet.switch.services)

    assert counts["payments"] == 2
    assert (await show(paynet, unpaid["id"]))["state"] == "expired"
    assert (await show(paynet, held["id"]))["state"] == "expired"
    assert (await show(paynet, fresh["id"]))["state"] == "created"
    assert await held_in_ledger(paynet) == 0
    assert (await account(paynet, legs.wallet_position(ALIPAY))).debits_posted == 0

    await delivery.drain()

    alipay = paynet.wallet(ALIPAY)
    assert (alipay.holds, alipay.available("u-alice")) == ({}, 100_000)
    for party in (TAOBAO, TEA_HOUSE):
        states = {
            (e["message"]["id"], e["message"]["state"])
            for e in paynet.world.inbox(party).events
            if e["context"]["action"] == "on_payment"
        }
        assert {(unpaid["id"], "expired"), (held["id"], "expired")} <= states, party
    assert (await sweep_once(paynet.switch.services))["payments"] == 0
    late = await post(paynet, TAOBAO, f"/v1/payments/{unpaid['id']}/authorize", {})
    assert_nack(late, 409, "payment_expired")


# -- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [TAOBAO, TEA_HOUSE, DOUYIN, ALIPAY, AUDITOR])
async def test_a_payment_is_read_by_its_parties_its_wallet_and_auditors(
    paynet: PayNet, reader: str
) -> None:
    payment = await create(paynet, host=DOUYIN, wallet=ALIPAY, payer="u-alice")

    response = await get(paynet, reader, f"/v1/payments/{payment['id']}")

    assert response.status_code == 200, response.text
    assert response.json()["payment"] == payment
    assert "payer" not in response.json()["payment"]  # the wallet's account stays private


@pytest.mark.parametrize("reader", [JD, JD_BEAUTY, WECHATPAY])
async def test_a_payment_is_not_read_by_anyone_else(paynet: PayNet, reader: str) -> None:
    payment = await create(paynet, wallet=ALIPAY, payer="u-alice")

    response = await get(paynet, reader, f"/v1/payments/{payment['id']}")

    assert_nack(response, 403, "not_a_party")


async def test_an_unknown_payment_is_unknown_payment(paynet: PayNet) -> None:
    assert_nack(await get(paynet, TAOBAO, "/v1/payments/pay_nothing"), 404, "unknown_payment")
