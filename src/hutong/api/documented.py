"""What the OpenAPI document says each route answers: the statuses it can send and their bodies.

Litestar alone documents a `{status_code, detail, extra}` 400 that the switch
never sends (every refusal is a NACK, `hutong.protocol.errors.nack`) and no
other refusal. `document_refusals` fills each route's `responses` from what
its declaration already says, once, when the app is made (the document
itself is still generated lazily, on its first request):

- every route: 400 (a NUL in the query or path, bytes that are not JSON:
  `nul_character`, `malformed_json`, `json_too_deep`, `integer_out_of_range`);
- parameters or a body: 422 `invalid_request` (does not match the schema);
- a path parameter: 404 (names nothing);
- signed (`security: beckn`): 401 (the signature), 403 (the sender's role or
  the participant's state), 413 and 415 (the signed body), and what a domain
  service refuses: 404, 409 (also a message id reused: `message_id_conflict`,
  `message_in_flight`; a write that asks no participant and lost a unique key
  to other writes three times running, kept nothing and may be sent again:
  `write_contended`) and 422;
- a write of a router that asks participants (`opt={CALLS_PARTICIPANTS: True}`):
  502/503/504 (a participant the step asked did not answer, or not in time);
- the operator's (`security: operatorToken`): 401 `operator_token`, and a write
  404/409 as its service refuses (409 also for an `Idempotency-Key` reused
  with another request: `message_id_conflict`, and for a write that lost a
  unique key three times running: `write_contended`; `hutong.api.operator_once`).

A route may name more with `opt={REFUSES: (status, ...)}` (429 where a
wallet's allowance is spent, 415 where the body is CSV), and the codes it
refuses with, per status, with `opt={CODES: {409: ("already_paid", ...)}}`:
each status's description then names them (and the status is documented). Routes whose
NACKs carry Beckn's Error object (`hutong.protocol.beckn_errors`) say so with
`opt={NACK_SHAPE: BecknNack}`; where either may be sent, by the request's
shape, `opt={NACK_SHAPE: (Nack, BecknNack)}` (documented as `anyOf` them). A
success answered as raw JSON bytes (the exactly-once path) is documented
as a JSON object, not a string, or as `opt={RESULT: Shape}` says (`Ack`
where the answer is an ACK); `opt={SUCCESSES: (200,)}` documents the same
shape for the other success statuses a route sends (201 created, 200 found
already). A success sent in other media types names
each: `opt={RESULT: {"text/csv": str, "application/json": Shape}}`
(`str` text, `bytes` binary, a struct JSON).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

import msgspec
from litestar import Litestar, Response
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Reference, Schema
from litestar.typing import FieldDefinition

__all__ = [
    "CALLS_PARTICIPANTS",
    "CODES",
    "NACK_SHAPE",
    "REFUSES",
    "RESULT",
    "SUCCESSES",
    "Ack",
    "AckStatus",
    "BecknError",
    "BecknNack",
    "Error",
    "Nack",
    "document_refusals",
    "refusals_of",
]

#: `opt` key: the statuses a route refuses with beyond what its declaration implies.
REFUSES = "refuses"
#: `opt` key (a router's): its writes ask participants, who may not answer (502/503/504).
CALLS_PARTICIPANTS = "calls_participants"
#: `opt` key: the shape of a success sent as raw JSON bytes (a JSON object unless said).
RESULT = "result"
#: `opt` key: the struct its NACKs are (`Nack` unless said).
NACK_SHAPE = "nack_shape"
#: `opt` key: the codes a route's refusals carry, by status (`{409: ("already_paid", ...)}`).
CODES = "codes"
#: `opt` key: other success statuses the route sends, with its documented result.
SUCCESSES = "successes"


class AckStatus(msgspec.Struct):
    status: Literal["ACK", "NACK"]


class AckMessage(msgspec.Struct):
    ack: AckStatus


class Ack(msgspec.Struct):
    """`{"message": {"ack": {"status": "ACK"}, ...}}`: accepted (the result's fields beside)."""

    message: AckMessage


class Error(msgspec.Struct):
    """Why a request was refused: a stable machine-readable code and a sentence."""

    code: str
    message: str


class Nack(msgspec.Struct):
    """`{"message": {"ack": {"status": "NACK"}}, "error": {"code", "message"}}`: refused."""

    message: AckMessage
    error: Error


class BecknError(msgspec.Struct, kw_only=True):
    """Beckn's Error (`schema/Error.yaml`): a BECKN-005/ONDC numeric code, ONDC's type."""

    type: str
    code: str
    message: str
    hutong_code: str
    paths: str | None = None


class BecknNack(msgspec.Struct):
    """A NACK on the Beckn endpoints: Beckn's Error object."""

    message: AckMessage
    error: BecknError


_WHY = {
    400: "Not a request: malformed_json, json_too_deep, nul_character, integer_out_of_range",
    401: "Not authenticated: the signature (or the operator's token) is missing or wrong",
    403: "Forbidden: the sender's role or state does not allow this",
    404: "Not found: a path parameter or a referenced thing names nothing",
    409: "Conflict: refused in the current state of things (or a message id reused)",
    413: "The body is over the limit",
    415: "The body is not application/json",
    422: "invalid_request: well-formed but not acceptable input",
    429: "Rate limited: try again after Retry-After seconds",
    502: "A participant the step asked gave no trustworthy answer",
    503: "A participant the step needs is not reachable now",
    504: "A participant the step asked did not answer in time",
}

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEPENDENCIES = frozenset({"services", "signed", "sender", "request", "state", "scope"})


def _schemes(handler: HTTPRouteHandler) -> set[str]:
    return {name for requirement in handler.resolve_security() for name in requirement}


def refusals_of(handler: HTTPRouteHandler) -> set[int]:
    """The refusal statuses `handler` can send (see the module's docstring)."""
    statuses = {400}
    parameters = set(handler.parsed_fn_signature.parameters) - _DEPENDENCIES
    if parameters:
        statuses.add(422)
    if any("{" in path for path in handler.paths):
        statuses.add(404)
    schemes = _schemes(handler)
    writes = bool(_WRITES & set(handler.http_methods))
    if "beckn" in schemes:
        statuses |= {401, 403, 404, 409, 413, 415, 422}
    if "operatorToken" in schemes:
        statuses.add(401)
        if writes:
            statuses |= {404, 409, 422}
    if writes and handler.opt.get(CALLS_PARTICIPANTS):
        statuses |= {502, 503, 504}
    statuses.update(handler.opt.get(REFUSES, ()))
    statuses.update(handler.opt.get(CODES, {}))
    return statuses


def _why(handler: HTTPRouteHandler, status: int) -> str:
    """The status's description: what it means, and the codes this route gives with it."""
    codes = handler.opt.get(CODES, {}).get(status)
    if not codes:
        return _WHY[status]
    return f"{_WHY[status]}. This route's codes: {', '.join(sorted(set(codes)))}"


def _answers_raw_json(handler: HTTPRouteHandler) -> bool:
    """A success sent as JSON bytes (`Response[bytes]`, no other media type declared)."""
    annotation = FieldDefinition.from_annotation(handler.parsed_fn_signature.return_type.annotation)
    if not annotation.is_subclass_of(Response) or not annotation.inner_types:
        return False
    media_type = getattr(handler.media_type, "value", handler.media_type)
    return annotation.inner_types[0].annotation is bytes and "json" in (str(media_type) or "json")


def _is_json(media_type: str) -> bool:
    return "json" in media_type


def _plain_schema(shape: Any) -> Schema:
    """The schema of a body that is not JSON: text, or bytes (`format: binary`)."""
    if shape is bytes:
        return Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]
    return Schema(type=OpenAPIType.STRING)


