"""The settlement API: windows, positions, files and reconciliation.

The operator (bearer token) closes the open window, marks closed windows
settled, reads every window with its positions and pay instructions, fetches
any participant's file and reconciles any participant's statement (the body is
the CSV itself). A participant (signed) fetches its own file of a closed
window and reconciles its own statement (a signed JSON message
``{"statement": "<csv text>"}``); an auditor may fetch anyone's file
(``?participant=``). Nothing here moves money.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import CODES, REFUSES, RESULT
from hutong.api.idempotency import run_once
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.settlement_schemas import (
    ANSWER_OPT,
    FILE_CODES,
    RECONCILE_OPT,
    AnswerOut,
    ReconciliationOut,
    SettlementFileOut,
)
from hutong.api.routes.settlement_windows import (
    WindowDetailOut,
    WindowOut,
    closed_shown,
    detail_out,
    settled_shown,
    window_out,
)
from hutong.ledger.settlement import (
    Acknowledgement,
    Answer,
    SettlementFile,
    service,
)
from hutong.protocol.envelope import Context
from hutong.protocol.errors import ForbiddenError, UnsupportedMediaType, ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.services import Services

Req = Request[Any, Any, Any]
FORMATS = ("csv", "json")
#: A settlement file: CSV (`?format=csv`, the default) or JSON (`?format=json`).
FILE = {"text/csv": str, "application/json": SettlementFileOut}


class CloseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Close up to this instant (never the future; at most now less the grace).
    until: datetime | None = None


class StatementIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The participant's statement: CSV with the columns of a settlement file.
    statement: str


class SignedStatementIn(msgspec.Struct, kw_only=True):
    context: Context
    message: StatementIn


class AnswerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: Why the settlement is disputed (required to dispute; optional to confirm).
    reason: str = ""


class SignedAnswerIn(msgspec.Struct, kw_only=True):
    context: Context
    message: AnswerIn


def answer_out(a: Answer) -> AnswerOut:
    return AnswerOut(
        window_id=a.window_id,
        participant=a.participant,
        state=a.state.value,
        reason=a.reason,
        at=a.at,
    )


def _format(value: str) -> str:
    if value not in FORMATS:
        raise ValidationError(f"format is csv or json, not {value!r}", code="invalid_format")
    return value


def file_response(found: SettlementFile, fmt: str) -> Response[str]:
    if fmt == "json":
        return Response(found.to_json(), media_type="application/json")
    name = f"{found.window.id}-{found.participant}.csv"
    return Response(
        found.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


# -- operator ---------------------------------------------------------------------------


@post(
    "/close",
    dto=StrictBody[CloseIn],
    return_dto=None,
    status_code=200,
    summary="Close the open window (optionally up to `until`)",
    opt={RESULT: WindowDetailOut},
)
async def close(
    services: ServicesDep,
    request: Req,
    data: JSONBody[CloseIn | None] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    until = data.until if data is not None else None
    write = service.closing(services, until, by="operator")
    return await operator_write(services, request, idempotency_key, write, closed_shown)


@post(
    "/windows/{window_id:str}/settle",
    status_code=200,
    summary="Record a window as settled",
    opt={RESULT: WindowOut},
)
async def settle(
    services: ServicesDep,
    request: Req,
    window_id: FromPath[str],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    await service.ensure_windows(services)
    write = service.settling(services, window_id)
    return await operator_write(services, request, idempotency_key, write, settled_shown)


@get("/windows", summary="Every window, oldest first")
async def windows(services: ServicesDep) -> list[WindowOut]:
    return [window_out(w) for w in await service.windows(services)]


@get("/windows/{window_id:str}", summary="A window: bilateral and overall positions, payments")
async def show(services: ServicesDep, window_id: FromPath[str]) -> WindowDetailOut:
    return detail_out(await service.detail(services, window_id))


@get(
    "/windows/{window_id:str}/files/{participant:str}",
    summary="A participant's settlement file (csv or json)",
    opt={RESULT: FILE},
)
async def operator_file(
    services: ServicesDep,
    window_id: FromPath[str],
    participant: FromPath[str],
    format: FromQuery[str] = "csv",
) -> Response[str]:
    fmt = _format(format)
    found = await service.participant_file(services, window_id, participant)
    return file_response(found, fmt)


@post(
    "/windows/{window_id:str}/reconcile/{participant:str}",
    status_code=200,
    summary="Reconcile a participant's statement (body: text/csv)",
    opt={
        REFUSES: (415,),
        RESULT: ReconciliationOut,
        CODES: {
            **FILE_CODES,
            415: ("unsupported_media_type",),
            422: ("duplicate_transfer", "invalid_statement"),
        },
    },
)
async def operator_reconcile(
    services: ServicesDep, request: Req, window_id: FromPath[str], participant: FromPath[str]
) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("text/csv", "text/plain"):
        raise UnsupportedMediaType("send the statement as text/csv", code="unsupported_media_type")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the statement is not UTF-8", code="invalid_statement") from None
    report = await service.reconcile_statement(services, window_id, participant, text)
    return report.to_dict()


@get("/windows/{window_id:str}/answers", summary="Each participant's confirmation or dispute")
async def operator_answers(services: ServicesDep, window_id: FromPath[str]) -> list[AnswerOut]:
    return [answer_out(a) for a in await service.answers(services, window_id)]


operator_router = Router(
    path="/operator/settlement",
    route_handlers=[
        close,
        settle,
        windows,
        show,
        operator_file,
        operator_reconcile,
        operator_answers,
    ],
    guards=[operator_guard],
    tags=["settlement (operator)"],
    security=[{"operatorToken": []}],
)


# -- participants (signed) ----------------------------------------------------------------


async def _readable_by(services: Services, caller: str, participant: str) -> None:
    if participant == caller:
        return
    async with services.db.read() as conn:
        found = await require_participant(conn, caller)
    if not found.has_role(Role.AUDITOR):
        raise ForbiddenError(
            f"the settlement file of {participant} is not yours", code="not_your_file"
        )


@get(
    "/windows/{window_id:str}/file",
    summary="Your settlement file (auditors: anyone's)",
    opt={RESULT: FILE, CODES: {**FILE_CODES, 403: ("not_your_file",)}},
)
async def my_file(
    services: ServicesDep,
    sender: SenderDep,
    window_id: FromPath[str],
    format: FromQuery[str] = "csv",
    participant: FromQuery[str | None] = None,
) -> Response[str]:
    fmt = _format(format)
    wanted = participant or sender
    await _readable_by(services, sender, wanted)
    return file_response(await service.participant_file(services, window_id, wanted), fmt)


@post(
    "/windows/{window_id:str}/reconcile",
    dto=StrictBody[SignedStatementIn],
    return_dto=None,
    status_code=200,
    summary="Reconcile your statement",
    opt=RECONCILE_OPT,
)
async def my_reconcile(
    services: ServicesDep,
    sender: SenderDep,
    window_id: FromPath[str],
    data: JSONBody[SignedStatementIn],
) -> dict[str, Any]:
    statement = data.message.statement
    report = await service.reconcile_statement(services, window_id, sender, statement)
    return report.to_dict()


async def _answer(
    services: Services, signed: SignedDep, window_id: str, wanted: Acknowledgement, reason: str
) -> Response[bytes]:
    async def write(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        found = await service.answer_in(
            conn, services, window_id, signed.subscriber_id, wanted, reason
        )
        return 200, {"answer": msgspec.to_builtins(answer_out(found))}

    await service.ensure_windows(services)  # window 1 exists once anyone names a window
    return await run_once(services, signed, write)


@post(
    "/windows/{window_id:str}/confirm",
    dto=StrictBody[SignedAnswerIn],
    return_dto=None,
    status_code=200,
    summary="Confirm your settlement in a closed window",
    opt=ANSWER_OPT,
)
async def confirm(
    services: ServicesDep,
    signed: SignedDep,
    window_id: FromPath[str],
    data: JSONBody[SignedAnswerIn],
) -> Response[bytes]:
    return await _answer(
        services, signed, window_id, Acknowledgement.CONFIRMED, data.message.reason
    )


@post(
    "/windows/{window_id:str}/dispute",
    dto=StrictBody[SignedAnswerIn],
    return_dto=None,
    status_code=200,
    summary="Dispute your settlement in a closed window (say why)",
    opt=ANSWER_OPT,
)
async def dispute(
    services: ServicesDep,
    signed: SignedDep,
    window_id: FromPath[str],
    data: JSONBody[SignedAnswerIn],
) -> Response[bytes]:
    return await _answer(services, signed, window_id, Acknowledgement.DISPUTED, data.message.reason)


participant_router = Router(
    path="/v1/settlement",
    route_handlers=[my_file, my_reconcile, confirm, dispute],
    middleware=[SignedRequestMiddleware()],
    tags=["settlement"],
    security=[{"beckn": []}],
)
