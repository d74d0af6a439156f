"""Reference wallets and membership programs, as the switch meets them over HTTP.

The switch asks a wallet to authorize, capture, void and refund payments and to
reserve and confirm wallet-to-wallet transfers; it asks a membership program to
issue a benefit. Each call is signed by the switch and each answer is signed by
the desk's own key, refusals included. A desk deduplicates by the switch's
message id: a retry gets the very same answer and nothing happens twice. The
switch's events then finish what the calls began: a committed transfer moves
the money, a released one gives the hold back, a cancelled exchange revokes the
benefit.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hutong.client import verify_event
from hutong.protocol.envelope import beckn_request_envelope, event_envelope, named_uri
from hutong.protocol.ids import new_id
from hutong.protocol.signing import KeyPair, Signer, new_key_pair
from hutong.world.reference import CarrierDesk, ReferenceWorld, reference_app
from hutong.world.reference_server import world_from_config
from hutong.world.serving import free_port, serve_asgi
from hutong.world.wallets import ProgramDesk, WalletDesk

SWITCH_ID = "hutong.switch"
ALIPAY = "alipay.example"
WECHAT = "wechat-pay.example"
TENCENT = "tencent-video.example"


@dataclass
class Answer:
    """A desk's answer whose signature was checked with the desk's public key."""

    status: int
    document: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = self.document["message"]
        return message

    @property
    def code(self) -> str | None:
        error = self.document.get("error")
        return str(error["code"]) if error else None


@dataclass
class Desks:
    world: ReferenceWorld
    url: str
    http: httpx.AsyncClient
    switch: Signer
    keys: dict[str, KeyPair]

    @property
    def alipay(self) -> WalletDesk:
        return self.world.wallets[ALIPAY]

    @property
    def wechat(self) -> WalletDesk:
        return self.world.wallets[WECHAT]

    @property
    def tencent(self) -> ProgramDesk:
        return self.world.programs[TENCENT]

    async def post(
        self,
        to: str,
        action: str,
        message: dict[str, Any],
        *,
        message_id: str | None = None,
        signer: Signer | None = None,
        timeout: float = 5.0,
    ) -> httpx.Response:
        """POST a decision call exactly as `hutong.net.calls.call` does."""
        envelope = beckn_request_envelope(
            message,
            message_id=message_id or new_id("msg"),
            action=action,
            sender=SWITCH_ID,
            sender_uri=named_uri(SWITCH_ID),
            recipient=to,
            recipient_uri=f"{self.url}/cb/{to}",
            ttl_seconds=70,
        )
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        created = int(time.time())
        authorization = (signer or self.switch).authorization(body, created, created + 60)
        return await self.http.post(
            f"{self.url}/cb/{to}/{action}",
            content=body,
            headers={"content-type": "application/json", "authorization": authorization},
            timeout=timeout,
        )

    async def call(
        self,
        to: str,
        action: str,
        message: dict[str, Any],
        *,
        message_id: str | None = None,
        signer: Signer | None = None,
    ) -> Answer:
        """A decision call whose answer must carry the desk's signature."""
        response = await self.post(to, action, message, message_id=message_id, signer=signer)
        document = verify_event(
            response.content,
            response.headers.get("authorization", ""),
            self.keys[to].public_key,
            switch_id=to,
        )
        return Answer(response.status_code, document)

    async def event(self, to: str, action: str, message: dict[str, Any]) -> None:
        """Deliver an event signed by the switch, as its outbox does."""
        message_id = new_id("evt")
        envelope = event_envelope(
            action=action,
            message_id=message_id,
            transaction_id=message_id,
            sender=SWITCH_ID,
            sender_uri=named_uri(SWITCH_ID),
            recipient=to,
            recipient_uri=named_uri(to),
            message=message,
            created_at=datetime.now(UTC),
            ttl_seconds=86_400,
        )
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        created = int(time.time())
        response = await self.http.post(
            f"{self.url}/cb/{to}",
            content=body,
            headers={
                "content-type": "application/json",
                "authorization": self.switch.authorization(body, created, created + 60),
            },
        )
        assert response.status_code == 200


