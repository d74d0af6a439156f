"""Placements and link policies: what a merchant places on a host, what a host declares."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import ServicesDep, SignedDep, StrictBody, base_url
from hutong.api.idempotency import run_once
from hutong.api.routes.links_out import (
    DECLARE_RULE_OPT,
    PLACE_OPT,
    POLICIES_OPT,
    POLICY_HISTORY_OPT,
    SHOW_OPT,
)
from hutong.api.schemas import CorrectionIn, correction_of, correction_out
from hutong.links.host_policy import require_not_blocked
from hutong.links.hosts import alias, checked_alias
from hutong.links.policy import LinkRule, PolicyError, Surface
from hutong.links.store import (
    PlacementView,
    create_placement,
    declare_rule,
    placement_by_id,
    policy_history,
    rule_corrections,
)
from hutong.protocol.declared_time import Correction, check_valid_from
from hutong.protocol.envelope import Context
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError, ack
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant, require_participant
from hutong.runtime.services import Services

#: Share codes stay valid this long unless the placement asks otherwise.
DEFAULT_SHARE_DAYS = 30
MAX_SHARE_DAYS = 365


class PlacementIn(msgspec.Struct, kw_only=True):
    host: str
    surface: str
    merchant: str
    sku_id: str
    storefront_id: str | None = None
    share_code_days: int = DEFAULT_SHARE_DAYS


class PlacementRequest(msgspec.Struct, kw_only=True):
    context: Context
    message: PlacementIn


class RuleRequest(msgspec.Struct, kw_only=True):
    context: Context
    #: A link rule as `LinkRule.to_dict()` writes it; `host` is the caller.
    message: dict[str, Any]


def placement_out(services: Services, view: PlacementView, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/l/{view.code}"
    return view.as_dict() | {
        "url": url,
        "qr_svg": f"{url}/qr.svg",
        "qr_png": f"{url}/qr.png",
        "share_text": services.resolver().share_text(view),
    }


# -- placements and policies (signed) ---------------------------------------------


@post(
    "/placements",
    dto=StrictBody[PlacementRequest],
    return_dto=None,
    status_code=200,
    summary="Place an offer on a host surface",
    opt=PLACE_OPT,
)
async def place(
    services: ServicesDep,
    signed: SignedDep,
    request: Request[Any, Any, Any],
    data: JSONBody[PlacementRequest],
) -> Response[bytes]:
    wanted = data.message
    try:
        surface = Surface(wanted.surface)
    except ValueError:
        known = ", ".join(s.value for s in Surface)
        raise ValidationError(
            f"unknown surface {wanted.surface!r}; one of {known}", code="invalid_surface"
        ) from None
    if not 1 <= wanted.share_code_days <= MAX_SHARE_DAYS:
        raise ValidationError(
            f"share_code_days must be 1 to {MAX_SHARE_DAYS}", code="invalid_share_code_days"
        )
    base = base_url(request)

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        caller = await require_participant(conn, signed.subscriber_id)
        host = await get_participant(conn, wanted.host)
        if host is None or not host.has_role(Role.PLATFORM) or host.status is not Status.ACTIVE:
            raise ValidationError(f"{wanted.host} is not an active platform", code="invalid_host")
        if caller.subscriber_id != host.subscriber_id and not caller.has_role(Role.CREATOR):
            raise ForbiddenError(
                "only the host platform itself or a creator on it places offers",
                code="wrong_role",
            )
        now = services.clock()
        placement_id = await create_placement(
            conn,
            host=host.subscriber_id,
            surface=surface,
            merchant=wanted.merchant,
            sku_id=wanted.sku_id,
            placed_by=caller.subscriber_id,
            storefront_id=wanted.storefront_id,
            share_expires_at=now + timedelta(days=wanted.share_code_days),
            now=now,
        )
        view = await placement_by_id(conn, placement_id)
        assert view is not None
        # Refused (and rolled back) where the host's own declared policy blocks it.
        await require_not_blocked(conn, view, now.date(), "this placement")
        return 200, ack(placement=placement_out(services, view, base))

    return await run_once(services, signed, operation)


@get(
    "/placements/{placement_id:str}",
    summary="One placement with its link and share code",
    opt=SHOW_OPT,
)
async def show_placement(
    services: ServicesDep, request: Request[Any, Any, Any], placement_id: FromPath[str]
) -> dict[str, Any]:
    async with services.db.read() as conn:
        view = await placement_by_id(conn, placement_id)
    if view is None:
        raise NotFoundError(f"no placement {placement_id}", code="unknown_placement")
    return placement_out(services, view, base_url(request))


def _correction(given: Any) -> Correction | None:
    """A link rule's ``"correction": {"reason": ...}``, as the other policy kinds take it."""
    if given is None:
        return None
    try:
        return correction_of(msgspec.convert(given, CorrectionIn))
    except msgspec.ValidationError as exc:
        raise ValidationError(
            f"correction is {{'reason': '...'}}: {exc}", code="invalid_correction"
        ) from None


