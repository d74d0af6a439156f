"""Cached and batched key lookups for authentication.

Every signed request needs its key's record: it comes from the process's
declaration cache (`hutong.store.cache`), so a suspension or a revocation is
seen at once by the process that made it and within the cache's bound (under
a second) by every other worker. On a miss on PostgreSQL, the lookups of
concurrent requests are gathered and answered by one query each batch
instead of one query per request (the same idea as group commit, for reads).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import bindparam, select, tuple_

from hutong.registry.models import Status
from hutong.registry.service import KeyOwner, _key, find_key
from hutong.store.cache import declarations_at
from hutong.store.db import Database
from hutong.store.gather import Gatherer
from hutong.store.tables import participant_keys, participants

KeyRef = tuple[str, str]
_Waiting = tuple[KeyRef, "asyncio.Future[KeyOwner | None]"]


class KeyLoader:
    def __init__(self, db: Database, *, max_batch: int = 200) -> None:
        self.db = db
        self.max_batch = max_batch
        self._gatherer: Gatherer[_Waiting] = Gatherer(self._answer, max_items=max_batch, workers=2)

    async def find(self, subscriber_id: str, key_id: str) -> KeyOwner | None:
        """The key and its owner's status, as known at most the cache's bound ago."""
        return await declarations_at(self.db.url).get(
            ("key", subscriber_id, key_id), lambda: self._read(subscriber_id, key_id)
        )

    async def _read(self, subscriber_id: str, key_id: str) -> KeyOwner | None:
        if self.db.is_sqlite:  # a read there costs tens of microseconds
            async with self.db.read() as conn:
                return await find_key(conn, subscriber_id, key_id)
        future: asyncio.Future[KeyOwner | None] = asyncio.get_running_loop().create_future()
        await self._gatherer.put(((subscriber_id, key_id), future))
        return await future

    async def close(self) -> None:
        await self._gatherer.close()

    async def _answer(self, batch: list[_Waiting]) -> None:
        try:
            found = await self._load({ref for ref, _ in batch})
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for ref, future in batch:
            if not future.done():
                future.set_result(found.get(ref))

    async def _load(self, refs: set[KeyRef]) -> dict[KeyRef, KeyOwner]:
        async with self.db.read() as conn:
            result = await conn.execute(_FIND_KEYS, {"refs": sorted(refs)})
            rows = result.all()
        found: dict[KeyRef, KeyOwner] = {}
        for row in rows:
            found[(row.subscriber_id, row.key_id)] = KeyOwner(
                row.subscriber_id, Status(row.status), _key(row)
            )
        return found


#: Compiled once; the list of (subscriber id, key id) pairs expands at run time.
_FIND_KEYS = (
    select(
        participants.c.status,
        participant_keys.c.subscriber_id,
        participant_keys.c.key_id,
        participant_keys.c.public_key,
        participant_keys.c.valid_from,
        participant_keys.c.valid_until,
        participant_keys.c.revoked_at,
    )
    .select_from(participant_keys.join(participants))
    .where(
        tuple_(participant_keys.c.subscriber_id, participant_keys.c.key_id).in_(
            bindparam("refs", expanding=True)
        )
    )
)
