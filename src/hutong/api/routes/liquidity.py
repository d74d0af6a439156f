"""The liquidity API: each participant's net debit cap, prefunded amount and position.

The operator (bearer token) declares a participant's next limit version and
reads every position; the ledger moves positions with every transfer, and a
payment or transfer past a cap is refused ``net_debit_cap_exceeded`` before
anyone is asked to pay (`hutong.ledger.liquidity`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.declare import ServicesDep, StrictBody
from hutong.api.documented import RESULT
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.params import INT64_MAX
from hutong.api.routes.operator import operator_guard
from hutong.ledger.liquidity.service import Liquidity, declare_in, liquidity, overview
from hutong.runtime.exactly_once import Write

Fen = msgspec.Meta(ge=0, le=INT64_MAX, description="fen, a JSON integer >= 0")


class LimitIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: What the participant may come to owe the network, net; at most `prefunded`.
    net_debit_cap: Annotated[int, Fen]
    #: What it deposited at the settlement bank.
    prefunded: Annotated[int, Fen]
    reason: str = ""


class LimitOut(msgspec.Struct, kw_only=True):
    version: int
    net_debit_cap: int
    prefunded: int
    declared_at: datetime
    declared_by: str
    reason: str


class LiquidityOut(msgspec.Struct, kw_only=True):
    participant: str
    #: What it owes the network now, net (negative: the network owes it).
    position: int
    #: The current limit; null: not capped.
    limit: LimitOut | None
    #: Cap less position; null: not capped.
    headroom: int | None
    history: list[LimitOut]


def liquidity_out(found: Liquidity) -> LiquidityOut:
    history = [
        LimitOut(
            version=x.version,
            net_debit_cap=x.net_debit_cap,
            prefunded=x.prefunded,
            declared_at=x.declared_at,
            declared_by=x.declared_by,
            reason=x.reason,
        )
        for x in found.history
    ]
    return LiquidityOut(
        participant=found.participant,
        position=found.position,
        limit=history[-1] if history else None,
        headroom=found.headroom,
        history=history,
    )


@post(
    "/{participant:str}",
    dto=StrictBody[LimitIn],
    return_dto=None,
    status_code=200,
    summary="Declare a participant's next net debit cap and prefunded amount",
    opt={RESULT: LiquidityOut},
)
async def declare_limit(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    participant: FromPath[str],
    data: JSONBody[LimitIn],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    write = declaring(participant, data, services.clock(), by="operator")
    return await operator_write(services, request, idempotency_key, write, shown)


def declaring(participant: str, data: LimitIn, now: datetime, *, by: str) -> Write[Liquidity]:
    """The next limit of `participant` (the route's write, and `hutong liquidity set`'s)."""

    async def write(conn: AsyncConnection) -> Liquidity:
        cap, prefunded = data.net_debit_cap, data.prefunded
        return await declare_in(conn, participant, cap, prefunded, now, by=by, reason=data.reason)

    return write


def shown(found: Liquidity) -> tuple[int, dict[str, Any]]:
    """A participant's liquidity as the operator's routes answer it."""
    return 200, msgspec.to_builtins(liquidity_out(found))


@get("/{participant:str}", summary="A participant's position and declared limits")
async def show(services: ServicesDep, participant: FromPath[str]) -> LiquidityOut:
    return liquidity_out(await liquidity(services, participant))


@get("/", summary="Every participant's position and current limit")
async def every(services: ServicesDep) -> list[LiquidityOut]:
    return [liquidity_out(found) for found in await overview(services)]


operator_router = Router(
    path="/operator/liquidity",
    route_handlers=[declare_limit, show, every],
    guards=[operator_guard],
    tags=["liquidity (operator)"],
    security=[{"operatorToken": []}],
)
