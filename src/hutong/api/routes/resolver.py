"""The resolver: a universal link (`/l/{code}`) opened in the host's context.

Also its QR codes, and share codes found in pasted text (`/share/parse`).
"""

from __future__ import annotations

import io
import time
from datetime import date
from typing import Any

import msgspec
import segno
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from hutong.api.declare import ServicesDep, StrictBody, base_url, services_of
from hutong.api.documented import RESULT
from hutong.api.errors import status_of
from hutong.api.routes.links import placement_out
from hutong.links.hosts import HostContext, checked_alias, host_context
from hutong.links.policy import Surface
from hutong.links.resolution import Answer
from hutong.links.share_code import ShareCodeError, first_live, scan
from hutong.links.store import PlacementView, placement_by_code, placements_by_serials
from hutong.payments import pay_for_me
from hutong.protocol.errors import NotFoundError, ValidationError
from hutong.runtime.services import Services
from hutong.web.pages import render

#: Resolver answers must never be cached: tomorrow's policy may differ.
NO_STORE = {"cache-control": "no-store", "vary": "User-Agent"}
MAX_PASTED_TEXT = 10_000


class ShareParseIn(msgspec.Struct, kw_only=True):
    text: str
    host: str | None = None
    surface: str | None = None


async def _answer(
    services: Services,
    request: Request[Any, Any, Any],
    view: PlacementView,
    *,
    asked: HostContext,
    surface: str | None,
    at: date | None,
    started: float,
) -> Response[Any]:
    context = asked
    if not asked.host:  # no ?host=: the in-app browser may say which app it is
        headers = request.headers
        context = host_context(None, headers.get("user-agent", ""), headers.get("accept", ""))
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
    request: Request[Any, Any, Any],
    code: FromPath[str],
    host: FromQuery[str | None] = None,
    surface: FromQuery[str | None] = None,
    at: FromQuery[date | None] = None,
) -> Response[Any]:
    started = time.perf_counter()
    # The switch's services from the app's state, not as a dependency: resolving
    # a dependency cost this route (the hottest public one) about 4% of its CPU.
    services = services_of(request.app.state)
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
        services, request, view, asked=asked, surface=surface, at=at, started=started
    )


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m")


@get(
    "/l/{code:str}/qr.svg",
    tags=["links"],
    summary="QR code of a link (SVG)",
    opt={RESULT: {"image/svg+xml": str}},
)
async def qr_svg(
    services: ServicesDep, request: Request[Any, Any, Any], code: FromPath[str]
) -> Response[bytes]:
    return await _qr_response(services, request, code, "svg")


@get(
    "/l/{code:str}/qr.png",
    tags=["links"],
    summary="QR code of a link (PNG)",
    opt={RESULT: {"image/png": bytes}},
)
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
    _qr(f"{base_url(request)}/l/{view.code}").save(buffer, kind=kind, scale=8, border=2)
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
            return Response(content=shared.to_dict(base_url(request)), headers=NO_STORE)
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
        "placement": placement_out(services, view, base_url(request)),
    }
    blocked = resolution.plan.refusal
    if blocked is not None:  # the same refusal as the link's, with what the code names
        blocked.link.update(body)
        return Response(content=blocked.body(), status_code=status_of(blocked), headers=NO_STORE)
    return Response(content=body, headers=NO_STORE)


public_handlers = [resolve_link, qr_svg, qr_png, share_parse]
