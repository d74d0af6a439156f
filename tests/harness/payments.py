"""Payments requests at the switch's clock, and what the payments tests read back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from hutong.events.outbox import EventRecord, list_events
from hutong.ledger.models import Account
from hutong.ledger.store import get_account
from hutong.payments import legs
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from tests.harness.cast import ALIPAY, TAOBAO
from tests.harness.networks import PayNet


def envelope(message: dict[str, Any], message_id: str | None = None) -> bytes:
    """The exact bytes of a request (send them again to retry it)."""
    document = request_envelope(message, message_id=message_id or new_id("msg"))
    return httpx.Request("POST", "http://x", json=document).content


async def send(paynet: PayNet, sender: str, path: str, body: bytes) -> httpx.Response:
    """POST `body` signed by `sender` at the switch's clock."""
    client = paynet[sender]
    created = int(paynet.switch.services.clock().timestamp())
    return await client.send("POST", path, body, created=created)


async def post(
    paynet: PayNet, sender: str, path: str, message: dict[str, Any], message_id: str | None = None
) -> httpx.Response:
    return await send(paynet, sender, path, envelope(message, message_id))


async def get(paynet: PayNet, sender: str, path: str) -> httpx.Response:
    client = paynet[sender]
    created = int(paynet.switch.services.clock().timestamp())
    return await client.send("GET", path, created=created)


async def show(paynet: PayNet, payment_id: str, reader: str = TAOBAO) -> dict[str, Any]:
    response = await get(paynet, reader, f"/v1/payments/{payment_id}")
    assert response.status_code == 200, response.text
    payment: dict[str, Any] = response.json()["payment"]
    return payment


async def account(paynet: PayNet, account_id: str) -> Account:
    """A ledger account (an untouched one reads as all zeros)."""
    async with paynet.switch.services.db.read() as conn:
        found = await get_account(conn, account_id)
    return found or Account(account_id, "", "CNY", "")


async def held_in_ledger(paynet: PayNet, wallet: str = ALIPAY) -> int:
    """What the ledger holds from `wallet` for merchants (pending, not yet posted)."""
    position = await account(paynet, legs.wallet_position(wallet))
    return position.debits_pending


async def events(paynet: PayNet, action: str, recipient: str | None = None) -> list[EventRecord]:
    async with paynet.switch.services.db.read() as conn:
        found = await list_events(conn, recipient=recipient, limit=1000)
    return [event for event in found if event.action == action]


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition` holds (a slow wallet finishing what it was asked)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


def calls(paynet: PayNet, wallet: str, action: str) -> list[str]:
    """The message ids of the `action` calls `wallet` received."""
    return [message_id for done, message_id in paynet.wallet(wallet).calls if done == action]
