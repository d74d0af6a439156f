"""Discovery across platforms (issue 18 §3): `GET /v1/discovery/offers`.

A host platform searches the offers it may show (its approved storefronts,
its own merchants and the links its declared policy lets through: the rule
is in `hutong.commerce.discovery.rules`), by text, category and price, a page
at a time. The request is a signed GET: the signature covers the request
line, query string included (`(request-target)`), so nobody can change the
question on the way. Each result names its owner, its home platform and why
the host may show it, and the ``impression_item`` that `POST /v1/impressions`
takes to report it as shown.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, get
from litestar.params import FromQuery

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, requires
from hutong.api.routes.discovery_out import OFFERS_OPT
from hutong.api.routes.participant import participants_only
from hutong.commerce.discovery import Search
from hutong.commerce.discovery.service import search
from hutong.registry.models import Role

__all__ = ["participant_router"]


@get(
    "/discovery/offers",
    guards=[requires(Role.PLATFORM)],
    summary="Search the offers you may show, with their owner and home platform (a host)",
    opt=OFFERS_OPT,
)
async def discover_offers(
    services: ServicesDep,
    sender: SenderDep,
    q: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    min_price: FromQuery[int | None] = None,
    max_price: FromQuery[int | None] = None,
    surface: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> dict[str, Any]:
    asked = Search.checked(
        q=q,
        category=category,
        min_price=min_price,
        max_price=max_price,
        surface=surface,
        limit=limit,
        cursor=cursor,
    )
    now = services.clock()
    async with services.db.read() as conn:
        page = await search(conn, sender, asked, now.date())
    return {
        "host": sender,
        "surface": asked.surface.value,
        "query": (q or "").strip(),
        #: An impression's `shown_at` when the page is shown as it came.
        "searched_at": now.isoformat(),
        "results": [result.to_dict() for result in page.results],
        "next_cursor": page.next_cursor,
    }


participant_router = Router(
    path="/v1",
    route_handlers=[discover_offers],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only],
    tags=["discovery"],
    security=[{"beckn": []}],
)