def signer_for(subscriber_id: str, keys: dict[str, KeyPair]) -> Signer:
    keys[subscriber_id] = new_key_pair()
    return Signer(subscriber_id, "k1", keys[subscriber_id].private_key)


@pytest.fixture
async def desks() -> AsyncIterator[Desks]:
    switch_key = new_key_pair()
    keys: dict[str, KeyPair] = {}
    world = ReferenceWorld(switch_public_key=switch_key.public_key, switch_id=SWITCH_ID)
    world.wallets[ALIPAY] = WalletDesk(
        signer=signer_for(ALIPAY, keys), balances={"ali-1": 10_000, "ali-2": 500}
    )
    world.wallets[WECHAT] = WalletDesk(
        signer=signer_for(WECHAT, keys), balances={"wx-1": 2_000, "wx-2": 0}
    )
    world.programs[TENCENT] = ProgramDesk(signer=signer_for(TENCENT, keys), members={"m-1"})
    switch = Signer(SWITCH_ID, "sk1", switch_key.private_key)
    async with serve_asgi(reference_app(world)) as url, httpx.AsyncClient() as http:
        yield Desks(world, url, http, switch, keys)


def authorize(payment_id: str, amount: int, payer: str = "ali-1") -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "payer": payer,
        "amount": amount,
        "merchant": "shop.example",
        "kind": "purchase",
    }


async def captured(desks: Desks, payment_id: str, amount: int) -> None:
    """A payment of `amount` authorized and captured whole from ali-1."""
    assert (await desks.call(ALIPAY, "authorize", authorize(payment_id, amount))).status == 200
    capture = {"payment_id": payment_id, "amount": amount}
    assert (await desks.call(ALIPAY, "capture", capture)).status == 200


# --- authorize -----------------------------------------------------------------


async def test_authorize_holds_the_amount_and_answers_signed(desks: Desks) -> None:
    answer = await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))

    assert answer.status == 200
    assert answer.message == {
        "ack": {"status": "ACK"},
        "authorization": "auth-pay-1",
        "held": 3_000,
    }
    assert desks.alipay.balance("ali-1") == 10_000, "a hold does not move money"
    assert desks.alipay.available("ali-1") == 7_000


async def test_authorize_refuses_an_unknown_payer(desks: Desks) -> None:
    answer = await desks.call(ALIPAY, "authorize", authorize("pay-1", 100, payer="nobody"))

    assert (answer.status, answer.code) == (422, "unknown_account")
    assert answer.message == {"ack": {"status": "NACK"}}


async def test_authorize_refuses_when_the_user_cancels(desks: Desks) -> None:
    desks.alipay.cancelling.add("ali-1")

    answer = await desks.call(ALIPAY, "authorize", authorize("pay-1", 100))

    assert (answer.status, answer.code) == (409, "user_cancelled")
    assert desks.alipay.available("ali-1") == 10_000


async def test_authorize_counts_earlier_holds_against_the_balance(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 6_000))

    too_much = await desks.call(ALIPAY, "authorize", authorize("pay-2", 4_001))
    just_enough = await desks.call(ALIPAY, "authorize", authorize("pay-3", 4_000))

    assert (too_much.status, too_much.code) == (409, "insufficient_funds")
    assert just_enough.status == 200
    assert desks.alipay.available("ali-1") == 0


async def test_a_second_authorize_of_one_payment_does_not_hold_twice(desks: Desks) -> None:
    first = await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))
    again = await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))

    assert first.document == again.document
    assert desks.alipay.available("ali-1") == 7_000


async def test_a_malformed_message_is_refused_as_invalid(desks: Desks) -> None:
    answer = await desks.call(ALIPAY, "authorize", authorize("pay-1", -5))

    assert (answer.status, answer.code) == (422, "invalid_request")
    assert desks.alipay.available("ali-1") == 10_000


