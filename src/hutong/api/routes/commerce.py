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
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware, signed_request
from hutong.api.declare import services_of
from hutong.api.idempotency import run_once
from hutong.api.routes.commerce_schemas import (
    OfferOut,
    ProfileIn,
    ProfileOut,
    SignedDecisionIn,
    SignedOffersIn,
    SignedStandingRuleIn,
    SignedStorefrontIn,
    StandingRuleOut,
    StorefrontOut,
    offer_out,
    offer_results,
    profile_out,
    rule_out,
    storefront_out,
)
from hutong.api.routes.ledger import strict_body
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.participant import participants_only, require_message_id
from hutong.commerce import store, storefront_store
from hutong.commerce.storefronts import CatalogItem, Decision, StandingRule, StorefrontStatus
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_participant

#: Items per bulk upsert (the body size limit applies as well).
MAX_OFFERS = 1000
MAX_PAGE = 1000


def _raw_offers(document: Any) -> list[Any]:
    """The items exactly as the JSON said: checked one by one, never converted."""
    items = document["message"]["offers"]
    if len(items) > MAX_OFFERS:
        raise ValidationError(
            f"at most {MAX_OFFERS} offers per call, got {len(items)}", code="batch_too_large"
        )
    return list(items)


@post("/offers", status_code=200, summary="Publish offers: bulk upsert, one result per item")
async def publish_offers(
    state: State, request: Request[Any, Any, Any], data: JSONBody[SignedOffersIn]
) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    items = _raw_offers(signed.document)

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.MERCHANT)
        results = await store.upsert_offers(conn, signed.subscriber_id, items, services.clock())
        return 200, msgspec.to_builtins(offer_results(results))

    return await run_once(services, signed, operation)


@get("/offers", summary="Your offers, by SKU id")
async def my_offers(
    state: State,
    request: Request[Any, Any, Any],
    after: FromQuery[str] = "",
    limit: FromQuery[int] = 100,
) -> list[OfferOut]:
    services = services_of(state)
    merchant = signed_request(request.scope).subscriber_id
    async with services.db.read() as conn:
        await store.require_role(conn, merchant, Role.MERCHANT)
        found = await store.list_offers(
            conn, merchant, after=after, limit=min(max(limit, 1), MAX_PAGE)
        )
    return [offer_out(o) for o in found]


@post("/storefronts", status_code=201, summary="Ask a host for a storefront (入驻)")
async def request_storefront(
    state: State, request: Request[Any, Any, Any], data: JSONBody[SignedStorefrontIn]
) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    asked = (await strict_body(request, SignedStorefrontIn)).message

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.MERCHANT)
        storefront = await storefront_store.request_storefront(
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
    state: State, request: Request[Any, Any, Any], storefront_id: str, decision: Decision
) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    reason = (await strict_body(request, SignedDecisionIn)).message.reason

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        storefront = await storefront_store.decide_storefront(
            conn,
            storefront_id,
            caller=signed.subscriber_id,
            decision=decision,
            reason=reason,
            now=services.clock(),
        )
        return 200, msgspec.to_builtins(storefront_out(storefront))

    return await run_once(services, signed, operation)


@post("/storefronts/{storefront_id:str}/approve", status_code=200, summary="Approve (host only)")
async def approve(
    state: State,
    request: Request[Any, Any, Any],
    storefront_id: FromPath[str],
    data: JSONBody[SignedDecisionIn],
) -> Response[bytes]:
    return await _decide(state, request, storefront_id, Decision.APPROVE)


@post("/storefronts/{storefront_id:str}/refuse", status_code=200, summary="Refuse with a reason")
async def refuse(
    state: State,
    request: Request[Any, Any, Any],
    storefront_id: FromPath[str],
    data: JSONBody[SignedDecisionIn],
) -> Response[bytes]:
    return await _decide(state, request, storefront_id, Decision.REFUSE)


@get("/storefronts", summary="Your storefronts, as merchant and as host (auditors: all)")
async def my_storefronts(
    state: State, request: Request[Any, Any, Any], status: FromQuery[str | None] = None
) -> list[StorefrontOut]:
    services = services_of(state)
    try:
        wanted = StorefrontStatus(status) if status else None
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_filter") from None
    async with services.db.read() as conn:
        caller = await require_participant(conn, signed_request(request.scope).subscriber_id)
        found = await storefront_store.list_storefronts(conn, caller, wanted)
    return [storefront_out(s) for s in found]


@get("/storefronts/{storefront_id:str}", summary="One storefront (its merchant, host, auditors)")
async def one_storefront(
    state: State, request: Request[Any, Any, Any], storefront_id: FromPath[str]
) -> StorefrontOut:
    services = services_of(state)
    me = signed_request(request.scope).subscriber_id
    async with services.db.read() as conn:
        storefront = await storefront_store.get_storefront(conn, storefront_id)
        if me not in (storefront.merchant, storefront.host):
            caller = await require_participant(conn, me)
            if not caller.has_role(Role.AUDITOR):
                raise ForbiddenError(
                    f"storefront {storefront_id} is neither yours nor on you",
                    code="not_your_storefront",
                )
    return storefront_out(storefront)


@post("/storefront-policies", status_code=201, summary="Declare a standing storefront rule")
async def declare_policy(
    state: State, request: Request[Any, Any, Any], data: JSONBody[SignedStandingRuleIn]
) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    declared = (await strict_body(request, SignedStandingRuleIn)).message

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        await store.require_role(conn, signed.subscriber_id, Role.PLATFORM)
        rule = StandingRule(
            decision=declared.decision,
            valid_from=declared.valid_from,
            categories=frozenset(declared.categories),
            home_platforms=frozenset(declared.home_platforms),
            reason=declared.reason,
        )
        stored = await storefront_store.declare_policy(
            conn, signed.subscriber_id, rule, services.clock()
        )
        return 201, msgspec.to_builtins(rule_out(signed.subscriber_id, stored))

    return await run_once(services, signed, operation)


@get("/storefront-policies", summary="A host's declared standing rules, every version")
async def policies(
    state: State, request: Request[Any, Any, Any], host: FromQuery[str | None] = None
) -> list[StandingRuleOut]:
    """Declared policies are public: by default your own, or any host's by `host`."""
    services = services_of(state)
    whose = host or signed_request(request.scope).subscriber_id
    async with services.db.read() as conn:
        rules = await storefront_store.policy_rules(conn, whose)
    return [rule_out(whose, r) for r in rules]


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


@put("/merchants/{subscriber_id:str}/profile", summary="Set a merchant's home platform")
async def put_profile(
    state: State,
    request: Request[Any, Any, Any],
    subscriber_id: FromPath[str],
    data: JSONBody[ProfileIn],
) -> ProfileOut:
    services = services_of(state)
    wanted = await strict_body(request, ProfileIn)
    async with services.db.transaction() as conn:
        profile = await store.set_profile(
            conn,
            subscriber_id,
            home_platform=wanted.home_platform,
            self_operated=wanted.self_operated,
            now=services.clock(),
        )
    return profile_out(profile)


@get("/merchants/{subscriber_id:str}/profile", summary="A merchant's profile")
async def get_profile(state: State, subscriber_id: FromPath[str]) -> ProfileOut:
    services = services_of(state)
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
