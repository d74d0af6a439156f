"""The auditor's findings (issue 15): read by auditors and the operator, never by participants.

- `GET /v1/audit/findings?from=YYYY-MM-DD&to=YYYY-MM-DD[&subject=ID][&check=ID]`
  (signed by an auditor; the signature covers the query string): the run's
  window, findings, inconclusive cells and how many checks ran.
- `GET /v1/audit/evidence/{id}[?offset=&limit=]`: the records behind one
  finding, a page at a time.
- `GET /operator/audit/findings` and `/operator/audit/evidence/{id}`: the same
  for the operator.

A platform or merchant gets 403 `wrong_role`: participants hear nothing of
the audit.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import ServicesDep, requires
from hutong.api.routes.audit_out import (
    AUDITOR_EVIDENCE_OPT,
    AUDITOR_FINDINGS_OPT,
    EVIDENCE_OPT,
    FINDINGS_OPT,
)
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.participant import participants_only
from hutong.audit import Window, audit, evidence_of
from hutong.registry.models import Role

__all__ = ["operator_router", "participant_router"]

From = Annotated[date, QueryParameter(name="from")]
To = Annotated[date, QueryParameter(name="to")]


async def _findings(
    services: ServicesDep, start: date, end: date, subject: str | None, check: str | None
) -> dict[str, Any]:
    report = await audit(services.db, Window(start, end), subject=subject, check=check)
    return report.to_dict()


async def _evidence(services: ServicesDep, finding: str, offset: int, limit: int) -> dict[str, Any]:
    page = await evidence_of(services.db, finding, offset=offset, limit=limit)
    return {
        "finding": page.finding.to_dict(),
        "total": page.total,
        "offset": page.offset,
        "records": page.records,
    }


@get(
    "/audit/findings",
    guards=[requires(Role.AUDITOR)],
    summary="The audit of a window",
    opt=AUDITOR_FINDINGS_OPT,
)
async def findings(
    services: ServicesDep,
    start: From,
    end: To,
    subject: FromQuery[str | None] = None,
    check: FromQuery[str | None] = None,
) -> dict[str, Any]:
    return await _findings(services, start, end, subject, check)


@get(
    "/audit/evidence/{finding:str}",
    guards=[requires(Role.AUDITOR)],
    summary="The records behind one finding",
    opt=AUDITOR_EVIDENCE_OPT,
)
async def evidence(
    services: ServicesDep,
    finding: FromPath[str],
    offset: FromQuery[int] = 0,
    limit: FromQuery[int] = 50,
) -> dict[str, Any]:
    return await _evidence(services, finding, offset, limit)


participant_router = Router(
    path="/v1",
    route_handlers=[findings, evidence],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only],
    tags=["audit"],
    security=[{"beckn": []}],
)


@get("/audit/findings", summary="The audit of a window (operator)", opt=FINDINGS_OPT)
async def operator_findings(
    services: ServicesDep,
    start: From,
    end: To,
    subject: FromQuery[str | None] = None,
    check: FromQuery[str | None] = None,
) -> dict[str, Any]:
    return await _findings(services, start, end, subject, check)


@get(
    "/audit/evidence/{finding:str}",
    summary="The records behind one finding (operator)",
    opt=EVIDENCE_OPT,
)
async def operator_evidence(
    services: ServicesDep,
    finding: FromPath[str],
    offset: FromQuery[int] = 0,
    limit: FromQuery[int] = 50,
) -> dict[str, Any]:
    return await _evidence(services, finding, offset, limit)


operator_router = Router(
    path="/operator",
    route_handlers=[operator_findings, operator_evidence],
    guards=[operator_guard],
    tags=["audit (operator)"],
    security=[{"operatorToken": []}],
)