# --- retries: the same message id ---------------------------------------------


async def test_a_retry_gets_the_same_answer_and_nothing_happens_twice(desks: Desks) -> None:
    await captured(desks, "pay-1", 1_000)
    refund = {"payment_id": "pay-1", "refund_id": "r-1", "amount": 400}

    first = await desks.call(ALIPAY, "refund", refund, message_id="msg-refund")
    retry = await desks.call(ALIPAY, "refund", refund, message_id="msg-refund")

    assert first == retry
    assert desks.alipay.balance("ali-1") == 10_000 - 1_000 + 400


async def test_a_retry_of_a_refusal_is_refused_again(desks: Desks) -> None:
    first = await desks.call(ALIPAY, "authorize", authorize("pay-1", 20_000), message_id="m-1")
    desks.alipay.balances["ali-1"] = 50_000

    retry = await desks.call(ALIPAY, "authorize", authorize("pay-1", 20_000), message_id="m-1")
    fresh = await desks.call(ALIPAY, "authorize", authorize("pay-1", 20_000), message_id="m-2")

    assert (first.status, first.code) == (retry.status, retry.code) == (409, "insufficient_funds")
    assert fresh.status == 200, "a new message id is a new question"


# --- capture, void ---------------------------------------------------------------


async def test_capture_takes_part_of_the_hold_and_releases_the_rest(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))

    answer = await desks.call(ALIPAY, "capture", {"payment_id": "pay-1", "amount": 2_500})

    assert answer.status == 200
    assert answer.message["captured"] == 2_500
    assert desks.alipay.balance("ali-1") == 7_500
    assert desks.alipay.available("ali-1") == 7_500, "the 500 left is no longer held"
    assert desks.alipay.captured == {"pay-1": 2_500}


async def test_capture_refusals(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))

    never_held = await desks.call(ALIPAY, "capture", {"payment_id": "pay-9", "amount": 1})
    too_much = await desks.call(ALIPAY, "capture", {"payment_id": "pay-1", "amount": 3_001})

    assert (never_held.status, never_held.code) == (409, "not_authorized")
    assert (too_much.status, too_much.code) == (409, "capture_exceeds_authorized")
    assert desks.alipay.balance("ali-1") == 10_000


async def test_capture_again_acks_the_same_amount_and_refuses_another(desks: Desks) -> None:
    await captured(desks, "pay-1", 1_000)

    same = await desks.call(ALIPAY, "capture", {"payment_id": "pay-1", "amount": 1_000})
    other = await desks.call(ALIPAY, "capture", {"payment_id": "pay-1", "amount": 900})

    assert same.status == 200
    assert same.message["captured"] == 1_000
    assert (other.status, other.code) == (409, "already_captured")
    assert desks.alipay.balance("ali-1") == 9_000, "captured once"


async def test_void_releases_the_hold_and_may_be_repeated(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 3_000))

    first = await desks.call(ALIPAY, "void", {"payment_id": "pay-1"})
    second = await desks.call(ALIPAY, "void", {"payment_id": "pay-1"})
    unknown = await desks.call(ALIPAY, "void", {"payment_id": "pay-never"})

    for answer in (first, second, unknown):
        assert answer.status == 200
        assert answer.message["voided"] is True
    assert desks.alipay.available("ali-1") == 10_000
    capture = await desks.call(ALIPAY, "capture", {"payment_id": "pay-1", "amount": 1})
    assert capture.code == "not_authorized"


async def test_void_after_capture_is_refused(desks: Desks) -> None:
    await captured(desks, "pay-1", 1_000)

    answer = await desks.call(ALIPAY, "void", {"payment_id": "pay-1"})

    assert (answer.status, answer.code) == (409, "already_captured")
    assert desks.alipay.balance("ali-1") == 9_000


