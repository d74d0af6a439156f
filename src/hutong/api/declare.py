"""What a route declares instead of repeating: its services, its sender, its body.

A handler names what it needs and gets it:

    @post("/transfers/{transfer_id:str}/execute", dto=StrictBody[SignedExecute],
          return_dto=None)
    async def execute(services: ServicesDep, sender: SenderDep,
                      data: JSONBody[SignedExecute], ...) -> ...

- `services: ServicesDep`: the running switch's `Services` (app-wide);
- `signed: SignedDep` / `sender: SenderDep`: the verified signed request and
  its subscriber id (the signature middleware verified it before the route);
- `guards=[requires(Role.X)]`: the sender holds a role, checked before the
  body is read;
- `StrictBody[Shape]` as the route's `dto`: the body is decoded once and
  strictly (msgspec, no coercion): `"100"` and `100.0` are refused where an
  integer is wanted, everywhere, and the OpenAPI document still shows the
  body's schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.dto import MsgspecDTO
from litestar.exceptions import SerializationException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Reference, Schema
from litestar.types import Empty, Guard
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

from hutong.api.auth import SIGNED_STATE_KEY, SignedRequest, signed_request
from hutong.protocol.errors import ValidationError
from hutong.protocol.strict_json import decode_json, parse_json
from hutong.registry.models import Role
from hutong.registry.service import require_role
from hutong.runtime.services import Services

__all__ = [
    "DEPENDENCIES",
    "SenderDep",
    "ServicesDep",
    "SignedDep",
    "StrictBody",
    "StrictRequest",
    "base_url",
    "decode_strictly",
    "requires",
    "services_of",
]

T = TypeVar("T")


def base_url(request: Request[Any, Any, Any]) -> str:
    """The switch's address as this request reached it, without a trailing slash (for links)."""
    return str(request.base_url).rstrip("/")


def services_of(state: State) -> Services:
    services = state["services"]
    if not isinstance(services, Services):
        raise TypeError("the app state holds no Services")
    return services


def decode_strictly(body: bytes, shape: type[T]) -> T:
    """`body` as `shape`, with no type coercion, or 422 `invalid_request` saying where.

    A body that is not JSON at all (`hutong.protocol.strict_json`) is 400
    `malformed_json`, or `json_too_deep`.
    """
    try:
        return decode_json(body, shape)
    except msgspec.ValidationError as exc:
        problem, _, where = str(exc).partition(" - at `$.")
        where = where.rstrip("`")
        raise ValidationError(
            f"the request does not match the schema: {where + ': ' if where else ''}{problem}"
        ) from None


class StrictRequest(Request[Any, Any, Any]):
    """The app's request class: a `JSONBody` is read by the one strict JSON reader.

    A signed request's body was parsed by the signature middleware; its
    document is used as it is, not parsed a second time.
    """

    async def json(self) -> Any:
        if self._json is Empty:
            signed = (self.scope.get("state") or {}).get(SIGNED_STATE_KEY)
            if isinstance(signed, SignedRequest) and signed.body:
                self._json = signed.document
            else:
                body = await self.body()
                self._json = parse_json(body) if body else None
        return self._json


S = TypeVar("S", bound=msgspec.Struct)


class StrictBody(MsgspecDTO[S], Generic[S]):
    """A route's `dto` that decodes the body once, strictly (see `decode_strictly`).

    Only the schema check is stricter than a plain `JSONBody`: an absent body
    is still the parameter's default (or refused if it has none) and bytes
    that are not JSON are a 400 `malformed_json` (or `json_too_deep`), as
    everywhere. The OpenAPI document
    shows the parameter's own type, every level of it (a DTO's schema would
    stop at its nesting depth and show a signed body's `message` empty).
    """

    def decode_bytes(self, value: bytes) -> Any:
        try:
            return decode_strictly(value, self.model_type)
        except msgspec.DecodeError as exc:  # not JSON at all (a mismatch raised above)
            raise SerializationException(str(exc)) from exc

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        return schema_creator.for_field_definition(field_definition)


def requires(*roles: Role) -> Guard:
    """A guard: the verified sender holds one of `roles` (403 `wrong_role`).

    A guard runs before the body is decoded, so a sender in the wrong role is
    told so whatever it sent.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        sender = signed_request(connection.scope).subscriber_id
        await require_role(services_of(connection.app.state).db, sender, *roles)

    return guard


async def _services(state: State) -> Services:
    return services_of(state)


# Each dependency names the one before it (services -> signed -> sender), so
# Litestar resolves them one after the other in the handler's task. Side by
# side, it would resolve them in an anyio task group: two tasks spawned per
# request, which cost the signed path about a fifth of its throughput.
async def _signed(request: Request[Any, Any, Any], services: ServicesDep) -> SignedRequest:
    del services  # named only to order the resolution (see above)
    return signed_request(request.scope)


async def _sender(signed: SignedDep) -> str:
    return signed.subscriber_id


#: The dependencies a handler names by these annotations (and these names).
ServicesDep = NamedDependency[Services]
SignedDep = NamedDependency[SignedRequest]
SenderDep = NamedDependency[str]

#: App-wide dependencies every handler may name.
DEPENDENCIES = {
    "services": Provide(_services),
    "signed": Provide(_signed),
    "sender": Provide(_sender),
}
