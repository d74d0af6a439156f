"""The auditor's evidence that participants send: impressions and merchant terms.

- `POST /v1/impressions` (a host platform): a batch of ranked lists it
  showed; items the switch does not know refuse the whole batch.
- `POST /v1/merchant-terms` (the platform applying them): the next version
  of one merchant's commission, promotion eligibility and listing.
- `GET /v1/merchant-terms[?platform=&merchant=]`: a platform reads its own
  terms history, an auditor anyone's; `GET /operator/merchant-terms` likewise
  for the operator.

Writes are exactly once by message id (`run_once`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CODES, RESULT
from hutong.api.idempotency import run_once
from hutong.api.routes.discovery_out import IMPRESSIONS_OPT
from hutong.api.routes.evidence_schemas import (
    TERMS_CODES,
    ImpressionListIn,
    SignedImpressionsIn,
    SignedTermsIn,
    TermsOut,
    terms_out,
)
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.participant import participants_only, require_message_id
from hutong.api.schemas import admitted
from hutong.commerce.impressions import MAX_LISTS, ItemRef, ShownItem, ShownList
from hutong.commerce.impressions.store import Recorded, record_impressions
from hutong.commerce.terms import MerchantTerms
from hutong.commerce.terms.store import apply_terms, terms_history
from hutong.protocol.errors import ForbiddenError, ValidationError
from hutong.protocol.justifications import parse_justification
from hutong.registry.models import Role
from hutong.registry.service import require_participant

__all__ = ["operator_router", "participant_router"]

MAX_PAGE = 1000


def _shown(lists: list[ImpressionListIn]) -> list[ShownList]:
    return [
        ShownList(
            surface=s.surface,
            query=s.query,
            shown_at=s.shown_at,
            items=tuple(
                ShownItem(
                    ref=ItemRef(i.placement_id, i.merchant, i.sku_id),
                    position=i.position,
                    sponsored=i.sponsored,
                    labelled_ad=i.labelled_ad,
                    rating=i.rating,
                    reviews=i.reviews,
                )
                for i in s.items
            ),
        )
        for s in lists
    ]


def _recorded(recorded: Recorded) -> tuple[int, dict[str, Any]]:
    return 200, {
        "lists": len(recorded.list_ids),
        "items": recorded.items,
        "list_ids": list(recorded.list_ids),
    }


@post(
    "/impressions",
    dto=StrictBody[SignedImpressionsIn],
    return_dto=None,
    status_code=200,
    guards=[requires(Role.PLATFORM)],
    summary="Report ranked lists shown on a surface (a host; up to 1,000 lists)",
    opt=IMPRESSIONS_OPT,
)
async def report_impressions(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedImpressionsIn]
) -> Response[bytes]:
    if len(data.message.lists) > MAX_LISTS:  # before anything is built from them
        raise ValidationError(
            f"at most {MAX_LISTS} lists per batch, got {len(data.message.lists)}",
            code="batch_too_large",
        )
    lists = _shown(data.message.lists)

    async def write(conn: AsyncConnection) -> Recorded:
        return await record_impressions(conn, signed.subscriber_id, lists, services.clock())

    return await run_once(services, signed, write, _recorded)


def _terms_reply(terms: MerchantTerms) -> tuple[int, dict[str, Any]]:
    return 201, msgspec.to_builtins(terms_out(terms))


@post(
    "/merchant-terms",
    dto=StrictBody[SignedTermsIn],
    return_dto=None,
    status_code=201,
    guards=[requires(Role.PLATFORM)],
    summary="Record the terms this platform applies to one merchant (versioned)",
    opt={RESULT: TermsOut, CODES: TERMS_CODES},
)
async def declare_terms(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedTermsIn]
) -> Response[bytes]:
    asked = data.message
    given = asked.justification
    justification = parse_justification(
        {"code": given.code, "reference": given.reference} if given is not None else None
    )
    correction = admitted(asked.correction, asked.valid_from, services.clock())

    async def write(conn: AsyncConnection) -> MerchantTerms:
        return await apply_terms(
            conn,
            platform=signed.subscriber_id,
            merchant=asked.merchant,
            commission_bps=asked.commission_bps,
            promotion_eligible=asked.promotion_eligible,
            listed=asked.listed,
            valid_from=asked.valid_from,
            reason=asked.reason,
            justification=justification,
            now=services.clock(),
            correction=correction,
        )

    return await run_once(services, signed, write, _terms_reply)


@get(
    "/merchant-terms",
    guards=[requires(Role.PLATFORM, Role.AUDITOR)],
    summary="Terms history: a platform its own, an auditor anyone's",
)
async def read_terms(
    services: ServicesDep,
    sender: SenderDep,
    platform: FromQuery[str | None] = None,
    merchant: FromQuery[str | None] = None,
    limit: FromQuery[int] = MAX_PAGE,
) -> list[TermsOut]:
    async with services.db.read() as conn:
        reader = await require_participant(conn, sender)
        if not reader.has_role(Role.AUDITOR):
            if platform not in (None, sender):
                raise ForbiddenError(
                    "a platform reads only the terms it applies; auditors read others'",
                    code="not_yours",
                )
            platform = sender
        found = await terms_history(
            conn, platform=platform, merchant=merchant, limit=min(max(limit, 1), MAX_PAGE)
        )
    return [terms_out(t) for t in found]


participant_router = Router(
    path="/v1",
    route_handlers=[report_impressions, declare_terms, read_terms],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only, require_message_id],
    tags=["audit evidence"],
    security=[{"beckn": []}],
)


@get("/merchant-terms", summary="Terms history of any platform and merchant (operator)")
async def operator_terms(
    services: ServicesDep,
    platform: FromQuery[str | None] = None,
    merchant: FromQuery[str | None] = None,
    limit: FromQuery[int] = MAX_PAGE,
) -> list[TermsOut]:
    async with services.db.read() as conn:
        found = await terms_history(
            conn, platform=platform, merchant=merchant, limit=min(max(limit, 1), MAX_PAGE)
        )
    return [terms_out(t) for t in found]


operator_router = Router(
    path="/operator",
    route_handlers=[operator_terms],
    guards=[operator_guard],
    tags=["audit evidence (operator)"],
    security=[{"operatorToken": []}],
)