async def test_the_switch_voiding_or_expiring_a_payment_releases_its_hold(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 1_000))
    await desks.call(ALIPAY, "authorize", authorize("pay-2", 2_000))

    await desks.event(ALIPAY, "on_payment", {"payment_id": "pay-1", "state": "voided"})
    await desks.event(ALIPAY, "on_payment", {"payment_id": "pay-2", "state": "expired"})

    assert desks.alipay.available("ali-1") == 10_000
    assert desks.world.inbox(ALIPAY).actions() == ["on_payment", "on_payment"]


async def test_a_payment_released_by_the_switch_frees_a_late_hold_and_is_never_held_again(
    desks: Desks,
) -> None:
    """The switch gave up on this wallet's authorize and the payment was paid otherwise."""
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 1_000))
    released = {"payment_id": "pay-1", "reason": "paid_with_another_wallet"}

    await desks.event(ALIPAY, "on_payment_released", released)
    await desks.event(ALIPAY, "on_payment_released", released)  # a second time changes nothing
    await desks.event(ALIPAY, "on_payment_released", released | {"payment_id": "pay-never"})
    late = await desks.call(ALIPAY, "authorize", authorize("pay-1", 1_000))

    assert (late.status, late.code) == (409, "payment_released")
    assert desks.alipay.holds == {}
    assert desks.alipay.available("ali-1") == 10_000


# --- refunds ---------------------------------------------------------------------


async def test_refunds_give_money_back_up_to_what_was_captured(desks: Desks) -> None:
    await captured(desks, "pay-1", 1_000)

    first = await desks.call(
        ALIPAY, "refund", {"payment_id": "pay-1", "refund_id": "r-1", "amount": 600}
    )
    too_much = await desks.call(
        ALIPAY, "refund", {"payment_id": "pay-1", "refund_id": "r-2", "amount": 401}
    )
    rest = await desks.call(
        ALIPAY, "refund", {"payment_id": "pay-1", "refund_id": "r-3", "amount": 400}
    )

    assert first.message["refunded"] == 600
    assert (too_much.status, too_much.code) == (409, "refund_exceeds_captured")
    assert rest.message["refunded"] == 400
    assert desks.alipay.balance("ali-1") == 10_000


async def test_the_same_refund_id_is_acknowledged_once(desks: Desks) -> None:
    await captured(desks, "pay-1", 1_000)
    refund = {"payment_id": "pay-1", "refund_id": "r-1", "amount": 300}

    first = await desks.call(ALIPAY, "refund", refund)
    again = await desks.call(ALIPAY, "refund", refund)

    assert first.document == again.document
    assert desks.alipay.balance("ali-1") == 9_300


async def test_a_refund_before_capture_is_refused(desks: Desks) -> None:
    await desks.call(ALIPAY, "authorize", authorize("pay-1", 1_000))

    answer = await desks.call(
        ALIPAY, "refund", {"payment_id": "pay-1", "refund_id": "r-1", "amount": 1}
    )

    assert (answer.status, answer.code) == (409, "not_captured")


# --- wallet-to-wallet transfers --------------------------------------------------


async def reserve_and_confirm(desks: Desks, transfer_id: str, total: int, credit: int) -> None:
    """ali-1 (Alipay) sends to wx-2 (WeChat Pay): `total` debited incl. fee, `credit` credited."""
    reserve = {"transfer_id": transfer_id, "payer": "ali-1", "amount": total}
    confirm = {"transfer_id": transfer_id, "payee": "wx-2", "amount": credit}
    assert (await desks.call(ALIPAY, "reserve", reserve)).message["reserved"] == total
    assert (await desks.call(WECHAT, "confirm", confirm)).message["confirmed"] == credit


def on_transfer(
    transfer_id: str, state: str, role: str, account: str, amount: int
) -> dict[str, Any]:
    return {
        "transfer_id": transfer_id,
        "state": state,
        "role": role,
        "account": account,
        "amount": amount,
    }


