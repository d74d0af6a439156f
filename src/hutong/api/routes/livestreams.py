"""Livestream sessions across platforms (issue 18 §2).

- `POST /v1/livestreams` (a host platform): schedule a session for a broadcaster;
- `POST /v1/livestreams/{id}/start`, `/end`: the host opens and closes the room;
- `POST /v1/livestreams/{id}/cart`: the host places an offer in the session's cart;
- `POST /v1/livestreams/{id}/viewers`: the host reports viewers now and views so far;
- `GET /v1/livestreams/{id}` and `/report`: the host, the broadcaster, auditors.

Writes are exactly once by message id (`run_once`); refusal codes are in
`hutong.commerce.livestreams.states` and `service`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.idempotency import run_once
from hutong.api.routes.links import DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS, placement_out
from hutong.api.routes.livestreams_out import (
    CART_OPT,
    END_OPT,
    REPORT_OPT,
    SCHEDULE_OPT,
    SHOW_OPT,
    START_OPT,
    VIEWERS_OPT,
)
from hutong.api.routes.participant import participants_only, require_message_id
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.commerce.livestreams import service
from hutong.commerce.livestreams.store import Session
from hutong.protocol.envelope import Context
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role

__all__ = ["participant_router"]


class SessionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    broadcaster: str
    title: str
    starts_at: datetime
    ends_at: datetime


class SignedSession(msgspec.Struct, kw_only=True):
    context: Context
    message: SessionIn


class CartIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    merchant: str
    sku_id: str
    storefront_id: str | None = None
    share_code_days: int = DEFAULT_SHARE_DAYS


class SignedCart(msgspec.Struct, kw_only=True):
    context: Context
    message: CartIn


class ViewersIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Watching now.
    viewers: int
    #: Cumulative views (人次) since the start.
    views: int


class SignedViewers(msgspec.Struct, kw_only=True):
    context: Context
    message: ViewersIn


def _session_reply(status: int) -> Callable[[Session], tuple[int, dict[str, Any]]]:
    def present(session: Session) -> tuple[int, dict[str, Any]]:
        return status, {"session": session.to_dict()}

    return present


@post(
    "/livestreams",
    dto=StrictBody[SignedSession],
    return_dto=None,
    status_code=201,
    guards=[requires(Role.PLATFORM)],
    summary="Schedule a livestream session in your live rooms (a host)",
    opt=SCHEDULE_OPT,
)
async def schedule_session(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedSession]
) -> Response[bytes]:
    asked = data.message

    async def write(conn: AsyncConnection) -> Session:
        return await service.schedule(
            conn,
            signed.subscriber_id,
            broadcaster=asked.broadcaster,
            title=asked.title,
            starts_at=asked.starts_at,
            ends_at=asked.ends_at,
            now=services.clock(),
        )

    return await run_once(services, signed, write, _session_reply(201))


@post(
    "/livestreams/{session_id:str}/start",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Go live (the host)",
    opt=START_OPT,
)
async def start_session(
    services: ServicesDep, signed: SignedDep, session_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    async def write(conn: AsyncConnection) -> Session:
        return await service.start(conn, signed.subscriber_id, session_id, services.clock())

    return await run_once(services, signed, write, _session_reply(200))


@post(
    "/livestreams/{session_id:str}/end",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="End the session, or call it off before it starts (the host)",
    opt=END_OPT,
)
async def end_session(
    services: ServicesDep, signed: SignedDep, session_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    async def write(conn: AsyncConnection) -> Session:
        return await service.end(conn, signed.subscriber_id, session_id, services.clock())

    return await run_once(services, signed, write, _session_reply(200))


@post(
    "/livestreams/{session_id:str}/cart",
    dto=StrictBody[SignedCart],
    return_dto=None,
    status_code=200,
    summary="Place an offer in the session's cart (the host)",
    opt=CART_OPT,
)
async def add_to_cart(
    services: ServicesDep,
    signed: SignedDep,
    request: Request[Any, Any, Any],
    session_id: FromPath[str],
    data: JSONBody[SignedCart],
) -> Response[bytes]:
    asked = data.message
    if not 1 <= asked.share_code_days <= MAX_SHARE_DAYS:
        raise ValidationError(
            f"share_code_days must be 1 to {MAX_SHARE_DAYS}", code="invalid_share_code_days"
        )
    base = str(request.base_url).rstrip("/")

    async def write(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        now = services.clock()
        view = await service.add_to_cart(
            conn,
            signed.subscriber_id,
            session_id,
            merchant=asked.merchant,
            sku_id=asked.sku_id,
            storefront_id=asked.storefront_id,
            share_expires_at=now + timedelta(days=asked.share_code_days),
            now=now,
        )
        return 200, {"session_id": session_id, "placement": placement_out(services, view, base)}

    return await run_once(services, signed, write)


@post(
    "/livestreams/{session_id:str}/viewers",
    dto=StrictBody[SignedViewers],
    return_dto=None,
    status_code=200,
    summary="Report viewers now and cumulative views (the host, while live)",
    opt=VIEWERS_OPT,
)
async def report_viewers(
    services: ServicesDep,
    signed: SignedDep,
    session_id: FromPath[str],
    data: JSONBody[SignedViewers],
) -> Response[bytes]:
    asked = data.message

    async def write(conn: AsyncConnection) -> Session:
        return await service.report_viewers(
            conn, signed.subscriber_id, session_id, asked.viewers, asked.views, services.clock()
        )

    return await run_once(services, signed, write, _session_reply(200))


@get(
    "/livestreams/{session_id:str}",
    summary="A session and its cart (host, broadcaster, auditors)",
    opt=SHOW_OPT,
)
async def show_session(
    services: ServicesDep,
    sender: SenderDep,
    request: Request[Any, Any, Any],
    session_id: FromPath[str],
) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    async with services.db.read() as conn:
        session = await service.readable(conn, sender, session_id)
        cart = await service.cart(conn, session)
    return {
        "session": session.to_dict(),
        "cart": [placement_out(services, view, base) for view in cart],
    }


@get(
    "/livestreams/{session_id:str}/report",
    summary="Viewers, orders, GMV and refunds by the merchant's home platform",
    opt=REPORT_OPT,
)
async def session_report(
    services: ServicesDep, sender: SenderDep, session_id: FromPath[str]
) -> dict[str, Any]:
    async with services.db.read() as conn:
        session, sales = await service.report(conn, sender, session_id)
    return {
        "session": session.to_dict(),
        "viewers": {"peak": session.viewers.peak_viewers, "views": session.viewers.views},
        **sales.to_dict(),
    }


participant_router = Router(
    path="/v1",
    route_handlers=[
        schedule_session,
        start_session,
        end_session,
        add_to_cart,
        report_viewers,
        show_session,
        session_report,
    ],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only, require_message_id],
    tags=["livestreams"],
    security=[{"beckn": []}],
)
