"""The key a subscriber signs with when its keyId names no key (`subscriber_id|ed25519`).

Rule: of the subscriber's keys usable at `now` (not revoked, inside their
window), the one with the latest `valid_from` (then the greatest key id).
During a rotation's overlap that is the new key: a sender still signing with
the old one must name it in the keyId.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.registry.service import get_participant

__all__ = ["current_key_id"]


async def current_key_id(conn: AsyncConnection, subscriber_id: str, now: datetime) -> str | None:
    """The id of the key `subscriber_id` signs with now, or None if it has none."""
    participant = await get_participant(conn, subscriber_id)
    if participant is None:
        return None
    usable = [key for key in participant.keys if key.usable_at(now)]
    if not usable:
        return None
    return max(usable, key=lambda key: (key.valid_from, key.key_id)).key_id
