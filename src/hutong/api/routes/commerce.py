"""Offers and storefronts: signed participant routes and the operator's merchant profiles.

A merchant publishes offers in bulk (one result per item) and asks hosts for
storefronts; a host approves or refuses them, or declares standing rules that
decide them on arrival. Every write is idempotent by message id (`run_once`).
Bodies with money in them are decoded strictly: "100" is not 100.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest, SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import CODES, RESULT
from hutong.api.idempotency import run_once
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.routes.commerce_schemas import (
    DecisionIn,
    OfferOut,
    OfferResultsOut,
    ProfileIn,
    ProfileOut,
    SignedDecisionIn,
    SignedOffersIn,
    SignedStandingRuleIn,
    SignedStorefrontIn,
    StandingRuleOut,
    StorefrontOut,
    justification_in,
    offer_out,
    offer_results,
    profile_out,
    rule_out,
    storefront_out,
)
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.participant import participants_only, require_message_id
from hutong.api.schemas import admitted
from hutong.commerce import store
from hutong.commerce.store import MerchantProfile
from hutong.commerce.storefronts import CatalogItem, Decision, StandingRule, StorefrontStatus
from hutong.commerce.storefronts import service as storefront_service
from hutong.commerce.storefronts import store as storefront_store
from hutong.links.hosts import checked_host
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.services import Services

#: What asking for a storefront refuses with: a catalog SKU the merchant has no offer
#: for is the body's 422 `no_such_offer`, a host that is no platform `not_a_platform`.
STOREFRONT_REQUEST_CODES = {
    403: ("wrong_role",),
    409: ("host_not_active", "storefront_exists"),
    422: (
        "empty_catalog",
        "catalog_too_large",
        "duplicate_sku",
        "invalid_price",
        "invalid_commission",
        "own_host",
        "not_a_platform",
        "no_such_offer",
    ),
}
#: Items per bulk upsert (the body size limit applies as well).
MAX_OFFERS = 1000
MAX_PAGE = 1000


def _raw_offers(data: SignedOffersIn, document: Any) -> list[Any]:
    """The items exactly as the JSON said: checked one by one, never converted.

    `data` (the decoded body) only vouches for the shape: a list of objects.
    """
    if len(data.message.offers) > MAX_OFFERS:
        raise ValidationError(
            f"at most {MAX_OFFERS} offers per call, got {len(data.message.offers)}",
            code="batch_too_large",
        )
    return list(document["message"]["offers"])


@post(
    "/offers",
    dto=StrictBody[SignedOffersIn],
    return_dto=None,
    status_code=200,
    summary="Publish offers: bulk upsert, one result per item",
    opt={RESULT: OfferResultsOut},
)
async def publish_offers(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedOffersIn]
) -> Response[bytes]:
    items = _raw_offers(data, signed.document)

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.MERCHANT)
        results = await store.upsert_offers(conn, signed.subscriber_id, items, services.clock())
        return 200, msgspec.to_builtins(offer_results(results))

    return await run_once(services, signed, operation)


@get("/offers", summary="Your offers, by SKU id")
async def my_offers(
    services: ServicesDep,
    sender: SenderDep,
    after: FromQuery[str] = "",
    limit: FromQuery[int] = 100,
) -> list[OfferOut]:
    async with services.db.read() as conn:
        await store.require_role(conn, sender, Role.MERCHANT)
        found = await store.list_offers(
            conn, sender, after=after, limit=min(max(limit, 1), MAX_PAGE)
        )
    return [offer_out(o) for o in found]


@post(
    "/storefronts",
    dto=StrictBody[SignedStorefrontIn],
    return_dto=None,
    status_code=201,
    summary="Ask a host for a storefront (入驻)",
    opt={RESULT: StorefrontOut, CODES: STOREFRONT_REQUEST_CODES},
)
async def request_storefront(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedStorefrontIn]
) -> Response[bytes]:
    asked = data.message

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.MERCHANT)
        storefront = await storefront_service.request_storefront(
            conn,
            merchant=signed.subscriber_id,
            host=asked.host,
            catalog=[CatalogItem(i.sku_id, i.price) for i in asked.catalog],
            commission_bps=asked.commission_bps,
            now=services.clock(),
        )
        return 201, msgspec.to_builtins(storefront_out(storefront))

    return await run_once(services, signed, operation)


async def _decide(
    services: Services,
    signed: SignedRequest,
    storefront_id: str,
    decision: Decision,
    said: DecisionIn,
) -> Response[bytes]:

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        storefront = await storefront_service.decide_storefront(
            conn,
            storefront_id,
            caller=signed.subscriber_id,
            decision=decision,
            reason=said.reason,
            now=services.clock(),
            justification=justification_in(said.justification),
        )
        return 200, msgspec.to_builtins(storefront_out(storefront))

    return await run_once(services, signed, operation)


@post(
    "/storefronts/{storefront_id:str}/approve",
    dto=StrictBody[SignedDecisionIn],
    return_dto=None,
    status_code=200,
    summary="Approve (host only)",
    opt={RESULT: StorefrontOut},
)
async def approve(
    services: ServicesDep,
    signed: SignedDep,
    storefront_id: FromPath[str],
    data: JSONBody[SignedDecisionIn],
) -> Response[bytes]:
    return await _decide(services, signed, storefront_id, Decision.APPROVE, data.message)


@post(
    "/storefronts/{storefront_id:str}/refuse",
    dto=StrictBody[SignedDecisionIn],
    return_dto=None,
    status_code=200,
    summary="Refuse with a reason",
    opt={RESULT: StorefrontOut},
)
async def refuse(
    services: ServicesDep,
    signed: SignedDep,
    storefront_id: FromPath[str],
    data: JSONBody[SignedDecisionIn],
) -> Response[bytes]:
    return await _decide(services, signed, storefront_id, Decision.REFUSE, data.message)


@get("/storefronts", summary="Your storefronts, as merchant and as host (auditors: all)")
async def my_storefronts(
    services: ServicesDep, sender: SenderDep, status: FromQuery[str | None] = None
) -> list[StorefrontOut]:
    try:
        wanted = StorefrontStatus(status) if status else None
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_filter") from None
    async with services.db.read() as conn:
        caller = await require_participant(conn, sender)
        found = await storefront_service.list_storefronts(conn, caller, wanted)
    return [storefront_out(s) for s in found]


@get("/storefronts/{storefront_id:str}", summary="One storefront (its merchant, host, auditors)")
async def one_storefront(
    services: ServicesDep, sender: SenderDep, storefront_id: FromPath[str]
) -> StorefrontOut:
    async with services.db.read() as conn:
        storefront = await storefront_store.get_storefront(conn, storefront_id)
        if sender not in (storefront.merchant, storefront.host):
            caller = await require_participant(conn, sender)
            if not caller.has_role(Role.AUDITOR):
                raise ForbiddenError(
                    f"storefront {storefront_id} is neither yours nor on you",
                    code="not_your_storefront",
                )
    return storefront_out(storefront)


@post(
    "/storefront-policies",
    dto=StrictBody[SignedStandingRuleIn],
    return_dto=None,
    status_code=201,
    summary="Declare a standing storefront rule",
    opt={RESULT: StandingRuleOut},
)
async def declare_policy(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedStandingRuleIn]
) -> Response[bytes]:
    declared = data.message
    correction = admitted(declared.correction, declared.valid_from, services.clock())

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.PLATFORM)
        justification = justification_in(declared.justification)
        rule = StandingRule(
            decision=declared.decision,
            valid_from=declared.valid_from,
            categories=frozenset(declared.categories),
            home_platforms=frozenset(declared.home_platforms),
            reason=declared.reason,
            justification=justification,
        )
        stored = await storefront_service.declare_policy(
            conn,
            signed.subscriber_id,
            rule,
            services.clock(),
            correction=correction,
        )
        return 201, msgspec.to_builtins(rule_out(signed.subscriber_id, stored))

    return await run_once(services, signed, operation)


@get("/storefront-policies", summary="A host's declared standing rules, every version")
async def policies(
    services: ServicesDep, sender: SenderDep, host: FromQuery[str | None] = None
) -> list[StandingRuleOut]:
    """Declared policies are public: by default your own, or any host's by `host`."""
    whose = checked_host(host) if host is not None else sender
    async with services.db.read() as conn:
        rules = await storefront_store.policy_rules(conn, whose)
        corrected = await storefront_store.policy_corrections(conn, whose)
    return [rule_out(whose, r, corrected.get(r.version)) for r in rules]