def _operation(
    handler: HTTPRouteHandler, plain: Mapping[str, Any], either: Iterable[int]
) -> type[Operation]:
    """An operation class that says what Litestar cannot, set on the handler.

    Litestar documents one media type per status: the success's bodies that
    are not JSON (`plain`: media type to shape) are added here (text, or
    bytes as `format: binary`). A refusal that may be either of two NACKs
    (`either`) is `anyOf` them, not `oneOf`: a Beckn NACK fits `Nack` too.
    """
    status = str(handler.status_code)
    refusals = {str(s) for s in either}

    @dataclass
    class Sends(Operation):
        def __post_init__(self) -> None:
            for code, answer in (self.responses or {}).items():
                if isinstance(answer, Reference) or not answer.content:
                    continue
                if code == status and plain:
                    answer.content = {
                        **answer.content,
                        **{
                            kind: OpenAPIMediaType(schema=_plain_schema(s))
                            for kind, s in plain.items()
                        },
                    }
                shown = answer.content.get("application/json")
                if code in refusals and shown is not None and isinstance(shown.schema, Schema):
                    shown.schema.any_of, shown.schema.one_of = shown.schema.one_of, None

    return Sends


def _result(handler: HTTPRouteHandler) -> ResponseSpec | None:
    """The documented success, where the handler's own annotation does not say it."""
    result = handler.opt.get(RESULT)
    if isinstance(result, Mapping):
        json_kinds = [kind for kind in result if _is_json(kind)]
        plain = {kind: shape for kind, shape in result.items() if not _is_json(kind)}
        if plain:
            handler.operation_class = _operation(handler, plain, ())
        first = json_kinds[0] if json_kinds else next(iter(plain))
        return ResponseSpec(
            data_container=result[first] if json_kinds else str,
            description="The result",
            media_type=first,
            generate_examples=False,
        )
    if _answers_raw_json(handler) or result is not None:
        return ResponseSpec(
            data_container=result or dict[str, Any],
            description="The result",
            generate_examples=False,
        )
    return None


def _responses(handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
    nack = handler.opt.get(NACK_SHAPE, Nack)
    refusals = sorted(refusals_of(handler))
    if isinstance(nack, tuple):  # either NACK, by the request's shape
        handler.operation_class = _operation(handler, {}, refusals)
        nack = Union[nack]  # noqa: UP007 (a runtime union of the given structs)
    responses = {
        status: ResponseSpec(
            data_container=nack, description=_why(handler, status), generate_examples=False
        )
        for status in refusals
    }
    result = _result(handler)
    if result is not None:
        for status in (handler.status_code, *handler.opt.get(SUCCESSES, ())):
            responses[status] = result
    responses.update(handler.responses or {})
    return responses


def _handlers(app: Litestar) -> Iterable[HTTPRouteHandler]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and handler.include_in_schema:
                yield handler


def document_refusals(app: Litestar) -> Litestar:
    """Set each route's documented refusals and raw-JSON success (cheap: no schema is made)."""
    for handler in _handlers(app):
        handler.responses = _responses(handler)
    return app