async def test_a_committed_transfer_moves_the_money(desks: Desks) -> None:
    await reserve_and_confirm(desks, "tr-1", total=1_010, credit=1_000)
    assert desks.alipay.available("ali-1") == 10_000 - 1_010
    assert desks.wechat.balance("wx-2") == 0, "nothing is credited before the commit"
    before = desks.alipay.total() + desks.wechat.total()

    await desks.event(
        ALIPAY, "on_transfer", on_transfer("tr-1", "committed", "payer", "ali-1", 1_010)
    )
    await desks.event(
        WECHAT, "on_transfer", on_transfer("tr-1", "committed", "payee", "wx-2", 1_000)
    )

    assert desks.alipay.balance("ali-1") == 8_990
    assert desks.alipay.available("ali-1") == 8_990
    assert desks.wechat.balance("wx-2") == 1_000
    fee = 10
    assert desks.alipay.total() + desks.wechat.total() == before - fee


async def test_a_transfer_finishes_once(desks: Desks) -> None:
    await reserve_and_confirm(desks, "tr-1", total=1_010, credit=1_000)
    payer = on_transfer("tr-1", "committed", "payer", "ali-1", 1_010)
    payee = on_transfer("tr-1", "committed", "payee", "wx-2", 1_000)

    for _ in range(2):  # two events (two message ids) for the same outcome
        await desks.event(ALIPAY, "on_transfer", payer)
        await desks.event(WECHAT, "on_transfer", payee)
    await desks.event(ALIPAY, "on_transfer", {**payer, "state": "released"})

    assert desks.alipay.balance("ali-1") == 8_990
    assert desks.wechat.balance("wx-2") == 1_000
    reserve = {"transfer_id": "tr-1", "payer": "ali-1", "amount": 1_010}
    late = await desks.call(ALIPAY, "reserve", reserve)
    assert (late.status, late.code) == (409, "transfer_finished")


async def test_a_released_transfer_gives_the_hold_back(desks: Desks) -> None:
    await reserve_and_confirm(desks, "tr-1", total=1_010, credit=1_000)

    await desks.event(
        ALIPAY, "on_transfer", on_transfer("tr-1", "released", "payer", "ali-1", 1_010)
    )
    await desks.event(WECHAT, "on_transfer", on_transfer("tr-1", "expired", "payee", "wx-2", 1_000))

    assert desks.alipay.balance("ali-1") == desks.alipay.available("ali-1") == 10_000
    assert desks.wechat.balance("wx-2") == 0
    assert desks.wechat.pending == {}


async def test_a_transfer_between_two_users_of_one_wallet(desks: Desks) -> None:
    await desks.call(ALIPAY, "reserve", {"transfer_id": "tr-1", "payer": "ali-1", "amount": 300})
    await desks.call(ALIPAY, "confirm", {"transfer_id": "tr-1", "payee": "ali-2", "amount": 300})

    await desks.event(
        ALIPAY, "on_transfer", on_transfer("tr-1", "committed", "payer", "ali-1", 300)
    )
    await desks.event(
        ALIPAY, "on_transfer", on_transfer("tr-1", "committed", "payee", "ali-2", 300)
    )

    assert desks.alipay.balances == {"ali-1": 9_700, "ali-2": 800}


async def test_reserve_refusals(desks: Desks) -> None:
    desks.wechat.cancelling.add("wx-1")

    unknown = await desks.call(ALIPAY, "reserve", {"transfer_id": "t1", "payer": "x", "amount": 1})
    broke = await desks.call(
        ALIPAY, "reserve", {"transfer_id": "t2", "payer": "ali-2", "amount": 501}
    )
    cancel = await desks.call(
        WECHAT, "reserve", {"transfer_id": "t3", "payer": "wx-1", "amount": 1}
    )

    assert (unknown.status, unknown.code) == (422, "unknown_account")
    assert (broke.status, broke.code) == (409, "insufficient_funds")
    assert (cancel.status, cancel.code) == (409, "user_cancelled")
    assert desks.alipay.reservations == desks.wechat.reservations == {}


