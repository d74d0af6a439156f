"""Coupons API: campaigns, claiming coupons for buyers, and the refusals the auditor reads.

Every call is signed. A campaign is declared by its issuer (the merchant, its
home platform or a host it names); a host claims a coupon for its buyer
(exactly once per message id: the same message answers the same coupon, and
concurrent claims never issue beyond the stock released); an order redeems it
(``coupon`` in ``POST /v1/orders``). Refusals are ``coupon_*`` codes
(`hutong.commerce.coupons.rules`), each kept in ``coupon_refusals``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import Reply, run_decided, run_once
from hutong.api.routes.coupons_out import (
    BUYER_OPT,
    CLAIM_OPT,
    DECLARE_OPT,
    LIST_OPT,
    ORDER_OPT,
    REFUSALS_OPT,
    SHOW_OPT,
)
from hutong.commerce.coupons import CampaignRow, Claim, CouponError
from hutong.commerce.coupons import service as coupons
from hutong.protocol.envelope import Context
from hutong.registry.models import Role
from hutong.runtime.exactly_once import Refused

MAX_LIST = 500

# -- request bodies ---------------------------------------------------------------------------


class ReleaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: When these coupons become claimable (RFC 3339 with an offset).
    at: datetime
    quantity: int


class CampaignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The merchant whose goods the coupons discount.
    merchant: str
    title: str
    #: Who pays the discount: {participant: basis points}, 10000 in all.
    funding: dict[str, int]
    #: "fixed" (value in fen) or "percent" (value in basis points, `cap` fen at most).
    value_kind: str
    value: int
    cap: int = 0
    #: The order total (fen) below which the coupon is refused.
    min_spend: int = 0
    per_buyer: int = 1
    releases: list[ReleaseIn]
    valid_from: datetime
    valid_until: datetime
    #: The hosts that hand the coupons out, and on which surfaces ([]: any).
    hosts: list[str]
    surfaces: list[str] = []
    #: Where the coupons are redeemed ([]: any host that orders from the merchant,
    #: any storefront, any category); a host named here redeems coupons claimed elsewhere.
    redeem_hosts: list[str] = []
    storefronts: list[str] = []
    categories: list[str] = []


class SignedCampaign(msgspec.Struct, kw_only=True):
    context: Context
    message: CampaignIn


class ClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The host's pseudonymous id of its buyer.
    buyer: str
    #: Where the buyer took it: live_cart, mini_program, product_page, ...
    surface: str


class SignedClaim(msgspec.Struct, kw_only=True):
    context: Context
    message: ClaimIn


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise CouponError("invalid_campaign", f"{name} needs a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise CouponError("invalid_campaign", f"{name} is out of range") from None


# -- presenters -------------------------------------------------------------------------------


def campaign_out(row: CampaignRow) -> Reply:
    return 201, {"campaign": row.to_dict()}


def claim_out(claim: Claim | Refused) -> Reply:
    if isinstance(claim, Refused):  # shown by the exactly-once path before it gets here
        raise claim.error
    return 201, {"coupon": claim.to_dict()}


# -- campaigns --------------------------------------------------------------------------------


@post(
    "/coupons/campaigns",
    dto=StrictBody[SignedCampaign],
    return_dto=None,
    status_code=201,
    summary="Declare a coupon campaign (the merchant, its platform or a host it names)",
    opt=DECLARE_OPT,
)
async def declare_campaign(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedCampaign]
) -> Response[bytes]:
    body = data.message
    spec = coupons.NewCampaign(
        merchant=body.merchant,
        title=body.title,
        funding=body.funding,
        value_kind=body.value_kind,
        value=body.value,
        cap=body.cap,
        min_spend=body.min_spend,
        per_buyer=body.per_buyer,
        releases=[(_utc(r.at, "a release"), r.quantity) for r in body.releases],
        valid_from=_utc(body.valid_from, "valid_from"),
        valid_until=_utc(body.valid_until, "valid_until"),
        hosts=body.hosts,
        surfaces=body.surfaces,
        redeem_hosts=body.redeem_hosts,
        storefronts=body.storefronts,
        categories=body.categories,
    )
    return await run_decided(
        services,
        signed,
        lambda: coupons.declare(services, signed.subscriber_id, spec),
        campaign_out,
    )


@get(
    "/coupons/campaigns",
    summary="Coupon campaigns, by merchant or by the host handing them out",
    opt=LIST_OPT,
)
async def list_campaigns(
    services: ServicesDep,
    merchant: FromQuery[str | None] = None,
    host: FromQuery[str | None] = None,
    limit: FromQuery[int] = 100,
) -> dict[str, Any]:
    rows = await coupons.list_campaigns(
        services, merchant=merchant, host=host, limit=max(1, min(limit, MAX_LIST))
    )
    return {"campaigns": [row.to_dict() for row in rows]}


@get(
    "/coupons/campaigns/{campaign_id:str}",
    summary="A coupon campaign and how many it issued",
    opt=SHOW_OPT,
)
async def show_campaign(services: ServicesDep, campaign_id: FromPath[str]) -> dict[str, Any]:
    return {"campaign": (await coupons.readable_campaign(services, campaign_id)).to_dict()}


# -- claims -----------------------------------------------------------------------------------


@post(
    "/coupons/campaigns/{campaign_id:str}/claims",
    dto=StrictBody[SignedClaim],
    return_dto=None,
    status_code=201,
    guards=[requires(Role.PLATFORM)],
    summary="Claim a coupon for a buyer (a host that hands the campaign out)",
    opt=CLAIM_OPT,
)
async def claim_coupon(
    services: ServicesDep,
    signed: SignedDep,
    campaign_id: FromPath[str],
    data: JSONBody[SignedClaim],
) -> Response[bytes]:
    body = data.message
    # It asks nobody: the message is recorded with its effects (no claim first).
    write = await coupons.claim(
        services, signed.subscriber_id, campaign_id, body.buyer, body.surface
    )
    return await run_once(services, signed, write, claim_out)


@get(
    "/coupons/buyers/{buyer:str}",
    guards=[requires(Role.PLATFORM)],
    summary="The coupons your buyer holds or used (a host)",
    opt=BUYER_OPT,
)
async def buyer_coupons(
    services: ServicesDep, sender: SenderDep, buyer: FromPath[str]
) -> dict[str, Any]:
    claims = await coupons.buyer_coupons(services, sender, buyer)
    return {"coupons": [claim.to_dict() for claim in claims]}


@get(
    "/coupons/orders/{order_id:str}",
    summary="The coupon an order redeemed (its parties, auditors)",
    opt=ORDER_OPT,
)
async def order_coupon(
    services: ServicesDep, sender: SenderDep, order_id: FromPath[str]
) -> dict[str, Any]:
    found = await coupons.order_coupon(services, sender, order_id)
    return {"order_id": order_id, "coupon": found.to_dict()}


@get(
    "/coupons/refusals",
    summary="Coupon refusals (auditors: all; issuers, funders, hosts: theirs)",
    opt=REFUSALS_OPT,
)
async def coupon_refusals(
    services: ServicesDep,
    sender: SenderDep,
    campaign_id: FromQuery[str | None] = None,
    limit: FromQuery[int] = 100,
) -> dict[str, Any]:
    rows = await coupons.refusals(
        services, sender, campaign_id=campaign_id, limit=max(1, min(limit, MAX_LIST))
    )
    return {"refusals": rows}


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: False},
    route_handlers=[
        declare_campaign,
        list_campaigns,
        show_campaign,
        claim_coupon,
        buyer_coupons,
        order_coupon,
        coupon_refusals,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["coupons"],
    security=[{"beckn": []}],
)
