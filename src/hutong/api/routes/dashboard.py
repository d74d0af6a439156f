"""The dashboard (issue 16): server-rendered pages for the operator, and one public page.

Operator pages, signed in (`hutong.web.dashboard.session`):

- `GET /dashboard[?day=YYYY-MM-DD]`: the interconnection matrix on that day;
- `GET /dashboard/timeline[?platform=&source=]`: a platform's link policy
  history and the network's openness index;
- `GET /dashboard/findings[?check=&subject=&from=&to=]` and
  `GET /dashboard/findings/{id}`: the auditor's findings, one with its records;
- `GET /dashboard/money`, `GET /dashboard/health`.

Without a valid session cookie an operator page answers 303 to
`/dashboard/sign-in?next=PATH` and shows nothing. `POST /dashboard/sign-in`
(form field `token`: the operator token) sets the cookie (HttpOnly,
SameSite=Strict, expiring); a wrong token answers 401 with the form again.
An auditor signs in with its registered key instead: `GET
/dashboard/sign-in/challenge` gives a challenge (JSON, two minutes), and
`POST /dashboard/sign-in/key` (form fields subscriber_id, key_id, challenge,
signature: base64 Ed25519 of the challenge text) sets the same kind of
cookie; refused: 401 `challenge_invalid` or `signature_invalid`, 403
`not_an_auditor`, with the form again.

Public: `GET /transparency[?day=]`: the aggregate link matrix and the
openness index only. Static files: `/dashboard/static/...`.

Each route calls one read of `hutong.web.dashboard.service` and renders it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from hutong.api.declare import ServicesDep, services_of
from hutong.protocol.errors import ForbiddenError, HutongError
from hutong.runtime.services import Services
from hutong.web.charts import (
    availability_chart,
    channels_chart,
    flow_chart,
    latency_chart,
    openness_chart,
)
from hutong.web.dashboard import challenge, service, session
from hutong.web.dashboard.flows import last_months
from hutong.web.pages import STATIC_DIR, render

__all__ = ["operator_router", "public_handlers"]

Day = Annotated[date | None, QueryParameter(name="day")]
From = Annotated[date | None, QueryParameter(name="from")]
To = Annotated[date | None, QueryParameter(name="to")]


def _html(body: str, status: int = 200) -> Response[str]:
    return Response(
        content=body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"cache-control": "no-store", "x-frame-options": "DENY"},
    )


def _page(template: str, title: str, section: str, **context: Any) -> Response[str]:
    return _html(render(template, title=title, section=section, public=False, **context))


def _today(services: Services) -> date:
    return services.clock().date()


def _matrix_context(services: Services, links: Any) -> dict[str, Any]:
    return {
        "links": links,
        "first_day": service.FIRST_DAY.isoformat(),
        "today": _today(services).isoformat(),
    }


# -- signing in ---------------------------------------------------------------------------------


def _safe_next(path: str | None) -> str:
    """Only a dashboard path is followed after signing in (no open redirect)."""
    if path and path.startswith("/dashboard") and not path.startswith("//"):
        return path
    return "/dashboard"


async def require_session(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Before every operator page: a valid session, else 303 to the sign-in form."""
    if request.route_handler.opt.get("public"):
        return None
    services = services_of(request.app.state)
    token = services.settings.operator_token
    now = int(services.clock().timestamp())
    if session.session_valid(token, request.cookies.get(session.COOKIE), now):
        return None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/dashboard/sign-in?next={quote(target, safe='')}", status_code=303)


def _sign_in_form(
    services: Services, next_path: str, error: str = "", status: int = 200
) -> Response[str]:
    now = int(services.clock().timestamp())
    body = render(
        "dashboard/sign_in.html",
        title="Operator sign-in",
        section="sign-in",
        public=True,
        next=next_path,
        error=error,
        challenge=challenge.new_challenge(services.settings.operator_token, now),
    )
    return _html(body, status)


def _session_cookie(value: str) -> Cookie:
    return Cookie(
        key=session.COOKIE,
        value=value,
        max_age=session.SESSION_SECONDS,
        path="/dashboard",
        httponly=True,
        samesite="strict",
    )


