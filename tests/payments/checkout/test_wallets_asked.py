"""Every wallet asked to authorize is recorded before it is asked, and told if not chosen.

A wallet whose call timed out may have held anyway, late: when the payment
is authorized with another wallet, that one is told ``on_payment_released``
(reason ``paid_with_another_wallet``). The ask is recorded only while the
payment may still be authorized: one voided or past its deadline meanwhile
is refused for what it is now, with no ask recorded and no wallet asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.net.transport import call_transport
from hutong.payments import checkout
from hutong.payments.checkout import PaymentState
from hutong.payments.checkout import store as checkout_store
from hutong.payments.checkout.authorize import may_ask_to_hold
from hutong.payments.checkout.notices import note_other_wallet_asked
from hutong.protocol.errors import HutongError
from hutong.runtime.services import Services
from hutong.store.tables import payment_attempts
from tests.harness.cast import ALIPAY, JD, JD_BEAUTY, WECHATPAY
from tests.harness.networks import PayNet
from tests.harness.payments import calls, envelope, events, eventually, held_in_ledger, send, show
from tests.harness.switch import Clock


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The switch waits 0.6 s for a wallet, once; a slow wallet answers after 1.2 s.

    (A loaded machine took more than 0.3 s to deliver the ask's body, and a
    wallet that never got it never held.)"""
    return settings.with_(wallet_call_timeout=0.6, wallet_call_attempts=1)


@pytest.fixture
async def delivery(paynet: PayNet) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(paynet.switch.services)
    yield worker
    await worker.close()


async def open_payment(paynet: PayNet, pay_within: int = 1_800) -> str:
    """A payment whose wallet is chosen when it is authorized."""
    payment = await paynet.payment(JD, merchant=JD_BEAUTY, amount=7_000, pay_within=pay_within)
    return str(payment["id"])


async def authorize(paynet: PayNet, payment_id: str, wallet: str, payer: str) -> int:
    body = envelope({"wallet": wallet, "payer": payer})
    response = await send(paynet, JD, f"/v1/payments/{payment_id}/authorize", body)
    return response.status_code


async def asked(services: Services, payment_id: str) -> list[str]:
    async with services.db.read() as conn:
        found = await conn.execute(
            select(payment_attempts.c.wallet).where(payment_attempts.c.payment_id == payment_id)
        )
        return sorted(found.scalars())


async def test_a_late_hold_is_released_when_the_payment_is_authorized_with_another_wallet(
    paynet: PayNet, delivery: DeliveryWorker
) -> None:
    payment_id = await open_payment(paynet)
    wechatpay = paynet.wallet(WECHATPAY)
    wechatpay.fail["authorize"], wechatpay.delay = "slow", 1.2
    assert await authorize(paynet, payment_id, WECHATPAY, "u-bob") == 502  # timed out
    await eventually(lambda: bool(wechatpay.holds))  # it held, after the switch gave up

    assert await authorize(paynet, payment_id, ALIPAY, "u-alice") == 200
    await delivery.drain()

    assert await asked(paynet.switch.services, payment_id) == [ALIPAY, WECHATPAY]
    [told] = await events(paynet, "on_payment_released")
    assert (told.recipient, told.message) == (
        WECHATPAY,
        {"payment_id": payment_id, "reason": "paid_with_another_wallet"},
    )
    assert wechatpay.holds == {}
    assert paynet.wallet(ALIPAY).holds.keys() == {payment_id}
    assert await held_in_ledger(paynet, ALIPAY) == 7_000


async def test_a_payment_authorized_with_the_only_wallet_asked_tells_no_wallet_to_release(
    paynet: PayNet,
) -> None:
    payment_id = await open_payment(paynet)

    assert await authorize(paynet, payment_id, ALIPAY, "u-alice") == 200

    assert await asked(paynet.switch.services, payment_id) == [ALIPAY]
    assert await events(paynet, "on_payment_released") == []
    assert (await show(paynet, payment_id, JD))["state"] == "authorized"


async def test_no_ask_is_recorded_for_a_payment_voided_after_it_was_read(
    paynet: PayNet,
) -> None:
    services = paynet.switch.services
    payment_id = await open_payment(paynet)
    async with services.db.read() as conn:
        as_read = await checkout_store.require_payment(conn, payment_id)
    async with services.db.transaction() as conn:  # another writer, after the read
        await checkout_store.update_payment(conn, payment_id, state=PaymentState.VOIDED)

    with pytest.raises(HutongError) as refused:
        await checkout.authorize_hold(services, call_transport(), as_read, ALIPAY, "u-alice", "a-1")

    assert refused.value.code == "already_voided"
    assert await asked(services, payment_id) == []
    assert calls(paynet, ALIPAY, "authorize") == []


async def test_no_ask_is_recorded_for_a_payment_past_its_deadline(
    paynet: PayNet, clock: Clock
) -> None:
    services = paynet.switch.services
    payment_id = await open_payment(paynet, pay_within=60)
    async with services.db.read() as conn:
        as_read = await checkout_store.require_payment(conn, payment_id)
    clock.advance(60)

    with pytest.raises(HutongError) as refused:
        await checkout.authorize_hold(services, call_transport(), as_read, ALIPAY, "u-alice", "a-1")

    assert refused.value.code == "payment_expired"
    assert await asked(services, payment_id) == []
    assert calls(paynet, ALIPAY, "authorize") == []


async def test_a_wallet_asked_while_the_hold_waits_for_the_payment_is_told_to_release(
    paynet: PayNet,
) -> None:
    """The hold's UPDATE waits for the payment's row, locked by another wallet's ask that
    then commits: the UPDATE sees that ask on the row (a subquery on the asks would not, on
    PostgreSQL), so the payment is authorized from its locked read and that wallet is told."""
    services = paynet.switch.services
    payment_id = await open_payment(paynet)
    async with services.db.read() as conn:
        as_read = await checkout_store.require_payment(conn, payment_id)
    await may_ask_to_hold(services, as_read, ALIPAY)  # its ledger accounts exist
    now = services.clock()
    asked_first = asyncio.Event()

    async def hold() -> None:
        await asked_first.wait()
        async with services.db.transaction() as conn:
            await checkout.apply_authorized(
                services, conn, payment_id, ALIPAY, "u-alice", known=as_read
            )

    holding = asyncio.create_task(hold())
    async with services.db.transaction() as conn:  # WeChat Pay's ask, as `authorize_hold` writes it
        record = checkout.attempt_record(payment_id, WECHATPAY, "a-wechat", now)
        assert (await conn.execute(record)).rowcount == 1
        await conn.execute(note_other_wallet_asked(payment_id, WECHATPAY))
        asked_first.set()
        await asyncio.sleep(0.5)  # the hold begins and waits for the payment's row
        assert not holding.done()
    await holding

    assert await asked(services, payment_id) == [WECHATPAY]
    [told] = await events(paynet, "on_payment_released")
    assert (told.recipient, told.message) == (
        WECHATPAY,
        {"payment_id": payment_id, "reason": "paid_with_another_wallet"},
    )
    assert (await show(paynet, payment_id, JD))["state"] == "authorized"
