"""The Beckn transaction gateway (issue 17 §3): `POST /beckn/<action>` for buyer apps.

A BAP is a registered platform. It signs as Beckn does (the body only,
`BECKN_ROUTES`), sends `{context, message}` and is answered ACK at once:
the request is recorded as a job in the ACK's transaction, exactly once per
message id (a repeat is answered the same ACK and records nothing), and a
worker runs it after (`hutong.beckn.queue`); the result comes as
`on_<action>` at `{bap_uri}/on_<action>`, signed by the switch, through the
outbox. A request that cannot be acted on is a NACK carrying Beckn's Error
(`hutong.protocol.beckn_errors`); `rating` is refused (422
`action_not_supported`, Beckn 40000): the switch keeps no ratings.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import ServicesDep, SignedDep, requires
from hutong.api.documented import CODES, NACK_SHAPE, RESULT, Ack, BecknNack
from hutong.api.errors import status_of
from hutong.api.idempotency import REPLAY_HEADER, message_key
from hutong.api.routes.beckn_registry import on_beckn_error, on_beckn_validation
from hutong.api.routes.participant import participants_only
from hutong.beckn import ACTIONS, REFUSED_ACTIONS, checked_call, precheck, record, wake
from hutong.protocol.beckn_errors import beckn_nack
from hutong.protocol.errors import HutongError, Kind, NotFoundError
from hutong.registry.models import Role
from hutong.runtime import exactly_once
from hutong.runtime.exactly_once import Answer

__all__ = ["BECKN_GATEWAY_PATHS", "router"]

#: Every path of the gateway (signed as Beckn signs: `hutong.api.auth.BECKN_ROUTES`).
BECKN_GATEWAY_PATHS = frozenset(f"/beckn/{a}" for a in (*ACTIONS, *REFUSED_ACTIONS))
ACK = {"message": {"ack": {"status": "ACK"}}}


def _nack(error: HutongError) -> tuple[int, dict[str, Any]]:
    return status_of(error), beckn_nack(error)


def _ack(_: object) -> tuple[int, dict[str, Any]]:
    return 200, ACK


@post(
    "/beckn/{action:str}",
    guards=[requires(Role.PLATFORM)],
    status_code=200,
    summary="A Beckn action of a buyer app: ACK now, on_<action> later at {bap_uri}/on_<action>",
    opt={
        NACK_SHAPE: BecknNack,
        RESULT: Ack,
        CODES: {
            422: (
                "invalid_request",
                "invalid_context",
                "context_action_mismatch",
                "context_expired",
                "invalid_order",
                "invalid_intent",
                "update_target_not_supported",
                "action_not_supported",
            ),
            403: ("bap_id_mismatch", "bap_uri_not_registered"),
            404: ("unknown_action",),
            409: ("message_id_conflict",),
        },
    },
)
async def beckn_action(
    services: ServicesDep, signed: SignedDep, action: FromPath[str]
) -> Response[bytes]:
    if action in REFUSED_ACTIONS:
        raise HutongError(
            f"this gateway does not run {action}: {REFUSED_ACTIONS[action]}",
            code="action_not_supported",
            kind=Kind.INVALID,
        )
    if action not in ACTIONS:
        raise NotFoundError(f"no Beckn action {action!r}", code="unknown_action")
    call = await checked_call(services, signed.subscriber_id, action, signed.document)
    precheck(call)
    answer: Answer = await exactly_once.run_once(
        services, message_key(signed), record(services, call), _ack, _nack
    )
    if not answer.replayed:
        wake()  # this process's worker runs the job now
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"} if answer.replayed else {},
    )


router = Router(
    path="/",
    route_handlers=[beckn_action],
    middleware=[SignedRequestMiddleware()],
    guards=[participants_only],
    exception_handlers={HutongError: on_beckn_error, ValidationException: on_beckn_validation},
    tags=["beckn"],
    security=[{"beckn": []}],
)