async def test_a_second_reserve_of_one_transfer_does_not_hold_twice(desks: Desks) -> None:
    reserve = {"transfer_id": "tr-1", "payer": "ali-2", "amount": 400}

    first = await desks.call(ALIPAY, "reserve", reserve)
    again = await desks.call(ALIPAY, "reserve", reserve)

    assert first.document == again.document
    assert desks.alipay.available("ali-2") == 100


async def test_confirm_refusals(desks: Desks) -> None:
    desks.wechat.closed.add("wx-1")

    unknown = await desks.call(WECHAT, "confirm", {"transfer_id": "t1", "payee": "x", "amount": 1})
    closed = await desks.call(
        WECHAT, "confirm", {"transfer_id": "t2", "payee": "wx-1", "amount": 1}
    )

    assert (unknown.status, unknown.code) == (422, "unknown_account")
    assert (closed.status, closed.code) == (409, "account_closed")
    assert desks.wechat.pending == {}


# --- membership programs ---------------------------------------------------------


def issue(exchange_id: str, member: str = "m-1") -> dict[str, Any]:
    return {"exchange_id": exchange_id, "member": member, "benefit": "vip-month", "quantity": 2}


async def test_a_program_issues_a_benefit_once_per_exchange(desks: Desks) -> None:
    first = await desks.call(TENCENT, "issue", issue("ex-1"))
    again = await desks.call(TENCENT, "issue", issue("ex-1"))

    assert first.status == 200
    assert first.message["benefit_ref"] == "vip-month/ex-1"
    assert first.document == again.document
    assert desks.tencent.issued == {
        "ex-1": {
            "member": "m-1",
            "benefit": "vip-month",
            "quantity": 2,
            "benefit_ref": "vip-month/ex-1",
        }
    }


async def test_a_program_refuses_an_unknown_member(desks: Desks) -> None:
    answer = await desks.call(TENCENT, "issue", issue("ex-1", member="stranger"))

    assert (answer.status, answer.code) == (422, "unknown_member")
    assert desks.tencent.issued == {}


async def test_a_cancelled_exchange_revokes_the_benefit(desks: Desks) -> None:
    await desks.call(TENCENT, "issue", issue("ex-1"))

    await desks.event(TENCENT, "on_exchange", {"exchange_id": "ex-1", "state": "cancelled"})

    assert desks.tencent.issued == {}
    assert desks.tencent.revoked == {"ex-1"}
    late = await desks.call(TENCENT, "issue", issue("ex-1"))
    assert (late.status, late.code) == (409, "exchange_cancelled")


# --- signatures, failures, routing -----------------------------------------------


async def test_a_call_not_signed_by_the_switch_is_refused_and_not_acted_on(
    desks: Desks,
) -> None:
    impostor = Signer(SWITCH_ID, "sk1", new_key_pair().private_key)

    answer = await desks.call(ALIPAY, "authorize", authorize("pay-1", 100), signer=impostor)

    assert (answer.status, answer.code) == (401, "bad_signature")
    assert desks.alipay.available("ali-1") == 10_000
    assert desks.alipay.answers == {}


async def test_a_desk_that_is_down_answers_503_and_acts_after_recovery(desks: Desks) -> None:
    desks.alipay.fail["authorize"] = "down"

    down = await desks.post(ALIPAY, "authorize", authorize("pay-1", 100), message_id="m-1")
    other_action = await desks.call(ALIPAY, "void", {"payment_id": "pay-0"})
    del desks.alipay.fail["authorize"]
    retry = await desks.call(ALIPAY, "authorize", authorize("pay-1", 100), message_id="m-1")

    assert down.status_code == 503
    assert down.json()["error"]["code"] == "unavailable"
    assert "authorization" not in down.headers, "a 503 is not signed"
    assert other_action.status == 200, "only the failing action is down"
    assert retry.status == 200
    assert desks.alipay.available("ali-1") == 9_900
    assert desks.alipay.calls[0] == ("authorize", "m-1")
    assert desks.alipay.calls[-1] == ("authorize", "m-1")


