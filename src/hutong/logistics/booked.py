"""A booking the carrier has answered, stored by the write that needs it.

Booking asks the carrier (and may take a pickup point's slot) before
anything of the shipment is stored (`hutong.logistics.booking`).
Where it is then stored is the caller's choice: a booking on its own is
stored in a write of its own (`Booking.kept`); an order's ship step stores it
in the write that records the order's carrier, so the shipment and its order
are one transaction and never found apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.news import tell
from hutong.runtime.services import Services

__all__ = ["Booking", "shipment_id_of"]


def shipment_id_of(merchant: str, message_id: str) -> str:
    """The id of the shipment `merchant` books with message `message_id`.

    ``shp_`` + blake2b-96 of ``merchant|message_id``: a resend of the booking
    (over HTTP or `hutong ship book --as`) finds the shipment the first stored.
    """
    key = f"{merchant}|{message_id}".encode()
    return "shp_" + hashlib.blake2b(key, digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class Booking:
    """The carrier's booking of `shipment`, at `at`; `stored`: found stored already (a retry)."""

    shipment: store.Shipment
    stored: bool
    at: datetime

    async def keep(self, conn: AsyncConnection) -> None:
        """In `conn`: store the shipment and tell its merchant and host (nothing if stored)."""
        if self.stored:
            return
        await store.insert_shipment(conn, self.shipment, self.at)
        await tell(conn, self.shipment, "booked", self.at)

    async def give_back(self, conn: AsyncConnection) -> None:
        """In `conn`: return the pickup point's slot this booking took (a twin stored its own).

        A booking found stored took no slot; only one that asked the carrier did.
        """
        if not self.stored and self.shipment.pickup_point_id:
            await store.change_held(conn, self.shipment.pickup_point_id, -1)

    async def kept(self, services: Services) -> store.Shipment:
        """The shipment, stored in a write of its own (in the group commit).

        A retry of this booking that raced it and stored it first (the carrier
        saw the same message id and booked once) wins: this attempt's slot is
        given back and the answer is the stored shipment.
        """
        if self.stored:
            return self.shipment
        try:
            await services.batcher().run(self.keep)
        except IntegrityError:
            async with services.db.read() as conn:
                existing = await store.find_shipment(conn, self.shipment.id)
            if existing is None:
                raise
            async with services.db.transaction() as conn:
                await self.give_back(conn)
            return existing
        return self.shipment