def _invalid_rule(exc: Exception) -> ValidationError:
    """Every refused declaration answers ``invalid_link_rule`` (422) with the rule's sentence.

    `PolicyError`'s finer codes (``version_out_of_order``...) are for the
    domain's callers; this API has always answered one code for every rule
    problem, and a refusal inside `run_once` must not be stored under another.
    """
    detail = exc.message if isinstance(exc, PolicyError) else str(exc)
    return ValidationError(f"the link rule is not valid: {detail}", code="invalid_link_rule")


@post(
    "/link-policies",
    dto=StrictBody[RuleRequest],
    return_dto=None,
    status_code=200,
    summary="Declare a link rule (adds a version)",
    opt=DECLARE_RULE_OPT,
)
async def declare(
    services: ServicesDep, signed: SignedDep, data: JSONBody[RuleRequest]
) -> Response[bytes]:
    host = alias(signed.subscriber_id)
    given = dict(data.message)
    correction = _correction(given.pop("correction", None))
    try:
        rule = LinkRule.from_dict(given | {"host": host, "version": 0})
    except (PolicyError, KeyError, ValueError, TypeError) as exc:
        raise _invalid_rule(exc) from None
    check_valid_from(rule.valid_from, services.clock(), correction)

    async def operation(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        caller = await require_participant(conn, signed.subscriber_id)
        if not caller.has_role(Role.PLATFORM):
            raise ForbiddenError("only platforms declare link policies", code="wrong_role")
        try:
            stored = await declare_rule(
                conn,
                rule,
                services.clock(),
                correction=correction,
                declared_by=caller.subscriber_id,
            )
        except PolicyError as exc:  # e.g. declared_at before the latest version's
            raise _invalid_rule(exc) from None
        if correction is None:
            return 200, ack(rule=stored.to_dict())
        return 200, ack(rule=stored.to_dict(), correction={"reason": correction.reason})

    return await run_once(services, signed, operation)


participant_router = Router(
    path="/v1",
    route_handlers=[place, show_placement, declare],
    middleware=[SignedRequestMiddleware()],
    tags=["links"],
    security=[{"beckn": []}],
)


# -- public: policies, the resolver, share codes, QR --------------------------------


@get(
    "/policies/{host:str}",
    tags=["links"],
    summary="A host's link policies on a date",
    opt=POLICIES_OPT,
)
async def show_policies(
    services: ServicesDep, host: FromPath[str], at: FromQuery[date | None] = None
) -> dict[str, Any]:
    checked = checked_alias(host)
    async with services.db.read() as conn:
        history = await policy_history(conn, checked)
    day = at or services.clock().date()
    return {
        "host": history.host,
        "at": day.isoformat(),
        "versions": len(history),
        "rules_in_force": [r.to_dict() for r in history.rules_at(day)],
    }


@get(
    "/policies/{host:str}/history",
    tags=["links"],
    summary="Every version a host declared, back-dated corrections marked",
    opt=POLICY_HISTORY_OPT,
)
async def policy_versions(services: ServicesDep, host: FromPath[str]) -> dict[str, Any]:
    async with services.db.read() as conn:
        history = await policy_history(conn, host)
        corrected = await rule_corrections(conn, host)
    return {
        "host": history.host,
        "versions": [
            r.to_dict() | {"correction": correction_out(corrected.get(r.version))}
            for r in history.versions
        ],
    }


public_handlers = [show_policies, policy_versions]