async def test_a_slow_desk_acts_although_the_switch_gave_up(desks: Desks) -> None:
    desks.alipay.fail["authorize"] = "slow"
    desks.alipay.delay = 0.5

    with pytest.raises(httpx.TimeoutException):
        await desks.post(
            ALIPAY, "authorize", authorize("pay-1", 100), message_id="m-1", timeout=0.1
        )
    await asyncio.sleep(0.6)
    desks.alipay.fail.clear()
    retry = await desks.call(ALIPAY, "authorize", authorize("pay-1", 100), message_id="m-1")

    assert retry.status == 200
    assert desks.alipay.available("ali-1") == 9_900, "held once, by the call that timed out"


async def test_calls_to_a_desk_that_does_not_exist_are_not_found(desks: Desks) -> None:
    response = await desks.post("unknown.example", "authorize", authorize("pay-1", 1))
    program_as_wallet = await desks.post(TENCENT, "capture", {"payment_id": "p", "amount": 1})

    assert response.status_code == program_as_wallet.status_code == 404


async def test_carriers_and_wallets_share_the_world(desks: Desks) -> None:
    desks.world.carriers["sf.example"] = CarrierDesk(
        signer=signer_for("sf.example", desks.keys), tracking_prefix="SF"
    )

    booked = await desks.call("sf.example", "book", {"shipment_id": "shp-1"})
    held = await desks.call(ALIPAY, "authorize", authorize("pay-1", 1))

    assert booked.message["tracking_number"] == "SF0000000001"
    assert held.status == 200


# --- reference_server ------------------------------------------------------------


def config(switch: KeyPair, wallet: KeyPair, program: KeyPair) -> dict[str, Any]:
    return {
        "switch_public_key": switch.public_key,
        "switch_id": SWITCH_ID,
        "wallets": {
            ALIPAY: {"key_id": "k1", "private_key": wallet.private_key, "balances": {"u1": 100}}
        },
        "programs": {
            TENCENT: {"key_id": "k1", "private_key": program.private_key, "members": ["m1"]}
        },
    }


def test_the_server_config_builds_the_desks() -> None:
    switch, wallet, program = new_key_pair(), new_key_pair(), new_key_pair()

    world = world_from_config(config(switch, wallet, program))

    assert world.switch_public_key == switch.public_key
    assert world.wallets[ALIPAY].balances == {"u1": 100}
    assert world.wallets[ALIPAY].signer.subscriber_id == ALIPAY
    assert world.programs[TENCENT].members == {"m1"}


async def test_the_server_runs_the_desks_in_its_own_process(tmp_path: Path) -> None:
    switch, wallet, program = new_key_pair(), new_key_pair(), new_key_pair()
    path = tmp_path / "world.json"
    path.write_text(json.dumps(config(switch, wallet, program)))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hutong.world.reference_server",
            "--config",
            str(path),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert wallet.private_key not in banner and ALIPAY in banner
        async with httpx.AsyncClient() as http:
            desks = Desks(
                ReferenceWorld(),
                f"http://127.0.0.1:{port}",
                http,
                Signer(SWITCH_ID, "sk1", switch.private_key),
                {ALIPAY: wallet},
            )
            answer = await until_up(desks)
        assert answer.status == 200
        assert answer.message["held"] == 60
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


async def until_up(desks: Desks) -> Answer:
    for _ in range(100):
        try:
            return await desks.call(ALIPAY, "authorize", authorize("pay-1", 60, payer="u1"))
        except httpx.ConnectError:
            await asyncio.sleep(0.05)
    raise AssertionError("the reference server did not start")