@get("/sign-in", opt={"public": True}, include_in_schema=False)
async def sign_in_form(
    services: ServicesDep,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[str]:
    return _sign_in_form(services, _safe_next(next_path))


@post("/sign-in", opt={"public": True}, include_in_schema=False, status_code=303)
async def sign_in(services: ServicesDep, request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    token = services.settings.operator_token
    next_path = _safe_next(str(form.get("next") or ""))
    if not session.token_matches(token, str(form.get("token") or "")):
        error = "That is not the operator token." if token else "The operator API is disabled."
        return _sign_in_form(services, next_path, error, status=401)
    value = session.new_session(token, int(services.clock().timestamp()))
    return Redirect(next_path, status_code=303, cookies=[_session_cookie(value)])


@get("/sign-in/challenge", opt={"public": True}, include_in_schema=False)
async def sign_in_challenge(services: ServicesDep) -> Response[dict[str, Any]]:
    """A fresh challenge for an auditor to sign (`hutong.web.dashboard.challenge`)."""
    now = int(services.clock().timestamp())
    text = challenge.new_challenge(services.settings.operator_token, now)
    return Response(
        {"challenge": text, "expires_in": challenge.CHALLENGE_SECONDS},
        headers={"cache-control": "no-store"},
    )


@post("/sign-in/key", opt={"public": True}, include_in_schema=False, status_code=303)
async def sign_in_with_key(services: ServicesDep, request: Request[Any, Any, Any]) -> Response[Any]:
    """An auditor's signed challenge (form fields subscriber_id, key_id, challenge, signature)."""
    form = await request.form()
    next_path = _safe_next(str(form.get("next") or ""))
    token = services.settings.operator_token
    try:
        who = await challenge.signed_in_auditor(
            services.db,
            token,
            subscriber_id=str(form.get("subscriber_id") or ""),
            key_id=str(form.get("key_id") or ""),
            challenge=str(form.get("challenge") or ""),
            signature=str(form.get("signature") or ""),
            now=services.clock(),
        )
    except HutongError as refused:
        status = 403 if isinstance(refused, ForbiddenError) else 401
        return _sign_in_form(
            services, next_path, f"{refused.message} ({refused.code})", status=status
        )
    value = session.new_auditor_session(token, int(services.clock().timestamp()), who)
    return Redirect(next_path, status_code=303, cookies=[_session_cookie(value)])


@post("/sign-out", include_in_schema=False, status_code=303)
async def sign_out() -> Response[Any]:
    response = Redirect("/dashboard/sign-in", status_code=303)
    response.delete_cookie(session.COOKIE, path="/dashboard")
    return response


# -- operator pages -----------------------------------------------------------------------------


@get("/", include_in_schema=False)
async def matrix(services: ServicesDep, day: Day = None) -> Response[str]:
    shown = service.clamp_day(day, _today(services))
    page = await service.matrix_page(services.db, shown)
    return _page(
        "dashboard/matrix.html",
        "Interconnection matrix",
        "matrix",
        grids=page.grids,
        link_cells=True,
        **_matrix_context(services, page.links),
    )


@get("/timeline", include_in_schema=False)
async def timeline(
    services: ServicesDep,
    platform: FromQuery[str | None] = None,
    source: FromQuery[str | None] = None,
) -> Response[str]:
    found = await service.timeline_page(services.db, platform or None, services.clock())
    facts = [f.rule for f in found.facts]
    return _page(
        "dashboard/timeline.html",
        "Timeline",
        "timeline",
        charts=True,
        timeline=found,
        source=source or "",
        series=openness_chart(found.series, facts),
    )


@get("/findings", include_in_schema=False)
async def findings(
    services: ServicesDep,
    start: From = None,
    end: To = None,
    check: FromQuery[str | None] = None,
    subject: FromQuery[str | None] = None,
) -> Response[str]:
    default_start, default_end = service.default_period(_today(services))
    page = await service.findings_page(
        services.db,
        start or default_start,
        end or default_end,
        services.clock(),
        check=check or None,
        subject=subject or None,
    )
    return _page(
        "dashboard/findings.html", "Findings", "findings", page=page, checks=service.checks()
    )


@get("/findings/{finding:str}", include_in_schema=False)
async def finding(services: ServicesDep, finding: FromPath[str]) -> Response[str]:
    found = await service.finding_page(services.db, finding, services.clock())
    return _page(
        "dashboard/finding.html",
        f"Finding {finding}",
        "findings",
        page=found.evidence,
        run=found.run,
    )


@get("/money", include_in_schema=False)
async def money(services: ServicesDep) -> Response[str]:
    found = await service.money_page(services.db, services.clock())
    return _page(
        "dashboard/money.html",
        "Money and parcels",
        "money",
        charts=True,
        money=found,
        channels=channels_chart(found.channels),
        flow=flow_chart(found.flows),
    )


@get("/health", include_in_schema=False)
async def health(services: ServicesDep) -> Response[str]:
    found = await service.health_page(services.db, services.clock())
    return _page(
        "dashboard/health.html",
        "Network health",
        "health",
        charts=True,
        health=found,
        latency=latency_chart(found.callees),
        available=availability_chart(found.availability),
        recent_availability=last_months(found.availability),
    )


operator_router = Router(
    path="/dashboard",
    route_handlers=[
        sign_in_form,
        sign_in,
        sign_in_challenge,
        sign_in_with_key,
        sign_out,
        matrix,
        timeline,
        findings,
        finding,
        money,
        health,
    ],
    before_request=require_session,
    tags=["dashboard"],
    include_in_schema=False,
)


# -- public -------------------------------------------------------------------------------------


@get("/transparency", include_in_schema=False)
async def transparency(services: ServicesDep, day: Day = None) -> Response[str]:
    today = _today(services)
    page = await service.public_page(services.db, service.clamp_day(day, today), services.clock())
    body = render(
        "dashboard/public.html",
        title="Transparency: who is open to whom",
        section="public",
        public=True,
        charts=True,
        link_cells=False,
        series=openness_chart(page.series),
        **_matrix_context(services, page.links),
    )
    return _html(body)


public_handlers: list[HTTPRouteHandler | Router] = [
    transparency,
    create_static_files_router(
        path="/dashboard/static", directories=[STATIC_DIR], include_in_schema=False
    ),
]
