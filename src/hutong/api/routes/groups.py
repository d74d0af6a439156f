"""Corporate groups: the operator declares them; auditors (and members) read them.

- `POST /operator/groups` `{name, members, allied?, valid_from}`: the next
  version of a group (operator token).
- `GET /operator/groups[/{name}]`: every version (operator token).
- `GET /v1/groups[/{name}]` (signed): an auditor reads every group; any other
  participant only the groups it was ever a member of (403 `not_a_member`).
- `GET /v1/group-relation?a=&b=&on=YYYY-MM-DD` (signed, auditors): own,
  allied or rival (`hutong.registry.groups.relation`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, StrictBody, requires
from hutong.api.documented import CODES, RESULT
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.participant import participants_only
from hutong.protocol.errors import ForbiddenError
from hutong.registry import group_store
from hutong.registry.groups import GroupVersion, relation
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Write

__all__ = ["GroupIn", "declaring", "operator_router", "participant_router", "shown"]


class GroupIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    members: list[str]
    valid_from: date
    allied: list[str] = msgspec.field(default_factory=list)


class GroupVersionOut(msgspec.Struct, kw_only=True):
    name: str
    version: int
    valid_from: date
    members: list[str]
    allied: list[str]


class RelationOut(msgspec.Struct, kw_only=True):
    a: str
    b: str
    on: date
    relation: str


def version_out(v: GroupVersion) -> GroupVersionOut:
    return GroupVersionOut(
        name=v.name,
        version=v.version,
        valid_from=v.valid_from,
        members=sorted(v.members),
        allied=sorted(v.allied),
    )


@post(
    "/groups",
    dto=StrictBody[GroupIn],
    return_dto=None,
    status_code=201,
    summary="Declare the next version of a corporate group",
    # A member nobody registered is the body's mistake: 422 no_such_participant.
    opt={
        RESULT: GroupVersionOut,
        CODES: {
            422: (
                "invalid_group_name",
                "invalid_subscriber_id",
                "no_members",
                "too_many_members",
                "no_such_participant",
                "unknown_ally",
                "group_overlap",
            )
        },
    },
)
async def declare_group(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    data: JSONBody[GroupIn],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    write = declaring(data, services.clock())
    return await operator_write(services, request, idempotency_key, write, shown)


def declaring(data: GroupIn, now: datetime) -> Write[GroupVersion]:
    """The next version of a group (the route's write, and `hutong group set`'s)."""

    async def write(conn: AsyncConnection) -> GroupVersion:
        return await group_store.declare_group(
            conn,
            name=data.name,
            members=data.members,
            allied=data.allied,
            valid_from=data.valid_from,
            now=now,
        )

    return write


def shown(version: GroupVersion) -> tuple[int, dict[str, Any]]:
    """A group's version as the operator's route answers its declaration."""
    return 201, msgspec.to_builtins(version_out(version))


@get("/groups", summary="Every version of every group")
async def all_groups(services: ServicesDep) -> list[GroupVersionOut]:
    async with services.db.read() as conn:
        return [version_out(v) for v in await group_store.all_versions(conn)]


@get("/groups/{name:str}", summary="One group's versions, oldest first")
async def one_group(services: ServicesDep, name: FromPath[str]) -> list[GroupVersionOut]:
    async with services.db.read() as conn:
        return [version_out(v) for v in await group_store.versions_of(conn, name)]


operator_router = Router(
    path="/operator",
    route_handlers=[declare_group, all_groups, one_group],
    guards=[operator_guard],
    tags=["groups (operator)"],
    security=[{"operatorToken": []}],
)


@get("/groups", summary="Groups: every one for an auditor, one's own for a member")
async def readable_groups(services: ServicesDep, sender: SenderDep) -> list[GroupVersionOut]:
    async with services.db.read() as conn:
        reader = await require_participant(conn, sender)
        versions = await group_store.all_versions(conn)
    if not reader.has_role(Role.AUDITOR):
        mine = group_store.group_names_of(versions, sender)
        versions = [v for v in versions if v.name in mine]
    return [version_out(v) for v in versions]


@get("/groups/{name:str}", summary="One group's history (an auditor, or one of its members)")
async def readable_group(
    services: ServicesDep, sender: SenderDep, name: FromPath[str]
) -> list[GroupVersionOut]:
    async with services.db.read() as conn:
        reader = await require_participant(conn, sender)
        versions = await group_store.versions_of(conn, name)
    if not reader.has_role(Role.AUDITOR) and not group_store.group_names_of(versions, sender):
        raise ForbiddenError(
            f"only auditors and members read the history of group {name}", code="not_a_member"
        )
    return [version_out(v) for v in versions]


@get(
    "/group-relation",
    guards=[requires(Role.AUDITOR)],
    summary="How participant a stands to b on a day: own, allied or rival (auditors)",
)
async def group_relation(
    services: ServicesDep, a: FromQuery[str], b: FromQuery[str], on: FromQuery[date]
) -> RelationOut:
    async with services.db.read() as conn:
        versions = await group_store.all_versions(conn)
    return RelationOut(a=a, b=b, on=on, relation=relation(versions, a, b, on).value)


participant_router = Router(
    path="/v1",
    route_handlers=[readable_groups, readable_group, group_relation],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only],
    tags=["groups"],
    security=[{"beckn": []}],
)
