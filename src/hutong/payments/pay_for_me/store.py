"""Where pay-for-me requests are kept: their rows, found by id or by link code."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.share_code import make_code, wrap
from hutong.payments.pay_for_me.states import PayForMeState
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import orders, pay_for_me_requests

#: What the buyer pastes to a friend: the code opens the request in any app.
SHARE_SENTENCE = "{marked} 帮我付款 (pay for me): copy this and open any app"


@dataclass(frozen=True, slots=True)
class PayForMe:
    id: str
    payment_id: str
    code: str
    share_serial: int
    requester: str
    buyer: str
    note: str
    state: PayForMeState
    expires_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    payer_host: str | None
    payer_wallet: str | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self, base_url: str, share_key: bytes) -> dict[str, Any]:
        """What the requester and payers see: never the payer's account."""
        url = f"{base_url}/p/{self.code}"
        return {
            "id": self.id,
            "payment_id": self.payment_id,
            "state": self.state.value,
            "url": url,
            "share_text": wrap(make_code(self.share_serial, share_key), text=SHARE_SENTENCE),
            "note": self.note,
            "expires_at": self.expires_at.isoformat(),
            "payer_host": self.payer_host,
            "payer_wallet": self.payer_wallet,
        }


def _row(row: Any) -> PayForMe:
    values = dict(row._mapping)
    values["state"] = PayForMeState(values["state"])
    return PayForMe(**values)


async def find(conn: AsyncConnection, *, code: str = "", request_id: str = "") -> PayForMe | None:
    column = pay_for_me_requests.c.code if code else pay_for_me_requests.c.id
    row = (
        await conn.execute(select(pay_for_me_requests).where(column == (code or request_id)))
    ).first()
    return None if row is None else _row(row)


async def rows_by_serials(conn: AsyncConnection, serials: Collection[int]) -> dict[int, PayForMe]:
    """The requests whose share codes carry these serials, by serial."""
    if not serials:
        return {}
    rows = await conn.execute(
        select(pay_for_me_requests).where(pay_for_me_requests.c.share_serial.in_(list(serials)))
    )
    return {row.share_serial: _row(row) for row in rows}


async def require(conn: AsyncConnection, *, code: str = "", request_id: str = "") -> PayForMe:
    found = await find(conn, code=code, request_id=request_id)
    if found is None:
        raise NotFoundError("no such pay-for-me request", code="unknown_request")
    return found


async def order_paid_with(
    conn: AsyncConnection, payment_id: str, reference: str, wallet: str, now: datetime
) -> None:
    """In `conn`: the order whose payment this is (if any) names `wallet`, which pays it.

    An order's payment carries the order's id as its reference and the order
    names the payment (as `hutong.payments.checkout.store.order_of_payment`
    reads it). The order's steps after this (pay's capture, cancel's void or
    refund, refunds, completion's split) and who hears of them (its wallet)
    go by the order's wallet: it must be the one holding the money. Run it
    before the payment is authorized in the same transaction, so the order's
    row is locked before the payment's, as every order step locks them.
    """
    await conn.execute(
        update(orders)
        .where(orders.c.id == reference, orders.c.payment_id == payment_id)
        .values(wallet=wallet, updated_at=now)
    )
