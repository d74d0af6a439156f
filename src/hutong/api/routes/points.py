"""Points API: programs' exchange offers, point grants, balances and points exchanges.

Every call is signed by a membership program (offers and exchanges may also be
read by auditors). Every write is exactly once per message id; an exchange
asks the issuing program before its final write (`run_decided`), so a retried
request never asks twice once answered, and never holds points twice: the
exchange id is derived from the sender and the message id (see
`hutong.payments.points`). Bodies are decoded strictly: points and fen are
JSON integers.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import run_decided
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.api.routes.points_out import (
    BALANCE_OPT,
    DECLARE_OPT,
    EXCHANGE_OPT,
    GRANT_OPT,
    LIST_DECLARATIONS_OPT,
    LIST_OFFERS_OPT,
    PUBLISH_OPT,
    SHOW_EXCHANGE_OPT,
    WITHDRAW_OPT,
)
from hutong.api.routes.points_presenters import (
    declaration_out,
    exchange_out,
    grant_out,
    offer_published_out,
    offer_withdrawn_out,
)
from hutong.api.schemas import CorrectionIn, admitted
from hutong.net.transport import call_transport
from hutong.payments import points
from hutong.payments.points import refusals
from hutong.protocol.envelope import Context

# -- request bodies ---------------------------------------------------------------------------


class OfferIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The program whose members pay with their points.
    program_from: str
    points_price: int
    #: One unit of what the member gets, e.g. "1 month of Tencent Video VIP".
    benefit: str
    #: Units one member may take a UTC day (null: no cap).
    daily_cap_per_user: int | None = None
    #: Fen program_from owes program_to per unit issued.
    money_rate_fen: int
    #: The issuing program: the sender (naming another one is refused).
    program_to: str = ""


class SignedOffer(msgspec.Struct, kw_only=True):
    context: Context
    message: OfferIn


class GrantIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member: str
    points: int
    #: The program's own id for this grant (default: the message id).
    grant_id: str = ""


class SignedGrant(msgspec.Struct, kw_only=True):
    context: Context
    message: GrantIn


class ExchangeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    offer_id: str
    #: The member at program_from whose points pay.
    member: str
    #: The same person's account at program_to, which receives the benefit.
    beneficiary: str
    quantity: int = 1
    #: The issuing program you mean (optional; the offer must be its). A program that
    #: declared it refuses your exchanges is named in the refusal even without an offer.
    program_to: str = ""


class SignedExchange(msgspec.Struct, kw_only=True):
    context: Context
    message: ExchangeIn


class RefusalIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The counterparty program whose exchanges you refuse (or no longer refuse).
    program: str
    refuses: bool
    #: Your public statement, e.g. "no points arrangement with 88VIP".
    statement: str
    #: First UTC day it holds (default: today); earlier only as a correction.
    valid_from: date | None = None
    correction: CorrectionIn | None = None


class SignedRefusal(msgspec.Struct, kw_only=True):
    context: Context
    message: RefusalIn


# -- offers -------------------------------------------------------------------------------------


@post(
    "/points/offers",
    dto=StrictBody[SignedOffer],
    return_dto=None,
    status_code=201,
    summary="Publish an exchange offer (the issuing program)",
    opt=PUBLISH_OPT,
)
async def publish_offer(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedOffer]
) -> Response[bytes]:
    body = data.message
    spec = points.NewOffer(**msgspec.structs.asdict(body))
    return await run_decided(
        services,
        signed,
        lambda: points.publish_offer(services, signed.subscriber_id, spec),
        offer_published_out,
    )


@post(
    "/points/offers/{offer_id:str}/withdraw",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Withdraw an exchange offer (the issuing program)",
    opt=WITHDRAW_OPT,
)
async def withdraw_offer(
    services: ServicesDep, signed: SignedDep, offer_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty.
    return await run_decided(
        services,
        signed,
        lambda: points.withdraw_offer(services, signed.subscriber_id, offer_id),
        offer_withdrawn_out,
    )


@get(
    "/points/offers",
    summary="Exchange offers, by the paying or the issuing program",
    opt=LIST_OFFERS_OPT,
)
async def list_offers(
    services: ServicesDep,
    program_from: FromQuery[str | None] = None,
    program_to: FromQuery[str | None] = None,
) -> dict[str, Any]:
    offers = await points.list_offers(services, program_from=program_from, program_to=program_to)
    return {"offers": [offer.to_dict() for offer in offers]}


# -- grants and balances ---------------------------------------------------------------------


@post(
    "/points/grants",
    dto=StrictBody[SignedGrant],
    return_dto=None,
    status_code=201,
    summary="Credit points to one of your members",
    opt=GRANT_OPT,
)
async def grant_points(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedGrant]
) -> Response[bytes]:
    body = data.message
    grant_id = body.grant_id or signed.message_id or ""
    return await run_decided(
        services,
        signed,
        lambda: points.grant(services, signed.subscriber_id, body.member, body.points, grant_id),
        grant_out,
    )


@get(
    "/points/members/{member:str}/balance",
    summary="One of your members' points",
    opt=BALANCE_OPT,
)
async def member_balance(
    services: ServicesDep, sender: SenderDep, member: FromPath[str]
) -> dict[str, Any]:
    return (await points.balance(services, sender, member)).to_dict()


# -- exchanges --------------------------------------------------------------------------------


@post(
    "/points/exchanges",
    dto=StrictBody[SignedExchange],
    return_dto=None,
    status_code=201,
    summary="Exchange a member's points for another program's benefit (the paying program)",
    opt=EXCHANGE_OPT,
)
async def create_exchange(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedExchange]
) -> Response[bytes]:
    body = data.message
    spec = points.NewExchange(**msgspec.structs.asdict(body))
    return await run_decided(
        services,
        signed,
        lambda: points.exchange(
            services, call_transport(), signed.subscriber_id, signed.message_id or "", spec
        ),
        exchange_out,
    )


@get(
    "/points/exchanges/{exchange_id:str}",
    summary="An exchange (its two programs, auditors)",
    opt=SHOW_EXCHANGE_OPT,
)
async def show_exchange(
    services: ServicesDep, sender: SenderDep, exchange_id: FromPath[str]
) -> dict[str, Any]:
    exchange = await points.readable_exchange(services, sender, exchange_id)
    return {"exchange": exchange.to_dict()}


# -- declared refusals -------------------------------------------------------------------------


@post(
    "/points/refusals",
    dto=StrictBody[SignedRefusal],
    return_dto=None,
    status_code=201,
    summary="Declare that you refuse (or no longer refuse) another program's exchanges",
    opt=DECLARE_OPT,
)
async def declare_refusal(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedRefusal]
) -> Response[bytes]:
    body = data.message
    valid_from = body.valid_from or services.clock().astimezone(UTC).date()
    spec = refusals.NewDeclaration(
        counterparty=body.program,
        refuses=body.refuses,
        statement=body.statement,
        valid_from=valid_from,
        correction=admitted(body.correction, valid_from, services.clock()),
    )
    return await run_decided(
        services,
        signed,
        lambda: refusals.declare(services, signed.subscriber_id, spec),
        declaration_out,
    )


@get(
    "/points/refusals",
    summary="A program's declared refusals, every version or those in force on a day (public)",
    opt=LIST_DECLARATIONS_OPT,
)
async def list_refusals(
    services: ServicesDep,
    sender: SenderDep,
    program: FromQuery[str],
    counterparty: FromQuery[str | None] = None,
    at: FromQuery[date | None] = None,
) -> dict[str, Any]:
    async with services.db.read() as conn:
        found = await refusals.declarations(conn, program, counterparty=counterparty, at=at)
    return {"declarations": [declaration.to_dict() for declaration in found]}


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[
        publish_offer,
        withdraw_offer,
        list_offers,
        grant_points,
        member_balance,
        create_exchange,
        show_exchange,
        declare_refusal,
        list_refusals,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["points"],
    security=[{"beckn": []}],
)
