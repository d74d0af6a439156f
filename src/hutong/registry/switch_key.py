"""The switch's own signing key: loaded from the environment or the database.

Every API worker and delivery worker must sign with the same key, so the key
lives in the database (or is given to all of them by configuration), never in
one process's memory only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from hutong.protocol.signing import load_signing_key, new_key_pair, public_key_of
from hutong.store.db import Database
from hutong.store.tables import switch_keys

FIRST_KEY_ID = "sk1"


async def load_or_create(
    db: Database, now: datetime, *, private_key: str = "", key_id: str = ""
) -> tuple[str, str, str]:
    """Returns (key_id, public_key, private_key) of the key the switch signs with."""
    if private_key:
        return key_id or "k1", public_key_of(private_key), private_key
    async with db.read() as conn:
        row = (
            await conn.execute(select(switch_keys).order_by(switch_keys.c.created_at.desc()))
        ).first()
    if row is not None:
        return row.key_id, row.public_key, row.private_key
    pair = new_key_pair()
    # A fixed id for the first key: workers racing to create it collide on the
    # primary key, and the losers load the winner's key.
    new_key_id = FIRST_KEY_ID
    try:
        async with db.transaction() as conn:
            existing = (await conn.execute(select(switch_keys))).first()
            if existing is not None:
                return existing.key_id, existing.public_key, existing.private_key
            await conn.execute(
                insert(switch_keys).values(
                    key_id=new_key_id,
                    public_key=pair.public_key,
                    private_key=pair.private_key,
                    created_at=now,
                )
            )
    except IntegrityError:  # another worker created it first
        return await load_or_create(db, now)
    return new_key_id, pair.public_key, pair.private_key


def share_code_key(private_key: str) -> bytes:
    """The key of share-code MACs, derived from the switch's signing key.

    Every worker derives the same key; a separate person string keeps it
    unrelated to any signature.
    """
    seed = load_signing_key(private_key).encode()
    return hashlib.blake2b(seed, digest_size=32, person=b"hutong-share").digest()
