"""Routes anyone may call: health, echo, the switch's key, registry lookups."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from hutong.api.declare import ServicesDep, StrictBody
from hutong.api.documented import NACK_SHAPE, RESULT, BecknNack, Nack
from hutong.api.routes.beckn_registry import (
    LOOKUP_HANDLERS,
    beckn_lookup_records,
    is_beckn_lookup,
    note_lookup_shape,
)
from hutong.api.routes.registry_out import LookupRecord, SubscriptionOut
from hutong.api.schemas import LookupIn, WellKnown
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role
from hutong.registry.service import lookup


class Health(msgspec.Struct, kw_only=True):
    status: Literal["ok"]


@get("/healthz", tags=["public"], summary="Liveness: the process answers", opt={RESULT: Health})
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@post(
    "/echo",
    tags=["public"],
    summary="Returns the request body unchanged (a connectivity check, unauthenticated)",
    status_code=200,
    responses={
        200: ResponseSpec(
            data_container=Any, description="The body as it was sent", generate_examples=False
        )
    },
)
async def echo(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await request.body()
    return Response(content=body, media_type="application/json")


@get("/.well-known/hutong.json", tags=["public"], summary="The switch's public signing key")
async def well_known(services: ServicesDep) -> WellKnown:
    signer = services.signer()
    return WellKnown(
        subscriber_id=signer.subscriber_id,
        key_id=signer.key_id,
        algorithm="ed25519",
        signing_public_key=services.switch_public_key,
        key_id_header=f"{signer.subscriber_id}|{signer.key_id}|ed25519",
    )


@post(
    "/lookup",
    dto=StrictBody[LookupIn],
    return_dto=None,
    tags=["public"],
    summary=(
        "Registry lookup by subscriber id, role and key id (ukId); Beckn-shaped"
        " (type BAP/BPP/BG, domain, country, city) answers Beckn Subscription records"
        " and is refused with Beckn's Error"
    ),
    status_code=200,
    before_request=note_lookup_shape,
    exception_handlers=LOOKUP_HANDLERS,
    # Hutong's records, or Beckn's Subscriptions when the request is Beckn-shaped.
    opt={NACK_SHAPE: (Nack, BecknNack), RESULT: list[LookupRecord | SubscriptionOut]},
)
async def lookup_route(
    services: ServicesDep, request: Request[Any, Any, Any], data: JSONBody[LookupIn]
) -> list[dict[str, Any]]:
    if is_beckn_lookup(data):
        return await beckn_lookup_records(services, data, str(request.base_url))
    role_name = data.role or data.type
    role: Role | None = None
    if role_name:
        try:
            role = Role(role_name.lower())
        except ValueError:
            raise ValidationError(f"unknown role {role_name!r}", code="invalid_roles") from None
    async with services.db.read() as conn:
        return await lookup(
            conn,
            subscriber_id=data.subscriber_id,
            role=role,
            key_id=data.key_id or data.ukId,
        )


@get("/openapi.json", tags=["public"], summary="The OpenAPI document", include_in_schema=False)
async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.app.openapi_schema.to_schema()
