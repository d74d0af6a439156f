"""The operator's API: manage participants, read the outbox. Bearer token."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.declare import ServicesDep, StrictBody, services_of
from hutong.api.documented import RESULT
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.params import Int64
from hutong.api.schemas import (
    EventOut,
    ParticipantIn,
    ParticipantOut,
    StatusChange,
    participant_out,
)
from hutong.events.outbox import EventStatus, list_events
from hutong.protocol.errors import ForbiddenError, OperatorAuthenticationError, ValidationError
from hutong.registry import service
from hutong.registry.models import Participant, Role, Status
from hutong.runtime.exactly_once import Present, Write
from hutong.runtime.services import Services


async def operator_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    token = services_of(connection.app.state).settings.operator_token
    if not token:
        raise ForbiddenError(
            "the operator API is disabled: set HUTONG_OPERATOR_TOKEN", code="operator_api_disabled"
        )
    given = connection.headers.get("authorization", "")
    scheme, _sep, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), token.encode()
    ):
        raise OperatorAuthenticationError("a valid operator bearer token is required")


def adding(data: ParticipantIn, now: datetime) -> Write[Participant]:
    """The registration of `data` (the route's write, and `hutong participant add`'s)."""

    async def add(conn: AsyncConnection) -> Participant:
        return await service.add_participant(
            conn,
            subscriber_id=data.subscriber_id,
            roles=data.roles,
            callback_url=data.callback_url,
            name=data.name,
            key=service.NewKey(data.key_id, data.public_key, data.valid_from, data.valid_until),
            now=now,
        )

    return add


def shown_as(status: int) -> Present[Participant]:
    """A participant as the operator's routes answer it, with `status`."""

    def present(participant: Participant) -> tuple[int, dict[str, Any]]:
        return status, msgspec.to_builtins(participant_out(participant))

    return present


@post(
    "/participants",
    dto=StrictBody[ParticipantIn],
    return_dto=None,
    summary="Register a participant with its first signing key",
    opt={RESULT: ParticipantOut},
)
async def add_participant(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    data: JSONBody[ParticipantIn],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    write = adding(data, services.clock())
    return await operator_write(services, request, idempotency_key, write, shown_as(201))


@get("/participants", summary="List participants, optionally by role and status")
async def list_participants(
    services: ServicesDep, role: FromQuery[str | None] = None, status: FromQuery[str | None] = None
) -> list[ParticipantOut]:
    try:
        wanted_role = Role(role) if role else None
        wanted_status = Status(status) if status else None
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_filter") from None
    async with services.db.read() as conn:
        found = await service.list_participants(conn, role=wanted_role, status=wanted_status)
    return [participant_out(p) for p in found]


@get("/participants/{subscriber_id:str}", summary="One participant with its keys")
async def show_participant(services: ServicesDep, subscriber_id: FromPath[str]) -> ParticipantOut:
    async with services.db.read() as conn:
        return participant_out(await service.require_participant(conn, subscriber_id))


async def _set_status(
    services: Services, subscriber_id: str, status: Status, reason: str
) -> ParticipantOut:
    async with services.db.transaction() as conn:
        participant = await service.set_status(
            conn, subscriber_id, status, services.clock(), reason
        )
    return participant_out(participant)


def _reason(change: StatusChange | None) -> str:
    """The body is optional: `{"reason": "..."}` or nothing at all."""
    return change.reason if change is not None else ""


@post(
    "/participants/{subscriber_id:str}/suspend",
    dto=StrictBody[StatusChange],
    return_dto=None,
    status_code=200,
    summary="Suspend",
)
async def suspend(
    services: ServicesDep,
    subscriber_id: FromPath[str],
    data: JSONBody[StatusChange | None] = None,
) -> ParticipantOut:
    return await _set_status(services, subscriber_id, Status.SUSPENDED, _reason(data))


@post(
    "/participants/{subscriber_id:str}/reactivate",
    dto=StrictBody[StatusChange],
    return_dto=None,
    status_code=200,
    summary="Lift a suspension",
)
async def reactivate(
    services: ServicesDep,
    subscriber_id: FromPath[str],
    data: JSONBody[StatusChange | None] = None,
) -> ParticipantOut:
    return await _set_status(services, subscriber_id, Status.ACTIVE, _reason(data))


@post(
    "/participants/{subscriber_id:str}/revoke",
    dto=StrictBody[StatusChange],
    return_dto=None,
    status_code=200,
    summary="Revoke (final)",
)
async def revoke(
    services: ServicesDep,
    subscriber_id: FromPath[str],
    data: JSONBody[StatusChange | None] = None,
) -> ParticipantOut:
    return await _set_status(services, subscriber_id, Status.REVOKED, _reason(data))


@get("/events", summary="Events in the outbox: pending, delivered or dead")
async def events(
    services: ServicesDep,
    participant: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    limit: FromQuery[int] = 100,
    after: FromQuery[Int64] = 0,
) -> list[EventOut]:
    try:
        wanted = EventStatus(status) if status else None
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_filter") from None
    async with services.db.read() as conn:
        found = await list_events(
            conn,
            recipient=participant,
            status=wanted,
            limit=min(max(limit, 1), 1000),
            after_id=after,
        )
    return [
        EventOut(
            id=e.id,
            event_id=e.event_id,
            recipient=e.recipient,
            action=e.action,
            transaction_id=e.transaction_id,
            status=e.status.value,
            attempts=e.attempts,
            created_at=e.created_at,
            last_attempt_at=e.last_attempt_at,
            delivered_at=e.delivered_at,
            last_error=e.last_error,
            message=e.message,
        )
        for e in found
    ]


router = Router(
    path="/operator",
    route_handlers=[
        add_participant,
        list_participants,
        show_participant,
        suspend,
        reactivate,
        revoke,
        events,
    ],
    guards=[operator_guard],
    tags=["operator"],
    security=[{"operatorToken": []}],
)