participant_router = Router(
    path="/v1",
    route_handlers=[
        publish_offers,
        my_offers,
        request_storefront,
        approve,
        refuse,
        my_storefronts,
        one_storefront,
        declare_policy,
        policies,
    ],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only, require_message_id],
    tags=["commerce"],
    security=[{"beckn": []}],
)


# -- operator ----------------------------------------------------------------------


@put(
    "/merchants/{subscriber_id:str}/profile",
    dto=StrictBody[ProfileIn],
    return_dto=None,
    summary="Set a merchant's home platform",
    opt={RESULT: ProfileOut},
)
async def put_profile(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    subscriber_id: FromPath[str],
    data: JSONBody[ProfileIn],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    now = services.clock()

    async def write(conn: AsyncConnection) -> MerchantProfile:
        return await store.set_profile(
            conn,
            subscriber_id,
            home_platform=data.home_platform,
            self_operated=data.self_operated,
            now=now,
        )

    def present(profile: MerchantProfile) -> tuple[int, dict[str, Any]]:
        return 200, msgspec.to_builtins(profile_out(profile))

    return await operator_write(services, request, idempotency_key, write, present)


@get("/merchants/{subscriber_id:str}/profile", summary="A merchant's profile")
async def get_profile(services: ServicesDep, subscriber_id: FromPath[str]) -> ProfileOut:
    async with services.db.read() as conn:
        profile = await store.get_profile(conn, subscriber_id)
    if profile is None:
        raise NotFoundError(f"{subscriber_id} has no merchant profile", code="no_merchant_profile")
    return profile_out(profile)


operator_router = Router(
    path="/operator",
    route_handlers=[put_profile, get_profile],
    guards=[operator_guard],
    tags=["commerce (operator)"],
    security=[{"operatorToken": []}],
)
