"""Storing and reading corporate groups: versions, never updated (`hutong.registry.groups`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.errors import NotFoundError, ValidationError
from hutong.registry.groups import (
    MAX_MEMBERS,
    GroupVersion,
    check_no_overlap,
    validate_group_name,
)
from hutong.registry.models import validate_subscriber_id
from hutong.store.tables import corporate_groups, participants

__all__ = ["all_versions", "declare_group", "group_names_of", "versions_of"]


def _version(row: Any) -> GroupVersion:
    return GroupVersion(
        name=row.name,
        version=row.version,
        valid_from=row.valid_from,
        members=frozenset(json.loads(row.members)),
        allied=frozenset(json.loads(row.allied)),
    )


async def all_versions(conn: AsyncConnection) -> list[GroupVersion]:
    """Every version of every group, by name then version."""
    query = select(corporate_groups).order_by(corporate_groups.c.name, corporate_groups.c.version)
    return [_version(row) for row in (await conn.execute(query)).all()]


async def versions_of(conn: AsyncConnection, name: str) -> list[GroupVersion]:
    """A group's versions, oldest first (`unknown_group` if it has none)."""
    query = (
        select(corporate_groups)
        .where(corporate_groups.c.name == name)
        .order_by(corporate_groups.c.version)
    )
    found = [_version(row) for row in (await conn.execute(query)).all()]
    if not found:
        raise NotFoundError(f"no group named {name!r}", code="unknown_group")
    return found


def group_names_of(versions: Iterable[GroupVersion], participant: str) -> set[str]:
    """The groups `participant` was ever a member of (what it may read of the history)."""
    return {v.name for v in versions if participant in v.members}


def _ids(values: Iterable[str], what: str) -> frozenset[str]:
    checked = frozenset(validate_subscriber_id(v) for v in values)
    if len(checked) > MAX_MEMBERS:
        raise ValidationError(f"at most {MAX_MEMBERS} {what} per group", code="too_many_members")
    return checked


async def _registered(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    query = select(participants.c.subscriber_id).where(participants.c.subscriber_id.in_(wanted))
    return set((await conn.execute(query)).scalars().all())


async def declare_group(
    conn: AsyncConnection,
    *,
    name: str,
    members: Iterable[str],
    allied: Iterable[str],
    valid_from: date,
    now: datetime,
) -> GroupVersion:
    """Add the next version of group `name`, in force from `valid_from`.

    Members must be registered participants (`no_such_participant`: 422, the
    body names them; `unknown_participant` is a path's 404), at least
    one; an ally is another group's name or a registered participant
    (`unknown_ally`); a participant is in one group at a time (`group_overlap`).
    """
    name = validate_group_name(name)
    member_ids = _ids(members, "members")
    if not member_ids:
        raise ValidationError("a group needs at least one member", code="no_members")
    allies = frozenset(a.strip().lower() for a in allied)
    if len(allies) > MAX_MEMBERS:
        raise ValidationError(f"at most {MAX_MEMBERS} allies per group", code="too_many_members")
    known = await _registered(conn, member_ids | allies)
    missing = sorted(member_ids - known)
    if missing:
        raise ValidationError(
            f"not registered participants: {', '.join(missing)}", code="no_such_participant"
        )
    existing = await all_versions(conn)
    group_names = {v.name for v in existing}
    unknown_allies = sorted(a for a in allies if a not in known and a not in group_names)
    if unknown_allies:
        raise ValidationError(
            f"an ally is a declared group or a registered participant: {', '.join(unknown_allies)}",
            code="unknown_ally",
        )
    if name in allies or allies & member_ids:
        raise ValidationError(
            "a group cannot be allied with itself or its own members", code="unknown_ally"
        )
    latest = await conn.scalar(
        select(func.max(corporate_groups.c.version)).where(corporate_groups.c.name == name)
    )
    new = GroupVersion(
        name=name,
        version=(latest or 0) + 1,
        valid_from=valid_from,
        members=member_ids,
        allied=allies,
    )
    check_no_overlap(new, existing)
    await conn.execute(
        insert(corporate_groups),
        {
            "name": new.name,
            "version": new.version,
            "valid_from": new.valid_from,
            "members": json.dumps(sorted(new.members)),
            "allied": json.dumps(sorted(new.allied)),
            "declared_at": now,
        },
    )
    return new
