"""Storing and reading participants and their keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue, ensure_lane
from hutong.protocol.errors import ConflictError, ForbiddenError, NotFoundError
from hutong.registry.models import (
    Participant,
    Role,
    SigningKey,
    Status,
    next_status,
    parse_roles,
    validate_callback_url,
    validate_key_id,
    validate_public_key,
    validate_subscriber_id,
    validate_window,
)
from hutong.store.cache import EVERYTHING, changed, declarations, declarations_at
from hutong.store.db import Database
from hutong.store.tables import participant_keys, participants

#: A key registered without an end date is valid this long.
DEFAULT_KEY_LIFETIME = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    public_key: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _key(row: Any) -> SigningKey:
    return SigningKey(
        key_id=row.key_id,
        public_key=row.public_key,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
    )


async def add_participant(
    conn: AsyncConnection,
    *,
    subscriber_id: str,
    roles: Sequence[str],
    callback_url: str,
    key: NewKey,
    now: datetime,
    name: str = "",
) -> Participant:
    subscriber_id = validate_subscriber_id(subscriber_id)
    parsed_roles = parse_roles(tuple(roles))
    validate_callback_url(callback_url)
    if await conn.scalar(
        select(participants.c.subscriber_id).where(participants.c.subscriber_id == subscriber_id)
    ):
        raise ConflictError(
            f"participant {subscriber_id} is already registered", code="participant_exists"
        )
    await conn.execute(
        insert(participants).values(
            subscriber_id=subscriber_id,
            name=name,
            roles=" ".join(parsed_roles),
            callback_url=callback_url,
            status=Status.ACTIVE.value,
            created_at=now,
            updated_at=now,
        )
    )
    await _insert_key(conn, subscriber_id, key, now)
    await ensure_lane(conn, subscriber_id, now)
    changed(conn, EVERYTHING)  # lists of active participants include it now
    found = await load_participant(conn, subscriber_id)
    assert found is not None
    return found


async def _insert_key(
    conn: AsyncConnection, subscriber_id: str, key: NewKey, now: datetime
) -> SigningKey:
    key_id = validate_key_id(key.key_id)
    public_key = validate_public_key(key.public_key)
    valid_from = key.valid_from or now
    valid_until = key.valid_until or valid_from + DEFAULT_KEY_LIFETIME
    validate_window(valid_from, valid_until)
    taken = await conn.scalar(
        select(participant_keys.c.key_id).where(
            participant_keys.c.subscriber_id == subscriber_id, participant_keys.c.key_id == key_id
        )
    )
    if taken is not None:
        raise ConflictError(
            f"{subscriber_id} already has a key with id {key_id}; key ids are never reused",
            code="key_exists",
        )
    await conn.execute(
        insert(participant_keys).values(
            subscriber_id=subscriber_id,
            key_id=key_id,
            public_key=public_key,
            valid_from=valid_from,
            valid_until=valid_until,
            created_at=now,
        )
    )
    return SigningKey(key_id, public_key, valid_from, valid_until)


async def add_key(
    conn: AsyncConnection, subscriber_id: str, key: NewKey, now: datetime
) -> SigningKey:
    """Register another key (rotation). Existing keys keep their windows."""
    participant = await require_participant(conn, subscriber_id, fresh=True)
    if participant.status is Status.REVOKED:
        raise ConflictError(f"{subscriber_id} is revoked", code="participant_revoked")
    added = await _insert_key(conn, subscriber_id, key, now)
    changed(conn, ("participant", subscriber_id), ("key", subscriber_id, key.key_id))
    await enqueue(
        conn,
        recipient=subscriber_id,
        action="on_key_rotation",
        message={
            "subscriber_id": subscriber_id,
            "key_id": added.key_id,
            "valid_from": added.valid_from.isoformat(),
            "valid_until": added.valid_until.isoformat(),
        },
        now=now,
    )
    return added


async def get_participant(conn: AsyncConnection, subscriber_id: str) -> Participant | None:
    """The participant with its keys, as known at most `TTL` seconds ago (`hutong.store.cache`).

    Every change of a participant or its keys goes through this module, which
    forgets the cached record in its own process; other processes see it
    within the cache's bound. A write that decides on the participant's
    current state reads it with `load_participant`.
    """
    return await declarations(conn).get(
        ("participant", subscriber_id), lambda: load_participant(conn, subscriber_id)
    )


async def load_participant(conn: AsyncConnection, subscriber_id: str) -> Participant | None:
    """The participant with its keys, read now (in the caller's transaction)."""
    row = (
        await conn.execute(
            select(participants).where(participants.c.subscriber_id == subscriber_id)
        )
    ).first()
    if row is None:
        return None
    keys = (
        await conn.execute(
            select(participant_keys)
            .where(participant_keys.c.subscriber_id == subscriber_id)
            .order_by(participant_keys.c.valid_from, participant_keys.c.key_id)
        )
    ).all()
    return _participant(row, tuple(_key(k) for k in keys))


def _participant(row: Any, keys: tuple[SigningKey, ...]) -> Participant:
    return Participant(
        subscriber_id=row.subscriber_id,
        name=row.name,
        roles=tuple(Role(r) for r in row.roles.split()),
        callback_url=row.callback_url,
        status=Status(row.status),
        created_at=row.created_at,
        keys=keys,
    )


async def require_participant(
    conn: AsyncConnection, subscriber_id: str, *, fresh: bool = False
) -> Participant:
    """The participant (cached unless `fresh`), or 404 ``unknown_participant``."""
    load = load_participant if fresh else get_participant
    return _known(await load(conn, subscriber_id), subscriber_id)


def _known(found: Participant | None, subscriber_id: str) -> Participant:
    """`found`, or 404 ``unknown_participant``."""
    if found is None:
        raise NotFoundError(f"no participant {subscriber_id}", code="unknown_participant")
    return found


async def cached_participant(db: Database, subscriber_id: str) -> Participant | None:
    """`get_participant` without a connection unless the cache misses.

    Checking a pooled PostgreSQL connection out and in again costs a round
    trip and more CPU than the lookup itself, which is a dictionary hit.
    """

    async def load() -> Participant | None:
        async with db.read() as conn:
            return await load_participant(conn, subscriber_id)

    return await declarations_at(db.url).get(("participant", subscriber_id), load)


async def participant_in(db: Database, subscriber_id: str) -> Participant:
    """`require_participant` (cached), through `cached_participant`."""
    return _known(await cached_participant(db, subscriber_id), subscriber_id)


async def require_role(db: Database, subscriber_id: str, *roles: Role) -> Participant:
    """The participant, or 403 ``wrong_role`` unless it holds one of `roles`."""
    participant = await participant_in(db, subscriber_id)
    if not any(participant.has_role(role) for role in roles):
        wanted = " or ".join(r.value for r in roles)
        raise ForbiddenError(f"this call is for a {wanted}", code="wrong_role")
    return participant


async def list_participants(
    conn: AsyncConnection, *, role: Role | None = None, status: Status | None = None
) -> list[Participant]:
    query = select(participants).order_by(participants.c.subscriber_id)
    if status is not None:
        query = query.where(participants.c.status == status.value)
    rows = (await conn.execute(query)).all()
    key_rows = (
        await conn.execute(
            select(participant_keys).order_by(
                participant_keys.c.valid_from, participant_keys.c.key_id
            )
        )
    ).all()
    keys: dict[str, list[SigningKey]] = {}
    for key_row in key_rows:
        keys.setdefault(key_row.subscriber_id, []).append(_key(key_row))
    found = [_participant(row, tuple(keys.get(row.subscriber_id, ()))) for row in rows]
    if role is not None:
        found = [p for p in found if p.has_role(role)]
    return found


async def set_status(
    conn: AsyncConnection, subscriber_id: str, wanted: Status, now: datetime, reason: str = ""
) -> Participant:
    participant = await require_participant(conn, subscriber_id, fresh=True)
    status = next_status(participant.status, wanted)
    if status is participant.status:
        return participant
    await conn.execute(
        update(participants)
        .where(participants.c.subscriber_id == subscriber_id)
        .values(status=status.value, updated_at=now)
    )
    if status is Status.REVOKED:
        await conn.execute(
            update(participant_keys)
            .where(
                participant_keys.c.subscriber_id == subscriber_id,
                participant_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    await enqueue(
        conn,
        recipient=subscriber_id,
        action="on_participant_status",
        message={"subscriber_id": subscriber_id, "status": status.value, "reason": reason},
        now=now,
    )
    # Whatever was cached may hang on the status (its keys, lists of active wallets).
    changed(conn, EVERYTHING)
    return await require_participant(conn, subscriber_id, fresh=True)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """What authentication needs to know about a key, from one query."""

    subscriber_id: str
    status: Status
    key: SigningKey


#: Built once: authentication runs it on every request.
_FIND_KEY = (
    select(
        participants.c.status,
        participant_keys.c.key_id,
        participant_keys.c.public_key,
        participant_keys.c.valid_from,
        participant_keys.c.valid_until,
        participant_keys.c.revoked_at,
    )
    .select_from(participant_keys.join(participants))
    .where(
        participant_keys.c.subscriber_id == bindparam("subscriber_id"),
        participant_keys.c.key_id == bindparam("key_id"),
    )
)


async def find_key(conn: AsyncConnection, subscriber_id: str, key_id: str) -> KeyOwner | None:
    result = await conn.execute(_FIND_KEY, {"subscriber_id": subscriber_id, "key_id": key_id})
    row = result.first()
    if row is None:
        return None
    return KeyOwner(subscriber_id, Status(row.status), _key(row))


def public_records(participant: Participant, key_id: str | None = None) -> list[dict[str, Any]]:
    """Beckn-style lookup records: one per key of the participant."""
    records = []
    for key in participant.keys:
        if key_id is not None and key.key_id != key_id:
            continue
        records.append(
            {
                "subscriber_id": participant.subscriber_id,
                "subscriber_url": participant.callback_url,
                "name": participant.name,
                "type": participant.roles[0].value if participant.roles else "",
                "roles": [role.value for role in participant.roles],
                "status": participant.status.value.upper(),
                "ukId": key.key_id,
                "signing_public_key": key.public_key,
                "valid_from": key.valid_from.isoformat(),
                "valid_until": key.valid_until.isoformat(),
                "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            }
        )
    return records


async def lookup(
    conn: AsyncConnection,
    *,
    subscriber_id: str | None = None,
    role: Role | None = None,
    key_id: str | None = None,
) -> list[dict[str, Any]]:
    if subscriber_id is not None:
        participant = await get_participant(conn, subscriber_id)
        found = [participant] if participant is not None else []
        if role is not None:
            found = [p for p in found if p.has_role(role)]
    else:
        found = await list_participants(conn, role=role)
    records: list[dict[str, Any]] = []
    for participant in found:
        records.extend(public_records(participant, key_id))
    return records
