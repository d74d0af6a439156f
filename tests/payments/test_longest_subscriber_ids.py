"""Participants whose subscriber ids are as long as the registry allows (255 characters).

Their ids become part of ledger account ids (``m/<merchant>/receivable``,
``w/<wallet>/position``, ...), so the first payment or transfer that touches
them opens accounts named after them. These run over real HTTP on both
databases: the money moves, and the ledger still balances afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from hutong.client import encode_json
from hutong.payments.legs import merchant_receivable, wallet_fees, wallet_position
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.world.reference import ReferenceWorld
from tests.harness.assertions import assert_ledger_balances
from tests.harness.cast import home, wallet
from tests.harness.delivery import deliver_due
from tests.harness.network import Part
from tests.harness.networks import PayNet
from tests.harness.payments import account, post
from tests.harness.switch import Switch

PHONE = "13800135678"


def longest(name: str) -> str:
    """A valid subscriber id of exactly 255 characters: `name`, then four labels of 63."""
    labels = [name.ljust(63, "x"), "a" * 63, "b" * 63, "c" * 63]
    subscriber_id = ".".join(labels)
    assert len(subscriber_id) == 255
    return subscriber_id


PLATFORM, MERCHANT = longest("platform"), longest("merchant")
PAYER_WALLET, PAYEE_WALLET = longest("payer-wallet"), longest("payee-wallet")
_BALANCES = {"u-alice": 100_000, "u-bob": 50_000}
LONG: dict[str, Part] = {
    PLATFORM: Part("platform"),
    MERCHANT: Part("merchant", needs=(PLATFORM,), setup=home(PLATFORM)),
    PAYER_WALLET: Part("wallet", setup=wallet(_BALANCES, {"order": (60, 0), "transfer": (10, 0)})),
    PAYEE_WALLET: Part("wallet", setup=wallet(_BALANCES, {"order": (60, 0), "transfer": (0, 100)})),
}


@pytest.fixture
async def longnet(
    switch: Switch, world: tuple[ReferenceWorld, str], http: httpx.AsyncClient
) -> AsyncIterator[PayNet]:
    net = PayNet(switch, world[0], world[1], LONG, http)
    await net.join(*LONG)
    yield net
    await assert_ledger_balances(switch.services)


async def deliver(net: PayNet) -> None:
    await deliver_due(net.switch.services)


async def test_a_payment_between_participants_with_the_longest_ids_is_captured(
    longnet: PayNet,
) -> None:
    created = await post(
        longnet,
        PLATFORM,
        "/v1/payments",
        {"merchant": MERCHANT, "amount": 10_000, "wallet": PAYER_WALLET, "payer": "u-alice"},
    )
    assert created.status_code == 201, created.text
    payment_id = created.json()["payment"]["id"]

    authorized = await post(longnet, PLATFORM, f"/v1/payments/{payment_id}/authorize", {})
    assert authorized.status_code == 200, authorized.text
    captured = await post(longnet, PLATFORM, f"/v1/payments/{payment_id}/capture", {})
    assert captured.status_code == 200, captured.text

    assert captured.json()["payment"]["state"] == "captured"
    receivable = await account(longnet, merchant_receivable(MERCHANT))
    fees = await account(longnet, wallet_fees(PAYER_WALLET))
    assert (receivable.balance, fees.balance) == (10_000 - 60, 60)
    assert longnet.wallet(PAYER_WALLET).balance("u-alice") == 100_000 - 10_000


async def test_a_transfer_between_wallets_with_the_longest_ids_moves_the_money(
    longnet: PayNet,
) -> None:
    published = await longnet.post(
        PAYEE_WALLET, "/v1/aliases", {"kind": "phone", "value": PHONE, "account": "u-bob"}
    )
    assert published.status_code == 201, published.text
    quoted = await longnet.post(
        PAYER_WALLET,
        "/v1/transfers/quote",
        {"payer": "u-alice", "alias": {"kind": "phone", "value": PHONE}, "amount": 10_000},
    )
    assert quoted.status_code == 201, quoted.text
    transfer_id = quoted.json()["transfer"]["id"]

    executed = await longnet.send(
        PAYER_WALLET,
        "POST",
        f"/v1/transfers/{transfer_id}/execute",
        encode_json(request_envelope({}, message_id=new_id("msg"))),
    )

    assert executed.status_code == 200, executed.text
    await deliver(longnet)
    assert longnet.wallet(PAYER_WALLET).balance("u-alice") == 100_000 - 10_010
    assert longnet.wallet(PAYEE_WALLET).balance("u-bob") == 50_000 + 9_900
    positions = [await account(longnet, wallet_position(w)) for w in (PAYER_WALLET, PAYEE_WALLET)]
    assert [p.balance for p in positions] == [-10_010, 9_900]
    fees = [await account(longnet, wallet_fees(w)) for w in (PAYER_WALLET, PAYEE_WALLET)]
    assert [f.balance for f in fees] == [10, 100]
