"""The registry as Beckn's `registry.yaml` has it: lookup by type, domain and country; subscribe.

- `POST /v2.0/lookup` (ONDC's path) answers Beckn Subscription records
  always; `POST /lookup` does when the request is Beckn-shaped (see
  `hutong.api.schemas.LookupIn`) and keeps Hutong's records otherwise. The
  switch is in the answer as a BG with the key it signs with.
- `POST /subscribe`: a Subscription (plus `nonce`), signed by the key it
  registers (`keyId="<subscriber_id>|<key_id>|ed25519"`, Beckn's string),
  which proves the subscriber holds it. The switch then challenges the
  subscriber at `{url}/on_subscribe` (`hutong.net.subscription_challenge`);
  answered, the subscription is kept UNDER_SUBSCRIPTION and the answer is
  `{"status": "UNDER_SUBSCRIPTION"}`. The operator approves it
  (`POST /operator/subscriptions/{subscriber_id}/approve`, or
  `hutong participant approve`), which makes the participant.

NACKs here carry Beckn's Error object (`hutong.protocol.beckn_errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.declare import ServicesDep, StrictBody
from hutong.api.documented import NACK_SHAPE, REFUSES, RESULT, BecknNack
from hutong.api.errors import status_of
from hutong.api.operator_once import IdempotencyKey, operator_write
from hutong.api.routes.operator import operator_guard, shown_as
from hutong.api.routes.registry_out import SubscriptionOut, SubscriptionRow
from hutong.api.schemas import Location, LookupIn, ParticipantOut
from hutong.net.subscription_challenge import challenge_subscriber
from hutong.protocol.beckn_errors import beckn_nack
from hutong.protocol.errors import (
    AuthenticationError,
    ConflictError,
    HutongError,
    Kind,
    ValidationError,
)
from hutong.protocol.signing import SignatureError, verify_authorization
from hutong.registry.beckn import BecknType, SwitchEntry, Wanted, switch_record
from hutong.registry.beckn_store import (
    NewSubscription,
    approve,
    beckn_lookup,
    list_subscriptions,
    record_subscription,
    validate_subscription,
)
from hutong.registry.models import Participant
from hutong.registry.service import get_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

__all__ = [
    "LOOKUP_HANDLERS",
    "approving",
    "beckn_lookup_records",
    "is_beckn_lookup",
    "note_lookup_shape",
    "operator_router",
    "router",
]


def on_beckn_error(_: Request[Any, Any, Any], exc: HutongError) -> Response[dict[str, Any]]:
    response = Response(content=beckn_nack(exc), status_code=status_of(exc))
    if isinstance(exc, AuthenticationError):
        response.headers["www-authenticate"] = exc.challenge
    return response


def on_beckn_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    detail = exc.extra if isinstance(exc.extra, list) else []
    paths = ", ".join(str(d.get("key", "")) for d in detail if isinstance(d, dict))
    error = ValidationError(f"the request does not match the schema: {exc.detail}")
    return Response(content=beckn_nack(error, paths), status_code=422)


_HANDLERS: dict[Any, Any] = {HutongError: on_beckn_error, ValidationException: on_beckn_validation}


#: `request.state` key: the lookup being answered is Beckn-shaped (`note_lookup_shape`).
BECKN_SHAPED = "beckn_lookup"
#: The Beckn-shaped fields of a lookup besides `type` (see `is_beckn_lookup`).
_BECKN_FIELDS = ("domain", "country", "city", "location", "status")


async def note_lookup_shape(request: Request[Any, Any, Any]) -> None:
    """`before_request` of `/lookup`: note whether the body is Beckn-shaped, before it is read.

    A body that does not fit the schema is refused before the handler runs,
    so its shape is decided here, on the JSON as sent (bytes that are not
    JSON are Hutong's to refuse).
    """
    try:
        document = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        document = None
    request.state[BECKN_SHAPED] = isinstance(document, dict) and (
        document.get("type") in tuple(BecknType)
        or any(document.get(name) is not None for name in _BECKN_FIELDS)
    )


def _on_lookup_error(request: Request[Any, Any, Any], exc: HutongError) -> Response[Any]:
    if request.state.get(BECKN_SHAPED):
        return on_beckn_error(request, exc)
    response = Response(content=exc.body(), status_code=status_of(exc))
    if isinstance(exc, AuthenticationError):
        response.headers["www-authenticate"] = exc.challenge
    return response


#: `/lookup`'s exception handlers: Beckn's Error for a Beckn-shaped lookup, else Hutong's NACK.
LOOKUP_HANDLERS: dict[Any, Any] = {HutongError: _on_lookup_error}


def is_beckn_lookup(data: LookupIn) -> bool:
    if data.type in tuple(BecknType):
        return True
    given = (data.domain, data.country, data.city, data.location, data.status)
    return any(v is not None for v in given)


def _wanted(data: LookupIn) -> Wanted:
    beckn_type: BecknType | None = None
    if data.type:
        try:
            beckn_type = BecknType(data.type.upper())
        except ValueError:
            raise ValidationError(
                f"type must be BAP, BPP or BG, not {data.type!r}", code="invalid_type"
            ) from None
    location = data.location or Location()
    country = data.country or (location.country.code if location.country else None)
    city = data.city or (location.city.code if location.city else None)
    return Wanted(
        subscriber_id=data.subscriber_id,
        beckn_type=beckn_type,
        domain=data.domain,
        country=country,
        city=city,
        key_id=data.ukId or data.key_id,
    )


async def beckn_lookup_records(
    services: Services, data: LookupIn, base_url: str
) -> list[dict[str, Any]]:
    """The Subscription records `data` asks for, the switch's own among them."""
    wanted = _wanted(data)
    signer = services.signer()
    entry = SwitchEntry(
        subscriber_id=signer.subscriber_id,
        url=services.settings.public_url or base_url.rstrip("/"),
        key_id=signer.key_id,
        public_key=services.switch_public_key,
        country=services.settings.country,
    )
    async with services.db.read() as conn:
        found = await beckn_lookup(conn, wanted, services.clock())
    records = switch_record(entry, wanted) + found
    if data.status is not None:
        records = [r for r in records if r["status"] == data.status]
    return records


@post(
    "/v2.0/lookup",
    dto=StrictBody[LookupIn],
    return_dto=None,
    tags=["beckn"],
    summary="Beckn registry lookup (ONDC's path): Subscription records by type, domain, country",
    status_code=200,
    exception_handlers=_HANDLERS,
    opt={NACK_SHAPE: BecknNack, RESULT: list[SubscriptionOut]},
)
async def lookup_v2(
    services: ServicesDep, request: Request[Any, Any, Any], data: JSONBody[LookupIn]
) -> list[dict[str, Any]]:
    return await beckn_lookup_records(services, data, str(request.base_url))


class SubscribeIn(msgspec.Struct, kw_only=True):
    """Beckn's Subscribe: a Subscription and a nonce. `ukId` may stand for `key_id`."""

    subscriber_id: str
    url: str
    type: str
    domain: str
    signing_public_key: str
    encr_public_key: str
    valid_from: datetime
    valid_until: datetime
    key_id: str | None = None
    ukId: str | None = None
    location: Location | None = None
    country: str | None = None
    city: str | None = None
    nonce: str | None = None
    status: str | None = None
    created: datetime | None = None
    updated: datetime | None = None


class SubscribeOut(msgspec.Struct, kw_only=True):
    status: str


def _subscription(data: SubscribeIn) -> NewSubscription:
    location = data.location or Location()
    key_id = data.ukId or data.key_id
    if not key_id:
        raise ValidationError("name the key: key_id (or ukId)", code="invalid_key_id")
    return NewSubscription(
        subscriber_id=data.subscriber_id,
        url=data.url,
        beckn_type=data.type,
        domain=data.domain,
        country=data.country or (location.country.code if location.country else None) or "",
        city=data.city or (location.city.code if location.city else None) or "",
        key_id=key_id,
        signing_public_key=data.signing_public_key,
        encr_public_key=data.encr_public_key,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )


def _check_possession(
    services: Services, sub: NewSubscription, request_body: bytes, header: str
) -> None:
    """The request is signed by the key it registers, under the keyId it will have."""
    if not header:
        raise AuthenticationError(
            "sign /subscribe with the key it registers", code="signature_missing"
        )
    try:
        signed = verify_authorization(
            header,
            request_body,
            sub.signing_public_key,
            now=int(services.clock().timestamp()),
            skew=services.settings.clock_skew,
            max_lifetime=services.settings.max_request_lifetime,
        )
    except SignatureError as exc:
        raise AuthenticationError(exc.reason, code="bad_signature") from None
    if (signed.subscriber_id, signed.key_id) != (sub.subscriber_id, sub.key_id):
        raise AuthenticationError(
            f"the keyId must be {sub.subscriber_id}|{sub.key_id}|ed25519",
            code="subscription_key_mismatch",
        )


@post(
    "/subscribe",
    dto=StrictBody[SubscribeIn],
    return_dto=None,
    tags=["beckn"],
    summary="Beckn self-registration: challenge at {url}/on_subscribe, then the operator approves",
    status_code=200,
    exception_handlers=_HANDLERS,
    opt={NACK_SHAPE: BecknNack, REFUSES: (401, 403, 409, 502, 503, 504)},
)
async def subscribe(
    services: ServicesDep, request: Request[Any, Any, Any], data: JSONBody[SubscribeIn]
) -> SubscribeOut:
    if not services.settings.open_subscription:
        # Before anything else: a closed registry calls no URL a sender chose.
        raise HutongError(
            "self-registration is closed on this switch (HUTONG_OPEN_SUBSCRIPTION);"
            " ask its operator to register you",
            code="subscription_closed",
            kind=Kind.FORBIDDEN,
        )
    sub = _subscription(data)
    validate_subscription(sub)
    _check_possession(services, sub, await request.body(), request.headers.get("authorization", ""))
    async with services.db.read() as conn:
        # Before the outbound call: a registered subscriber is not challenged at all.
        if await get_participant(conn, sub.subscriber_id) is not None:
            raise ConflictError(
                f"participant {sub.subscriber_id} is already registered", code="participant_exists"
            )
    await challenge_subscriber(services, sub.subscriber_id, sub.url, sub.encr_public_key)
    async with services.db.transaction() as conn:
        await record_subscription(conn, sub, services.clock())
    return SubscribeOut(status="UNDER_SUBSCRIPTION")


router = Router(path="/", route_handlers=[lookup_v2, subscribe])


@get(
    "/subscriptions",
    summary="Beckn subscriptions, optionally by status",
    opt={RESULT: list[SubscriptionRow]},
)
async def subscriptions(
    services: ServicesDep, status: FromQuery[str | None] = None
) -> list[dict[str, Any]]:
    async with services.db.read() as conn:
        return await list_subscriptions(conn, status)


def approving(subscriber_id: str, now: datetime) -> Write[Participant]:
    """The approval of `subscriber_id` (the route's write, and `hutong participant approve`'s)."""

    async def approve_it(conn: AsyncConnection) -> Participant:
        return await approve(conn, subscriber_id, now)

    return approve_it


@post(
    "/subscriptions/{subscriber_id:str}/approve",
    summary="Approve a subscriber's pending subscriptions: the participant is made",
    status_code=201,
    opt={RESULT: ParticipantOut},
)
async def approve_subscription(
    services: ServicesDep,
    request: Request[Any, Any, Any],
    subscriber_id: FromPath[str],
    idempotency_key: IdempotencyKey = None,
) -> Response[bytes]:
    write = approving(subscriber_id, services.clock())
    return await operator_write(services, request, idempotency_key, write, shown_as(201))


operator_router = Router(
    path="/operator",
    route_handlers=[subscriptions, approve_subscription],
    guards=[operator_guard],
    tags=["operator"],
    security=[{"operatorToken": []}],
)
