"""Placements, link policies, the resolver (`/l/{code}`), share codes, QR codes."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from typing import Any

import msgspec
import segno
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import ServicesDep, SignedDep, StrictBody
from hutong.api.errors import status_of
from hutong.api.idempotency import run_once
from hutong.api.schemas import CorrectionIn, correction_of, correction_out
from hutong.links.host_policy import require_not_blocked
from hutong.links.hosts import alias, checked_alias, host_context
from hutong.links.policy import LinkRule, PolicyError, Surface
from hutong.links.resolution import Answer
from hutong.links.share_code import ShareCodeError, first_live, scan
from hutong.links.store import (
    PlacementView,
    create_placement,
    declare_rule,
    placement_by_code,
    placement_by_id,
    placements_by_serials,
    policy_history,
    rule_corrections,
)
from hutong.payments import pay_for_me
from hutong.protocol.declared_time import Correction, check_valid_from
from hutong.protocol.envelope import Context
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError, ack
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant, require_participant
from hutong.runtime.services import Services
from hutong.web.pages import render

#: Resolver answers must never be cached: tomorrow's policy may differ.
NO_STORE = {"cache-control": "no-store", "vary": "User-Agent"}
#: Share codes stay valid this long unless the placement asks otherwise.
DEFAULT_SHARE_DAYS = 30
MAX_SHARE_DAYS = 365
MAX_PASTED_TEXT = 10_000


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


class ShareParseIn(msgspec.Struct, kw_only=True):
    text: str
    host: str | None = None
    surface: str | None = None


def placement_out(services: Services, view: PlacementView, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/l/{view.code}"
    return view.as_dict() | {
        "url": url,
        "qr_svg": f"{url}/qr.svg",
        "qr_png": f"{url}/qr.png",
        "share_text": services.resolver().share_text(view),
    }


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


# -- placements and policies (signed) ---------------------------------------------


@post(
    "/placements",
    dto=StrictBody[PlacementRequest],
    return_dto=None,
    status_code=200,
    summary="Place an offer on a host surface",
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
    base = _base_url(request)

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


@get("/placements/{placement_id:str}", summary="One placement with its link and share code")
async def show_placement(
    services: ServicesDep, request: Request[Any, Any, Any], placement_id: FromPath[str]
) -> dict[str, Any]:
    async with services.db.read() as conn:
        view = await placement_by_id(conn, placement_id)
    if view is None:
        raise NotFoundError(f"no placement {placement_id}", code="unknown_placement")
    return placement_out(services, view, _base_url(request))


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

    response = await run_once(services, signed, operation)
    services.resolver().forget_policies(host)
    return response


participant_router = Router(
    path="/v1",
    route_handlers=[place, show_placement, declare],
    middleware=[SignedRequestMiddleware()],
    tags=["links"],
    security=[{"beckn": []}],
)


# -- public: policies, the resolver, share codes, QR --------------------------------


@get("/policies/{host:str}", tags=["links"], summary="A host's link policies on a date")
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


async def _answer(
    services: Services,
    request: Request[Any, Any, Any],
    view: PlacementView,
    *,
    host: str | None,
    surface: str | None,
    at: date | None,
    started: float,
) -> Response[Any]:
    context = host_context(
        host, request.headers.get("user-agent", ""), request.headers.get("accept", "")
    )
    if surface is not None and surface not in Surface.__members__.values():
        raise ValidationError(f"unknown surface {surface!r}", code="invalid_surface")
    resolution = await services.resolver().resolve(
        view, context, surface=surface, day=at, started=started
    )
    plan = resolution.plan
    if plan.answer is Answer.REDIRECT:
        assert plan.url is not None
        return Response(content=b"", status_code=302, headers=NO_STORE | {"location": plan.url})
    if plan.answer is Answer.JSON:
        return Response(
            content=plan.data | {"outcome": plan.outcome, "title": view.title}, headers=NO_STORE
        )
    refusal = plan.refusal
    if plan.answer is Answer.REFUSED:
        assert refusal is not None
        refusal.link["title"] = view.title
        return Response(content=refusal.body(), status_code=status_of(refusal), headers=NO_STORE)
    # A page that says "blocked" has the refusal's status; every other page is an answer.
    status = 200 if refusal is None else status_of(refusal)
    page = render(plan.page, title=view.title, **plan.data)
    return Response(
        content=page, status_code=status, media_type="text/html; charset=utf-8", headers=NO_STORE
    )


@get("/l/{code:str}", tags=["links"], summary="Open a universal link in the host's context")
async def resolve_link(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    code: FromPath[str],
    host: FromQuery[str | None] = None,
    surface: FromQuery[str | None] = None,
    at: FromQuery[date | None] = None,
) -> Response[Any]:
    started = time.perf_counter()
    asked = host_context(host, "", request.headers.get("accept", ""))  # invalid_host first
    view = await services.resolver().placement(code)
    if view is None:
        services.resolver().record_refusal(asked.host, "unknown_link", code, started)
        if asked.wants_json:
            missing = NotFoundError(f"no link {code} is known to this switch", code="unknown_link")
            return Response(
                content=missing.body(), status_code=status_of(missing), headers=NO_STORE
            )
        page = render("not_found.html", message=f"No link {code} is known to this switch.")
        return Response(
            content=page, status_code=404, media_type="text/html; charset=utf-8", headers=NO_STORE
        )
    return await _answer(
        services, request, view, host=host, surface=surface, at=at, started=started
    )


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m")


@get("/l/{code:str}/qr.svg", tags=["links"], summary="QR code of a link (SVG)")
async def qr_svg(
    services: ServicesDep, request: Request[Any, Any, Any], code: FromPath[str]
) -> Response[bytes]:
    return await _qr_response(services, request, code, "svg")


@get("/l/{code:str}/qr.png", tags=["links"], summary="QR code of a link (PNG)")
async def qr_png(
    services: ServicesDep, request: Request[Any, Any, Any], code: FromPath[str]
) -> Response[bytes]:
    return await _qr_response(services, request, code, "png")


async def _qr_response(
    services: Services, request: Request[Any, Any, Any], code: str, kind: str
) -> Response[bytes]:
    async with services.db.read() as conn:
        view = await placement_by_code(conn, code)
    if view is None:
        raise NotFoundError(f"no link {code}", code="unknown_link")
    buffer = io.BytesIO()
    _qr(f"{_base_url(request)}/l/{view.code}").save(buffer, kind=kind, scale=8, border=2)
    media = "image/svg+xml" if kind == "svg" else "image/png"
    return Response(
        content=buffer.getvalue(),
        media_type=media,
        headers={"cache-control": "public, max-age=86400"},
    )


@post(
    "/share/parse",
    dto=StrictBody[ShareParseIn],
    return_dto=None,
    tags=["links"],
    status_code=200,
    summary="Find a share code in pasted text and resolve it",
)
async def share_parse(
    services: ServicesDep, request: Request[Any, Any, Any], data: JSONBody[ShareParseIn]
) -> Response[Any]:
    started = time.perf_counter()
    if data.host:  # "" is no host named, as for ?host=
        checked_alias(data.host)
    if len(data.text) > MAX_PASTED_TEXT:
        raise ValidationError(
            f"pasted text is limited to {MAX_PASTED_TEXT} characters", code="text_too_long"
        )
    if data.surface is not None and data.surface not in Surface.__members__.values():
        services.resolver().record_refusal(
            data.host or "", "invalid_surface", data.surface, started
        )
        raise ValidationError(f"unknown surface {data.surface!r}", code="invalid_surface")
    found = scan(data.text, services.share_key())
    async with services.db.read() as conn:
        views = await placements_by_serials(conn, found.serials)
    refusal: ShareCodeError | None = None
    try:
        live = first_live(
            found, {s: v.share_expires_at for s, v in views.items()}, services.clock()
        )
    except ShareCodeError as product_refusal:
        refusal, live = product_refusal, None
    if live is None:
        # Not a product's code: a pay-for-me code has a key of its own (so it
        # is refused as forged above); pay-for-me reads it and names its request.
        try:
            shared = await pay_for_me.by_share_text(services, data.text)
        except ShareCodeError as pay_for_me_refusal:
            refusal, shared = pay_for_me_refusal, None
        if shared is not None:
            return Response(content=shared.to_dict(_base_url(request)), headers=NO_STORE)
        if refusal is not None:
            services.resolver().record_refusal(
                data.host or "", refusal.reason, refusal.token, started
            )
            raise refusal
        services.resolver().record_refusal(data.host or "", "missing", "", started)
        raise ValidationError("no share code was found in the text", code="share_code_missing")
    view = views[live.serial]
    context = host_context(data.host, request.headers.get("user-agent", ""), "application/json")
    resolution = await services.resolver().resolve(
        view, context, surface=data.surface, day=None, started=started
    )
    body = resolution.plan.data | {
        "kind": "placement",
        "outcome": resolution.plan.outcome,
        "code": live.code,
        "placement": placement_out(services, view, _base_url(request)),
    }
    blocked = resolution.plan.refusal
    if blocked is not None:  # the same refusal as the link's, with what the code names
        blocked.link.update(body)
        return Response(content=blocked.body(), status_code=status_of(blocked), headers=NO_STORE)
    return Response(content=body, headers=NO_STORE)


public_handlers = [show_policies, policy_versions, resolve_link, qr_svg, qr_png, share_parse]
