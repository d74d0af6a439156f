"""Beckn subscriptions awaiting the operator's approval, as `/subscribe` leaves them."""

from __future__ import annotations

from datetime import datetime, timedelta

from hutong.protocol.signing import new_key_pair
from hutong.registry.beckn_store import NewSubscription, record_subscription
from hutong.store.db import Database


async def record_pending(db: Database, seller: str, now: datetime) -> None:
    """A BPP's subscription for `seller`, valid 30 days from `now`, waiting for approval."""
    pending = NewSubscription(
        subscriber_id=seller,
        url=f"https://{seller}/beckn",
        beckn_type="BPP",
        domain="ONDC:RET10",
        country="IND",
        city="std:080",
        key_id="uk-1",
        signing_public_key=new_key_pair().public_key,
        encr_public_key=new_key_pair().public_key,
        valid_from=now,
        valid_until=now + timedelta(days=30),
    )
    async with db.transaction() as conn:
        await record_subscription(conn, pending, now)
